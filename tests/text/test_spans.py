"""``token_spans``: the tokenizer's tokens, each with its place in the original text."""

import pytest

from movie_sentiment.text.spans import token_spans
from movie_sentiment.text.tokenize import tokenize

TRICKY = [
    "Not <b>GOOD</b> at all",
    "It wasn&#39;t GOOD.<br /><br />Sad!",
    "caf&eacute; &lt;i&gt;hidden tag&lt;/i&gt; don\u2019t `quote`",
    "&amp &amp; &#x41;&#66; &unknown; &",
    "<unclosed tag and words",
    "İstanbul ΟΔΟΣ ΟΔΟΣ. ß straße",
    "",
    "   \n\t  ",
    "emoji 🎬 film 😀!",
    "a<b>c</b>d",
]


@pytest.mark.parametrize("text", TRICKY)
def test_spans_give_the_tokenizers_tokens_at_their_places(text):
    spans = token_spans(text)
    assert [s.token for s in spans] == tokenize(text)
    for span in spans:
        assert 0 <= span.start < span.end <= len(text)
        assert (
            span.token in tokenize(text[span.start : span.end])
            or "&" in text[span.start : span.end]
        )
    starts = [s.start for s in spans]
    assert starts == sorted(starts)


def test_span_covers_what_the_user_wrote():
    text = "It wasn&#39;t GOOD."
    assert [text[s.start : s.end] for s in token_spans(text)] == ["It", "wasn&#39;t", "GOOD"]


@pytest.mark.real_data
def test_spans_agree_with_the_tokenizer_on_real_reviews(real_archive):
    from movie_sentiment.data.imdb import load_reviews

    texts = load_reviews("train", real_archive).texts
    for text in texts[::10]:
        assert [s.token for s in token_spans(text)] == tokenize(text)


def test_spans_equal_the_reference_implementation():
    import reference_tokenizer
    from test_tokenize import TRICKY as MORE_TRICKY

    for text in TRICKY + MORE_TRICKY:
        spans = [(s.token, s.start, s.end) for s in token_spans(text)]
        assert spans == reference_tokenizer.token_spans(text)


@pytest.mark.real_data
def test_spans_equal_the_reference_on_real_reviews(real_archive):
    import reference_tokenizer

    from movie_sentiment.data.imdb import load_reviews

    texts = load_reviews("test", real_archive).texts
    for text in texts[::25]:
        spans = [(s.token, s.start, s.end) for s in token_spans(text)]
        assert spans == reference_tokenizer.token_spans(text)
