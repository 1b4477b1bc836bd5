"""Micro-batching: the batcher alone (a real event loop and scoring thread, a plain
function as the scorer), then through a real server with real models."""

import asyncio
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from test_app import running

from movie_sentiment.bundle import SentimentModel
from movie_sentiment.service.app import create_app
from movie_sentiment.service.batching import Batcher


class Recorder:
    """Scores a text as its length, and remembers each call it was given."""

    def __init__(self, fail: bool = False):
        self.calls = []
        self.fail = fail

    def __call__(self, texts, explain):
        self.calls.append((list(texts), explain))
        if self.fail:
            raise RuntimeError("the model broke")
        return [{"length": len(t), "explain": explain} for t in texts]


def gather(recorder, requests, **options):
    """``requests``: (texts, explain) pairs sent at once; their replies, in order."""

    async def main():
        with ThreadPoolExecutor(1) as executor:
            batcher = Batcher(recorder, executor, **options)
            try:
                return await asyncio.gather(
                    *(batcher.score(texts, explain) for texts, explain in requests),
                    return_exceptions=True,
                )
            finally:
                batcher.close()

    return asyncio.run(main())


def test_concurrent_requests_share_one_call_and_get_their_own_rows():
    recorder = Recorder()
    requests = [([f"{'x' * n}"], False) for n in range(1, 11)]
    replies = gather(recorder, requests, max_batch=64, max_wait=0.05)
    assert len(recorder.calls) == 1 and len(recorder.calls[0][0]) == 10
    assert [reply[0]["length"] for reply in replies] == list(range(1, 11))


def test_a_batch_holds_at_most_max_batch_reviews_and_never_splits_a_request():
    recorder = Recorder()
    requests = [(["a", "b", "c"], False), (["d"], False), (["e", "f"], False), (["g"] * 9, False)]
    replies = gather(recorder, requests, max_batch=4, max_wait=0.05)
    assert [len(texts) for texts, _ in recorder.calls] == [4, 2, 9]  # 9 > 4: alone
    assert [len(reply) for reply in replies] == [3, 1, 2, 9]


def test_explained_requests_are_scored_in_their_own_call():
    recorder = Recorder()
    replies = gather(recorder, [(["a"], False), (["bb"], True), (["c"], False)], max_wait=0.05)
    assert sorted((len(texts), explain) for texts, explain in recorder.calls) == [
        (1, True), (2, False)
    ]  # fmt: skip
    assert [reply[0]["explain"] for reply in replies] == [False, True, False]


def test_no_batching_with_max_batch_one():
    recorder = Recorder()
    gather(recorder, [([str(n)], False) for n in range(5)], max_batch=1, max_wait=0.05)
    assert [len(texts) for texts, _ in recorder.calls] == [1] * 5


def test_a_failed_call_fails_each_of_its_requests_and_the_next_batch_still_runs():
    broken = Recorder(fail=True)
    replies = gather(broken, [(["a"], False), (["b"], False)], max_wait=0.05)
    assert all(isinstance(r, RuntimeError) and str(r) == "the model broke" for r in replies)


def test_a_caller_that_left_does_not_hold_up_the_others():
    recorder = Recorder()

    async def main():
        with ThreadPoolExecutor(1) as executor:
            batcher = Batcher(recorder, executor, max_wait=0.05)
            gone = asyncio.create_task(batcher.score(["gone"]))
            stays = asyncio.create_task(batcher.score(["stays"]))
            await asyncio.sleep(0)
            gone.cancel()
            reply = await stays
            batcher.close()
            return reply

    assert asyncio.run(main()) == [{"length": 5, "explain": False}]
    assert recorder.calls == [(["stays"], False)]


@pytest.fixture(scope="module")
def slow_gathering(nbsvm_run):
    """A service whose batches wait 200 ms for company, so concurrent requests meet."""
    model = SentimentModel.load(nbsvm_run.bundle_dir)
    app = create_app({"nbsvm": model}, max_batch=64, max_wait_ms=200, load_seconds={"nbsvm": 1.5})
    with running(app) as client:
        yield client


def test_a_real_server_batches_concurrent_requests(slow_gathering):
    texts = [f"{word} film" for word in ("wonderful", "awful", "superb", "boring")] * 4
    alone = [
        slow_gathering.post("/v1/score", json={"reviews": [t]}).json()["scores"][0]
        for t in texts[:4]
    ]
    replies = [None] * len(texts)

    def ask(i):
        with httpx.Client(base_url=slow_gathering.base_url, timeout=30) as client:
            replies[i] = client.post("/v1/score", json={"reviews": [texts[i]]})

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all(r.status_code == 200 for r in replies)
    assert [r.json()["scores"][0] for r in replies[:4]] == alone  # same rows, batched or not
    metrics = slow_gathering.get("/metrics").text

    def value(name):
        return float(re.search(rf'{name}{{model="nbsvm"}} ([\d.e+]+)', metrics).group(1))

    requests = value("movie_sentiment_batch_requests_sum")
    batches = value("movie_sentiment_batch_requests_count")
    assert requests == 20 and batches <= 4 + 8  # 4 alone, then 16 in at most 8 batches


def test_metrics_count_requests_batches_and_model_times(slow_gathering):
    slow_gathering.post("/v1/score", json={"reviews": ["fine", "fine too"]})
    slow_gathering.post("/v1/score", json={"reviews": []})
    text = slow_gathering.get("/metrics").text
    assert 'movie_sentiment_requests_total{method="POST",route="/v1/score",status="200"}' in text
    assert 'movie_sentiment_requests_total{method="POST",route="/v1/score",status="422"}' in text
    assert re.search(
        r'movie_sentiment_request_seconds_bucket\{le="0.5",route="/v1/score"\} \d', text
    )
    assert 'movie_sentiment_model_load_seconds{model="nbsvm"} 1.5' in text
    warm = re.search(r'movie_sentiment_model_warm_up_seconds\{model="nbsvm"\} ([\d.e+-]+)', text)
    assert warm and float(warm.group(1)) > 0
    scored = re.search(r'movie_sentiment_reviews_scored_total\{model="nbsvm"\} ([\d.]+)', text)
    assert scored and float(scored.group(1)) >= 2
