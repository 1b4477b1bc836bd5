from movie_sentiment.text.sentences import last_sentences, sentences, trailing_snippets


def test_sentences_end_at_marks_before_space_and_at_line_breaks():
    text = 'He said "Run." Then left!<br /><br />Was it good?? No... 8.5/10 Mr. Smith agrees.'
    assert sentences(text) == [
        'He said "Run."',
        "Then left!",
        "Was it good??",
        "No...",
        "8.5/10 Mr.",  # an abbreviation splits: the examples need sentences only roughly
        "Smith agrees.",
    ]


def test_pieces_without_a_word_are_not_sentences():
    assert sentences("!!! ... <br /> Great. :)") == ["Great."]
    assert sentences("") == []


def test_last_sentences_joins_the_last_ones_or_keeps_the_text():
    assert last_sentences("A b. C d! E f?", 2) == "C d! E f?"
    assert last_sentences("Only one", 3) == "Only one"
    assert last_sentences("...", 1) == "..."  # no sentence: the text itself


def test_trailing_snippets_are_shorter_than_their_review():
    texts = ["One. Two. Three.", "Single sentence.", "", "A! B!"]
    snippets, sources = trailing_snippets(texts, 5)
    assert snippets == ["Three.", "Two. Three.", "B!"]
    assert sources == [0, 0, 3]
    assert trailing_snippets(texts, 0) == ([], [])
