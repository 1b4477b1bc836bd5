"""The "how different is this data" summary and the advice drawn from it."""

from movie_sentiment.evaluation.shift import advice, data_shift, format_shift, length_percentiles


def test_length_percentiles():
    assert length_percentiles(list(range(1, 102))) == {"p10": 11, "p50": 51, "p90": 91}
    assert length_percentiles([]) == {}


def test_summary_of_short_texts_with_unknown_words():
    training = {"p10": 60, "p50": 174, "p90": 580}
    shift = data_shift([10, 12, 20, 200], [1, 3, 2, 10], short_words=50, training=training)
    assert shift["texts"] == 4
    assert shift["unknown_word_share"] == 16 / 242
    assert shift["short_share"] == 0.75
    assert shift["training_length_words"] == training
    text = format_shift(shift)
    assert "(training data: 60/174/580)" in text and "Short texts (under 50 words): 75.0%" in text


def test_advice_says_each_problem_with_what_to_do():
    shift = data_shift([10] * 9 + [100], [3] * 10, short_words=50)
    figures = {"accuracy": 0.71, "uncertain": {"coverage": 0.08}}
    said = advice(figures, shift, reference_accuracy=0.92)
    assert len(said) == 4
    assert said[0].startswith("Accuracy here is 0.710, 21.0 points below")
    assert "answers only 8%" in said[1]
    assert "unknown to the model" in said[2] and "90% of the texts are shorter" in said[3]
    assert all("train --data" in line for line in said[:3])


def test_no_advice_when_nothing_stands_out():
    shift = data_shift([200, 300], [2, 3], short_words=50)
    assert advice({"accuracy": 0.91, "uncertain": {"coverage": 0.8}}, shift, 0.92) == []
    assert advice({"accuracy": 0.5}, shift, None) == []  # no reference: no comparison
