"""The README's picture of the service's web page: a review scored, its words coloured.

Serves ``--bundle`` (a trained model bundle or run folder) with the real service on a
free port of 127.0.0.1 (uvicorn), opens ``GET /`` in headless Chromium, types a review,
scores it and writes a screenshot of the whole page (1000 pixels wide) to ``--out``.

    python benchmarks/page_screenshot.py --bundle runs/nbsvm/bundle \\
        --out docs/images/serve-page.png [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx
import uvicorn

import movie_sentiment  # noqa: F401  (sets the default Keras backend)

REVIEW = (
    "I went in expecting very little and came out grinning. The lead gives a warm, funny "
    "performance, the script is sharp, and the last act is genuinely moving.\n\n"
    "It has its flaws: the middle drags, and one subplot is a waste of a good actor. "
    "Still, the best thing I have seen this year. Highly recommended."
)


@contextlib.contextmanager
def serving(app):
    """``app`` on a free port of 127.0.0.1 until the block ends; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:  # live, then ready (the models warmed up)
            if time.monotonic() > deadline:
                raise SystemExit("the service did not become ready within 60 s")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/v2/health/ready", timeout=5).status_code == 200:
                    break
            time.sleep(0.1)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", required=True, help="model bundle (or run folder) to serve")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="Chromium executable")
    parser.add_argument("--name", default=None, help="model name shown (default: its family)")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    from movie_sentiment.bundle import SentimentModel
    from movie_sentiment.service.app import create_app
    from movie_sentiment.service.page import page_response

    model = SentimentModel.load(args.bundle)
    name = args.name or (model.card.family if model.card else "model")
    app = create_app({name: model})
    if "/" not in {getattr(route, "path", None) for route in app.routes}:
        app.get("/", include_in_schema=False)(page_response)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with serving(app) as base, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1000, "height": 800}, color_scheme="light")
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{base}/")
        page.wait_for_function("document.querySelector('#model option[value]')?.value")
        page.fill("#review", REVIEW)
        page.click("#score")
        page.wait_for_selector("#words .token", state="attached")
        page.wait_for_timeout(500)  # the probability bar's transition
        page.mouse.move(0, 0)  # no hover effect on the button
        page.screenshot(path=str(out), full_page=True)  # 1000 wide, about 850 high
        browser.close()
    if errors:
        raise SystemExit(f"the page failed: {errors}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
