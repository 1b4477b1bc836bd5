"""The service's web page (``GET /``): one self-contained HTML file, ``page.html``.

The page holds one inline ``<style>`` and one inline ``<script>`` and loads nothing else;
it talks only to this service (``GET /v1/models``, ``POST /v1/score``) and puts every
review and server string into the page as text, never as markup.

It is served under a strict Content-Security-Policy: ``default-src 'none'``, and the
script and the style are allowed only by the SHA-256 of their exact text, computed here
from the file when this module is imported. So even if markup ever reached the page (a
bug putting a review in as HTML), no injected ``<script>``, event handler (``onerror=``)
or ``javascript:`` URL could run, and the page could fetch nothing from elsewhere. The
hashes follow the file: edit ``page.html`` and they change with it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib import resources

from starlette.responses import HTMLResponse

PAGE_FILE = "page.html"


def _inline(tag: str, html: str) -> str:
    """The text between the page's one ``<tag>`` and its ``</tag>``, exactly."""
    found = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.DOTALL)
    if len(found) != 1 or html.count(f"<{tag}") != 1:
        raise RuntimeError(f"{PAGE_FILE} must hold exactly one plain inline <{tag}>")
    return found[0]


def _source(text: str) -> str:
    """A CSP hash source for an inline element's text (hashed as UTF-8, as browsers do)."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


# Read in text mode: line ends become "\n", as the browser's HTML parser makes them too,
# so the hashes match what the browser sees.
PAGE = resources.files(__package__).joinpath(PAGE_FILE).read_text(encoding="utf-8")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        f"script-src {_source(_inline('script', PAGE))}",
        f"style-src {_source(_inline('style', PAGE))}",
        "connect-src 'self'",
        "img-src data:",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",  # no HTML strings into the DOM at all
        "trusted-types 'none'",  # nor a policy to make them
    ]
)

HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def page_response() -> HTMLResponse:
    """The page with its security headers (the handler of ``GET /``)."""
    return HTMLResponse(PAGE, headers=HEADERS)
