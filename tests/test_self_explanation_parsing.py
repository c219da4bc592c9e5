"""The self-explanation parser on outputs as real models write them.

Three sources: gpt-3.5-turbo answers published with Huang et al. 2023 (their results pickles,
quoted verbatim), answers of the embedded SmolLM2-135M-Instruct to Huang-style prompts (recorded
here at temperature 0), and the formats other chat models commonly use (JSON, markdown, prose).
"""

from __future__ import annotations

import pytest

from verbalize.pipeline.text.parse import parse_self_explanation
from verbalize.pipeline.text.tokens import STRATEGIES, tokenize, topk_count
from verbalize.pipeline.text.types import SelfExplanation

SENT = "The movie was not good , but the acting was great ."
TOK = tokenize(SENT)  # The movie was not good , but the acting was great .
#                        0   1     2   3   4    5 6   7   8      9   10    11


def scored(result, tokens=TOK) -> dict[int, float]:
    """Non-zero scores by token index (the rest must be exactly 0)."""
    assert len(result.scores) == len(tokens)
    return {i: s for i, s in enumerate(result.scores) if s != 0.0}


# --------------------------------------------------------------------------- tokenizer and k


def test_tokenize_whitespace_and_punct_modes():
    assert tokenize("Great film, really.") == ["Great", "film,", "really."]
    assert tokenize("Great film, really. Don't go!", mode="punct") == [
        "Great",
        "film",
        ",",
        "really",
        ".",
        "Don't",
        "go",
        "!",
    ]
    with pytest.raises(ValueError):
        tokenize("x", mode="bpe")  # type: ignore[arg-type]


def test_topk_count_is_a_fifth_of_the_words_at_least_one():
    assert [topk_count(n) for n in (0, 1, 4, 5, 9, 10, 12, 20)] == [1, 1, 1, 1, 1, 2, 2, 4]


# --------------------------------------------------------------------------- gpt-3.5 (Huang et al.)


def test_gpt35_predict_then_explain():
    sent = "Thoughtful , provocative and entertaining ."
    raw = "(1, 0.8)\n[('Thoughtful', 0.500), (',', 0.000), ('provocative', 0.500), ('and', 0.000), ('entertaining', 0.500), ('.', 0.000)]"
    r = parse_self_explanation(raw, tokenize(sent), "pe")
    assert isinstance(r, SelfExplanation)
    assert (r.parse_ok, r.label, r.confidence, r.error) == (True, "positive", 0.8, None)
    assert r.scores == [0.5, 0.0, 0.5, 0.0, 0.5, 0.0]
    assert r.raw == raw


def test_gpt35_explain_then_predict_with_bracket_and_quote_tokens():
    sent = "( An ) hilarious romantic comedy ."
    raw = "[('(', 0.000), ('An', 0.500), (')', 0.000), ('hilarious', 0.800), ('romantic', 0.500), ('comedy', 0.700), ('.', 0.000)]\n(1, 0.900)"
    r = parse_self_explanation(raw, tokenize(sent), "ep")
    assert (r.parse_ok, r.label, r.confidence) == (True, "positive", 0.9)
    assert r.scores == [0.0, 0.5, 0.0, 0.8, 0.5, 0.7, 0.0]

    sent = "Ranks among Willams ' best screen work ."
    raw = "[('Ranks', 0.500), ('among', 0.000), ('Willams', 0.000), (\"'\", 0.000), ('best', 0.800), ('screen', 0.000), ('work', 0.500), ('.', 0.000)]\n(1, 0.800)"
    r = parse_self_explanation(raw, tokenize(sent), "ep")
    assert r.parse_ok and r.unmatched == []
    assert r.scores == [0.5, 0.0, 0.0, 0.0, 0.8, 0.0, 0.5, 0.0]


def test_gpt35_repeated_words_go_to_the_first_unused_occurrence():
    sent = "Punish the vehicle to adore the star ."
    raw = "[('Punish', -0.5), ('the', 0.1), ('vehicle', 0.0), ('to', 0.0), ('adore', 0.5), ('the', 0.2), ('star', 0.5), ('.', 0.0)]\n(0, 0.8)"
    r = parse_self_explanation(raw, tokenize(sent), "ep")
    assert (r.label, r.confidence) == ("negative", 0.8)
    assert r.scores == [-0.5, 0.1, 0.0, 0.0, 0.5, 0.2, 0.5, 0.0]


def test_gpt35_escaped_and_merged_tokens_are_still_found():
    # SST escapes the slash; the model drops the backslash
    sent = "Maguire is a surprisingly effective Peter\\/Spider-Man ."
    raw = "(1, 0.9)\n[('Maguire', 0.5), ('is', 0.2), ('a', 0.1), ('surprisingly', 0.7), ('effective', 0.8), ('Peter/Spider-Man', 0.9)]"
    r = parse_self_explanation(raw, tokenize(sent), "pe")
    assert r.unmatched == [] and r.scores == [0.5, 0.2, 0.1, 0.7, 0.8, 0.9, 0.0]  # '.' skipped -> 0
    # the model glues "Greene 's" into one word: both tokens get its score
    sent = "adaptation of Graham Greene 's 1955 novel ."
    raw = "(1, 0.9)\n[('adaptation', 0.7), ('of', 0.5), ('Graham', 0.6), (\"Greene's\", 0.6), ('1955', 0.5), ('novel', 0.7), ('.', 0.1)]"
    r = parse_self_explanation(raw, tokenize(sent), "pe")
    assert r.unmatched == [] and r.scores == [0.7, 0.5, 0.6, 0.6, 0.6, 0.5, 0.7, 0.1]


# --------------------------------------------------------------------------- order, brackets, quotes


PE_LIST = "[('The', 0.0), ('movie', 0.1), ('was', 0.0), ('not', -0.6), ('good', 0.4), (',', 0.0), ('but', -0.1), ('acting', 0.3), ('great', 0.9)]"
EXPECTED = {1: 0.1, 3: -0.6, 4: 0.4, 6: -0.1, 8: 0.3, 10: 0.9}


@pytest.mark.parametrize(
    ("strategy", "raw"),
    [
        ("pe", "(1, 0.75)\n" + PE_LIST),
        ("ep", PE_LIST + "\n(1, 0.75)"),
        ("ep", PE_LIST + "\n\n(1, 0.75)"),
        ("pe", "Prediction and confidence: (1, 0.75)\n\nExplanation:\n" + PE_LIST + "\n\nI hope this helps!"),
        ("pe", "((1, 0.75), " + PE_LIST + ")"),
        ("pe", "```python\n(1, .75)\n" + PE_LIST.replace("0.1", ".1") + "\n```"),
    ],
    ids=["pe", "ep", "ep-blank-line", "chatty", "nested", "fenced-dot-numbers"],
)
def test_both_orders_and_wrappings(strategy, raw):
    r = parse_self_explanation(raw, TOK, strategy)
    assert (r.parse_ok, r.label, r.confidence) == (True, "positive", 0.75)
    assert scored(r) == EXPECTED


def test_broken_brackets_and_a_missing_closing_bracket():
    raw = "(1, 0.8)\n[('The', 0.0), ('movie', 0.1), ('not', -0.6), ('good', 0.5], ('great', 0.9))"
    r = parse_self_explanation(raw, TOK, "pe")
    assert r.parse_ok and scored(r) == {1: 0.1, 3: -0.6, 4: 0.5, 10: 0.9}
    # explain-then-predict with the list never closed: the prediction line is still found
    raw = "[('The', 0.000), ('movie', 0.100), ('not', -0.500), ('good', 0.500)\n(0, 0.600)"
    r = parse_self_explanation(raw, TOK, "ep")
    assert (r.parse_ok, r.label, r.confidence) == (True, "negative", 0.6)
    assert scored(r) == {1: 0.1, 3: -0.5, 4: 0.5}


def test_output_cut_off_mid_list_keeps_what_came_before():
    raw = "(1, 0.6)\n[('The', 0.1), ('movie', -0.3), ('was', 0.2), ('not"
    r = parse_self_explanation(raw, TOK, "pe")
    assert r.parse_ok and scored(r) == {0: 0.1, 1: -0.3, 2: 0.2}
    assert any("truncated" in n for n in r.notes)


def test_quotes_of_either_kind_apostrophes_and_unquoted_words():
    sent = "I don't think it's a bad film ."
    toks = tokenize(sent)
    for raw in [
        "(1, 0.7)\n[('I', 0.0), ('don't', 0.4), ('think', 0.0), ('it's', 0.1), ('bad', -0.5), ('film', 0.2)]",
        '(1, 0.7)\n[("I", 0.0), ("don\'t", 0.4), ("think", 0.0), ("it\'s", 0.1), ("bad", -0.5), ("film", 0.2)]',
        "(1, 0.7)\n[(I, 0.0), (don't, 0.4), (think, 0.0), (it's, 0.1), (bad, -0.5), (film, 0.2)]",
        "(1, 0.7)\n[(‘I’, 0.0), (‘don’t’, 0.4), (‘think’, 0.0), (‘it’s’, 0.1), (‘bad’, -0.5), (‘film’, 0.2)]",
    ]:
        r = parse_self_explanation(raw, toks, "pe")
        assert r.parse_ok, raw
        assert r.scores == [0.0, 0.4, 0.0, 0.1, 0.0, -0.5, 0.2, 0.0], raw


def test_numbers_written_in_many_ways():
    raw = "(1, 0.500)\n[('The', .5), ('movie', -.25), ('was', 0.500), ('not', -0.3), ('good', +.75), ('great', 1.), ('acting', 5e-1)]"
    r = parse_self_explanation(raw, TOK, "pe")
    assert r.confidence == 0.5
    assert scored(r) == {0: 0.5, 1: -0.25, 2: 0.5, 3: -0.3, 4: 0.75, 8: 0.5, 10: 1.0}


def test_scores_outside_minus_one_one_are_clipped_and_recorded():
    r = parse_self_explanation("(1, 0.9)\n[('great', 1.5), ('not', -3), ('good', 0.5)]", TOK, "pe")
    assert scored(r) == {3: -1.0, 4: 0.5, 10: 1.0}
    assert r.clipped == 2 and "clipped 2 scores to [-1, 1]" in r.notes


# --------------------------------------------------------------------------- alignment


def test_duplicates_missing_tokens_and_extra_words():
    raw = "(1, 0.9)\n[('the', 0.1), ('the', -0.2), ('the', 0.3), ('was', 0.4), ('was', 0.5), ('brilliant', 0.9), ('great', 0.8)]"
    r = parse_self_explanation(raw, TOK, "pe")
    # exact-case "the" (index 7) first, then "The" (index 0) case-insensitively; a third "the" has
    # no occurrence left. Words the model skipped stay 0; "brilliant" is not in the text.
    assert scored(r) == {7: 0.1, 0: -0.2, 2: 0.4, 9: 0.5, 10: 0.8}
    assert r.unmatched == ["the", "brilliant"]
    assert r.parse_ok


def test_surrounding_punctuation_and_case_are_tolerated():
    toks = tokenize("Great film, really bad ending.")  # Great film, really bad ending.
    r = parse_self_explanation(
        "(0, 0.6)\n[('great', 0.7), ('film', 0.1), ('bad', -0.8), ('\"ending\"', -0.2)]", toks, "pe"
    )
    assert r.scores == [0.7, 0.1, 0.0, -0.8, -0.2]
    assert r.unmatched == []


def test_cited_phrases_cover_consecutive_tokens():
    r = parse_self_explanation("(0, 0.7)\n[('not good', -0.8), ('great', 0.6)]", TOK, "pe")
    assert scored(r) == {3: -0.8, 4: -0.8, 10: 0.6}


def test_no_cited_word_in_the_text_is_a_failure():
    r = parse_self_explanation("(1, 0.9)\n[('wonderful', 0.9), ('superb', 0.8)]", TOK, "pe")
    assert not r.parse_ok and "none of the 2 cited words" in r.error
    assert r.label == "positive" and r.unmatched == ["wonderful", "superb"]
    assert r.scores == [0.0] * len(TOK)


# --------------------------------------------------------------------------- JSON, markdown, prose


def test_json_object_with_attribution_pairs():
    raw = '```json\n{"label": "positive", "confidence": 0.72, "attributions": [["The", 0.0], ["movie", 0.1], ["not", -0.6], ["good", 0.4], ["great", 0.9]]}\n```'
    r = parse_self_explanation(raw, TOK, "pe")
    assert (r.parse_ok, r.label, r.confidence) == (True, "positive", 0.72)
    assert scored(r) == {1: 0.1, 3: -0.6, 4: 0.4, 10: 0.9}


def test_json_word_map_and_list_of_objects():
    raw = 'Here are the importance scores:\n{"The": 0, "movie": .1, "not": -0.5, "good": 0.3, "great": 0.8}\nPrediction: (1, 0.75)'
    r = parse_self_explanation(raw, TOK, "ep")
    assert (r.label, r.confidence) == ("positive", 0.75)
    assert scored(r) == {1: 0.1, 3: -0.5, 4: 0.3, 10: 0.8}

    raw = (
        '{"prediction": {"label": 0, "confidence": 0.66},\n "explanation": [{"word": "not", "importance": -0.8},'
        ' {"token": "good", "score": 0.2}, {"word": "great", "importance": 0.1}]}'
    )
    r = parse_self_explanation(raw, TOK, "pe")
    assert (r.parse_ok, r.label, r.confidence) == (True, "negative", 0.66)
    assert scored(r) == {3: -0.8, 4: 0.2, 10: 0.1}


def test_json_parallel_arrays_and_pipeline_style_label():
    raw = '[{"label": "NEGATIVE", "score": 0.98}]\n{"tokens": ["not", "good", "great"], "scores": [-0.5, 0.4, 0.3]}'
    r = parse_self_explanation(raw, TOK, "pe")
    assert (r.label, r.confidence) == ("negative", 0.98)
    assert scored(r) == {3: -0.5, 4: 0.4, 10: 0.3}


def test_markdown_lists_with_bold_keys_and_percent_confidence():
    raw = (
        "**Prediction:** Positive\n**Confidence:** 85%\n\n**Word importance:**\n"
        "- The: 0.0\n- movie: 0.1\n- not: -0.7\n- good: 0.4\n- great: 0.9\n"
    )
    r = parse_self_explanation(raw, TOK, "pe")
    assert (r.parse_ok, r.label, r.confidence) == (True, "positive", 0.85)
    assert scored(r) == {1: 0.1, 3: -0.7, 4: 0.4, 10: 0.9}
    assert "confidence 85% read as 0.85" in r.notes


def test_numbered_markdown_with_quoted_words_and_scores_in_parentheses():
    raw = '1. "great" (0.9)\n2. "not" (-0.6)\n3. "good" (.5)\n\nSentiment: 1, confidence 0.8'
    r = parse_self_explanation(raw, TOK, "ep")
    assert (r.label, r.confidence) == ("positive", 0.8)
    assert scored(r) == {3: -0.6, 4: 0.5, 10: 0.9}


def test_chatty_small_model_style():
    raw = (
        "Sure! Here is the analysis of the review:\n\nThe review is negative.\n\n"
        "Here are the importance scores for each word:\n\n* The: 0.1\n* not: -0.5\n* good: 0.3\n\n"
        "Confidence: 0.75"
    )
    r = parse_self_explanation(raw, TOK, "ep")
    assert (r.parse_ok, r.label, r.confidence) == (True, "negative", 0.75)
    assert scored(r) == {0: 0.1, 3: -0.5, 4: 0.3}

    raw = 'Output:\n(0, 0.9)\n\nExplanation:\n"not" - -0.8\n"good" - 0.3\n"great" - 0.2'
    r = parse_self_explanation(raw, TOK, "pe")
    assert scored(r) == {3: -0.8, 4: 0.3, 10: 0.2}


def test_inline_word_colon_score_pairs():
    raw = "Prediction: negative (confidence: 0.9)\nImportance: not: -0.6, good: 0.4, acting: 0.3"
    r = parse_self_explanation(raw, TOK, "pe")
    assert (r.label, r.confidence) == ("negative", 0.9)
    assert scored(r) == {3: -0.6, 4: 0.4, 8: 0.3}


def test_a_token_that_is_also_a_label_word_keeps_its_score():
    toks = tokenize("Not a positive experience .")
    raw = "(0, 0.7)\n[('Not', -0.6), ('a', 0.0), ('positive', 0.4), ('experience', 0.0), ('.', 0.0)]"
    r = parse_self_explanation(raw, toks, "pe")
    assert (r.label, r.scores) == ("negative", [-0.6, 0.0, 0.4, 0.0, 0.0])


# --------------------------------------------------------------------------- top-k


def test_topk_comma_separated_words_get_one():
    r = parse_self_explanation("1, 0.8\ngreat, not", TOK, "pe-topk")
    assert (r.parse_ok, r.label, r.confidence) == (True, "positive", 0.8)
    assert scored(r) == {3: 1.0, 10: 1.0}


def test_topk_numbered_list_then_prediction():
    r = parse_self_explanation("Top words:\n1. great\n2. **not**\n\n(1, 0.9)", TOK, "ep-topk")
    assert (r.label, r.confidence) == ("positive", 0.9)
    assert scored(r) == {3: 1.0, 10: 1.0}


def test_topk_json_words_and_scored_pairs():
    r = parse_self_explanation(
        '{"sentiment": 0, "confidence": 0.8, "top_words": ["not", "good"]}', TOK, "ep-topk"
    )
    assert (r.label, r.confidence) == ("negative", 0.8)
    assert scored(r) == {3: 1.0, 4: 1.0}
    r = parse_self_explanation("(0, 0.8)\n[('not', -0.9), ('good', 0.4)]", TOK, "pe-topk")
    assert scored(r) == {3: -0.9, 4: 0.4}


def test_topk_records_a_wrong_number_of_words():
    r = parse_self_explanation("(1, 0.8)\ngreat, good, acting, movie", TOK, "pe-topk")
    assert r.parse_ok and "asked for 2 words, got 4" in r.notes


# --------------------------------------------------------------------------- predict-only and labels


@pytest.mark.parametrize(
    ("raw", "label", "confidence"),
    [
        ("(0, 0.8)", "negative", 0.8),
        ("(1, .95)", "positive", 0.95),
        ("1", "positive", None),
        ("Negative", "negative", None),
        ("Label: 0, Confidence: 90%", "negative", 0.9),
        ("Sentiment: positive\nConfidence: 0.93", "positive", 0.93),
        ('{"label": "positive", "confidence": 0.9}', "positive", 0.9),
        ("The sentiment of this review is positive.", "positive", None),
        ("I would classify this review as negative (confidence: 0.85).", "negative", 0.85),
        ("('positive', 0.7)", "positive", 0.7),
        ("Positive (0.92)", "positive", 0.92),
    ],
)
def test_predict_only_formats(raw, label, confidence):
    r = parse_self_explanation(raw, TOK, "predict-only")
    assert (r.parse_ok, r.label, r.confidence) == (True, label, confidence)
    assert r.scores == []


def test_configurable_label_set_by_name_and_index():
    ag = ["World", "Sports", "Business", "Sci/Tech"]
    toks = tokenize("Stocks rallied as tech shares climbed on Wall Street")
    r = parse_self_explanation(
        "Category: Business\nConfidence: 0.93\n[('Stocks', 0.8), ('Wall Street', 0.5)]", toks, "pe", labels=ag
    )
    assert (r.label, r.confidence) == ("Business", 0.93)
    assert r.scores == [0.8, 0, 0, 0, 0, 0, 0, 0.5, 0.5]
    r = parse_self_explanation("(3, 0.6)\n[('tech', 0.9)]", toks, "pe", labels=ag)
    assert r.label == "Sci/Tech"
    r = parse_self_explanation("(7, 0.6)\n[('tech', 0.9)]", toks, "pe", labels=ag)
    assert not r.parse_ok and "no label found" in r.error


def test_numeric_label_names_match_by_name_and_negative_numbers_are_no_index():
    stars = ["1", "2", "3", "4", "5"]
    r = parse_self_explanation("Rating: 5 (confidence 0.8)", TOK, "predict-only", labels=stars)
    assert (r.label, r.confidence) == ("5", 0.8)
    r = parse_self_explanation("(1, 0.7)", TOK, "predict-only", labels=stars)
    assert r.label == "1"  # the name "1", not index 1
    assert parse_self_explanation("(-1, 0.9)", TOK, "predict-only").parse_ok is False


def test_mentioning_both_labels_without_a_verdict_is_not_a_guess():
    r = parse_self_explanation("This review has both positive and negative aspects.", TOK, "predict-only")
    assert not r.parse_ok and r.label is None


def test_confidence_on_a_percent_scale_and_out_of_range():
    r = parse_self_explanation("(1, 85)", TOK, "predict-only")
    assert r.confidence == 0.85 and any("read as 0.85" in n for n in r.notes)
    r = parse_self_explanation("Label: 1\nConfidence: 250", TOK, "predict-only")
    assert r.confidence == 1.0 and any("clipped" in n for n in r.notes)


# --------------------------------------------------------------------------- failures


# Answers of SmolLM2-135M-Instruct (the embedded model) to Huang-style prompts, temperature 0.
SMOL_ECHO = "The movie was not good, but the acting was great."
SMOL_PE = "(1.1)"
SMOL_EP = "(1)\n\nThe review is positive, and the importance is 1."
SMOL_TOPK = "1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1."
SMOL_PO = "The review is 1."


def test_real_small_model_failures_are_recorded_not_raised():
    for raw, strategy in [
        (SMOL_ECHO, "pe"),
        (SMOL_PE, "pe"),
        (SMOL_TOPK, "pe-topk"),
        (SMOL_ECHO, "predict-only"),
    ]:
        r = parse_self_explanation(raw, TOK, strategy)
        assert not r.parse_ok and r.error, raw
        assert r.raw == raw
    r = parse_self_explanation(SMOL_EP, TOK, "ep")  # a label, but no attribution
    assert (r.parse_ok, r.label) == (False, "positive")
    assert r.error == "no attribution found"
    assert r.scores == [0.0] * len(TOK)
    r = parse_self_explanation(SMOL_PO, TOK, "predict-only")
    assert (r.parse_ok, r.label, r.confidence) == (True, "positive", None)


def test_total_failure_keeps_the_raw_text():
    raw = "I'm sorry, but I can't help with rating this review."
    r = parse_self_explanation(raw, TOK, "pe")
    assert r.parse_ok is False
    assert r.raw == raw
    assert "no attribution found" in r.error and "no label found" in r.error
    assert (r.label, r.confidence, r.scores) == (None, None, [0.0] * len(TOK))
    assert parse_self_explanation("", TOK, "ep").parse_ok is False


def test_every_strategy_is_accepted_and_unknown_ones_raise():
    for strategy in STRATEGIES:
        assert parse_self_explanation("(1, 0.9)\n[('great', 0.9)]", TOK, strategy).label == "positive"
    with pytest.raises(ValueError, match="unknown strategy"):
        parse_self_explanation("(1, 0.9)", TOK, "explain")


def test_result_round_trips_through_json():
    r = parse_self_explanation("(1, 0.9)\n[('great', 1.5)]", TOK, "pe")
    back = type(r).model_validate_json(r.model_dump_json())
    assert back == r and back.clipped == 1


def test_pathological_output_fails_cleanly_without_hitting_the_safety_net():
    for raw in ["(" * 5000, "[" * 3000 + "]" * 3000, "'" * 3000, "{" * 500 + '"label": 1']:
        r = parse_self_explanation(raw, TOK, "pe")
        assert not r.parse_ok
        assert not r.error.startswith("parser error"), r.error
