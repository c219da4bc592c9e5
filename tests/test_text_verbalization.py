"""Text saliency verbalization (Feldhus et al. 2023): the template, coverage@k, claim verification,
and the instruction-based LLM verbalizer on the embedded SmolLM2."""

from __future__ import annotations

import math

import numpy as np
import pytest

from verbalize.pipeline.text.verbalize import (
    TextVerbalization,
    coverage_at_k,
    llm_verbalization,
    scored_text,
    search_spans,
    template_verbalization,
)
from verbalize.pipeline.text.verify import extract_citations, verify_text_verbalization

LABELS = ["negative", "positive"]
# "wonderful , moving story" is the evidence; "not" speaks against; "a" and "today" are neutral.
TOKENS = "I did not expect such a wonderful , moving story today".split()
SCORES = [0.0, -0.1, -0.3, 0.05, 0.1, 0.0, 0.9, 0.2, 0.7, 0.3, 0.0]


def statuses(v) -> list[tuple[str, str, str]]:
    return [(c.kind, c.text, c.status) for c in v.claims]


# ---------------------------------------------------------------- the template


def test_template_names_the_top_span_first_and_its_claims_hold() -> None:
    v = template_verbalization(TOKENS, SCORES, "positive", labels=LABELS)
    assert v.ok and v.verbalizer == "template"
    assert v.text.startswith("The model predicted positive. The phrase »wonderful , moving story« is most important")
    # the window search drops the zero-scored "a" at the phrase's edge
    assert v.spans[0].positions == [6, 7, 8, 9]
    assert v.spans[0].coverage == pytest.approx((0.9 + 0.2 + 0.7 + 0.3) / 2.25)
    assert "The word »not« speaks against it most." in v.text
    assert v.verification.contradicted == 0 and v.verification.fidelity == 1.0
    kinds = {c.kind for c in v.verification.claims}
    assert {"label", "word", "comparison", "sign"} <= kinds


def test_template_ranks_spans_by_coverage_and_adds_the_salient_ones() -> None:
    tokens = "good acting , dull plot , great music".split()
    scores = [0.5, 0.5, 0.0, -0.6, 0.0, 0.0, 0.5, 0.2]  # positive mass 1.7
    # Candidates must reach the mean positive normalised score (1, 1, 1, 0.4 → 0.85): "great music"
    # (mean 0.7) does not, "great" alone (1.0) does.
    spans = search_spans(tokens, scores)
    assert [s.text for s in spans] == ["good acting", "great"]
    assert spans[0].coverage == pytest.approx(1.0 / 1.7)
    assert spans[1].coverage == pytest.approx(0.5 / 1.7)
    assert [s.text for s in search_spans(tokens, scores, threshold=0.6)] == ["good acting", "great music"]
    v = template_verbalization(tokens, scores)
    assert v.text == ("The phrase »good acting« is most important for the prediction. "
                      "The word »great« is also salient. The word »dull« speaks against it most.")
    assert v.verification.fidelity == 1.0


def test_template_says_which_label_the_scores_explain_when_it_is_not_the_prediction() -> None:
    v = template_verbalization(["so", "bad"], [0.1, 0.7], "negative", predicted="positive", labels=LABELS)
    assert v.text.startswith("The model predicted positive; the scores explain negative. The word »bad«")
    assert v.label == "negative" and v.verification.contradicted == 0
    wrong = verify_text_verbalization("The model predicted negative.", ["so", "bad"], [0.1, 0.7], "negative",
                                      predicted="positive", labels=LABELS)
    assert statuses(wrong) == [("label", "negative", "contradicted")]


def test_template_without_positive_evidence_says_so() -> None:
    v = template_verbalization(["bad", "film"], [-0.5, 0.0], "positive", labels=LABELS)
    assert "No word has a positive attribution" in v.text
    assert v.spans == [] and v.coverage == {"1": None, "3": None, "5": None}


def test_template_claims_are_never_contradicted_on_random_attributions() -> None:
    """The template is faithful by construction; the verifier must agree on any attribution, with
    repeated words, punctuation, quotes, label names and numbers among the tokens."""
    rng = np.random.default_rng(0)
    vocab = ["the", "film", "is", "not", "bad", ",", "great", "!", "positive", "negative", "don't", "1955",
             "a", "'s", '"quoted"', "well-made", "...", "most", "important", "salient", "0.5"]
    for _ in range(150):
        n = int(rng.integers(1, 25))
        tokens = [str(t) for t in rng.choice(vocab, n)]
        scores = rng.normal(size=n) * (rng.random(n) > 0.3)
        v = template_verbalization(tokens, scores, "positive", labels=LABELS)
        bad = [c for c in v.verification.claims if c.status != "supported"]
        assert not bad, (tokens, scores.round(2).tolist(), v.text, bad)


# ---------------------------------------------------------------- coverage@k


def test_coverage_at_k_hand_computed() -> None:
    tokens = ["the", "film", "is", "warm", "and", "funny", "but", "long"]
    scores = [0.0, 0.1, 0.0, 0.6, 0.05, 0.3, -0.2, -0.4]  # positive mass 1.05; order warm, funny, film, and
    one = "The word »warm« is most important."
    assert coverage_at_k(one, tokens, scores, 1) == pytest.approx(0.6 / 1.05)
    assert coverage_at_k(one, tokens, scores, 3) == pytest.approx(0.6 / 1.05)
    assert coverage_at_k(one, tokens, scores, 3, denominator="topk") == pytest.approx(0.6 / 1.0)
    two = 'It relies on "Warm," and on \'funny\' (0.30).'
    assert coverage_at_k(two, tokens, scores, 1) == pytest.approx(0.6 / 1.05)
    assert coverage_at_k(two, tokens, scores, 2) == pytest.approx(0.9 / 1.05)
    assert coverage_at_k(two, tokens, scores, 5) == pytest.approx(0.9 / 1.05)
    assert coverage_at_k(two, tokens, scores, 2, denominator="topk") == pytest.approx(1.0)
    # a negative token cited does not count; unquoted words are not citations
    assert coverage_at_k("The word »long« and warm.", tokens, scores, 3) == 0.0
    assert math.isnan(coverage_at_k("»bad«", ["bad"], [-1.0], 1))
    # "punctuation" cites the punctuation tokens, as in Feldhus et al.'s evaluation script
    assert coverage_at_k("The punctuation matters.", ["wow", "!"], [0.2, 0.6], 1) == pytest.approx(0.6 / 0.8)
    with pytest.raises(ValueError):
        coverage_at_k(one, tokens, scores[:-1], 1)


def test_citations_keep_apostrophes_and_split_gaps() -> None:
    cites = extract_citations("The model liked 'don't stop' and »not … bad«, and great (0.81).")
    assert [(c.text, c.words) for c in cites] == [
        ("don't stop", ("don't", "stop")), ("not … bad", ("not", "bad")), ("great", ("great",))]
    assert cites[2].inline_score == "0.81"


# ---------------------------------------------------------------- verification


def test_verification_marks_true_and_false_claims() -> None:
    text = ("The classifier predicted this text as 'positive' because \"wonderful\" (0.90) and \"moving\" (0.75) "
            "have positive scores, while \"not\" is negative. The word \"terrible\" matters too. "
            "\"story\" is the most important word. The model predicted negative.")
    v = verify_text_verbalization(text, TOKENS, SCORES, "positive", labels=LABELS)
    got = statuses(v)
    assert ("label", "positive", "supported") in got
    assert ("word", "wonderful", "supported") in got
    assert ("number", "0.90", "supported") in got
    assert ("number", "0.75", "contradicted") in got  # "moving" scores 0.70
    assert ("sign", "positive", "supported") in got
    assert ("sign", "negative", "supported") in got  # "not" scores -0.3
    assert ("word", "terrible", "contradicted") in got  # not in the text
    assert ("word_top", "story", "contradicted") in got  # "story" 0.3 < "wonderful" 0.9
    assert ("label", "negative", "contradicted") in got
    assert v.supported == 8 and v.contradicted == 4  # 4 words, 1 number, 2 signs, 1 label hold
    assert v.fidelity == pytest.approx(8 / 12)


def test_verification_reads_the_inline_scores_the_prompt_shows() -> None:
    shown = scored_text(["great", "movie"], [0.81, 0.1])
    assert shown == "great (0.81) [s1] movie (0.10) [s2]"
    v = verify_text_verbalization("Scores: great (0.81), movie (0.20).", ["great", "movie"], [0.81, 0.1])
    assert statuses(v) == [("word", "great", "supported"), ("number", "0.81", "supported"),
                           ("word", "movie", "supported"), ("number", "0.20", "contradicted")]


def test_a_cited_fact_id_is_checked_against_exactly_that_words_score() -> None:
    tokens, scores = ["great", "movie", "great"], [0.81, 0.1, 0.3]
    v = verify_text_verbalization("'great' (0.81) [s1] matters most; 'great' (0.81) [s3] again; 'movie' (0.10) [s1]; "
                                  "'movie' (0.10) [s7].", tokens, scores, "positive", labels=LABELS)
    cited = [(c.text, c.status, c.fact) for c in v.claims if c.kind == "citation"]
    assert cited == [("0.81", "supported", "s1 = 0.81"),  # the first 'great' scores 0.81
                     ("0.81", "contradicted", "s3 = 0.3"),  # the second does not, although the word does elsewhere
                     ("0.10", "contradicted", "s1 = 0.81"),  # right number, wrong citation
                     ("0.10", "contradicted", "s7")]  # an id that names no token
    assert any("no token of this text" in c.reason for c in v.claims)
    assert not [c for c in v.claims if c.kind == "number"]  # a cited number is read once, as its citation


def test_negated_and_uncheckable_statements_are_not_counted_as_true() -> None:
    v = verify_text_verbalization('The word "film" is not positive. It saw 3 films; 80% sure.',
                                  ["a", "film"], [0.1, 0.5], "positive", labels=LABELS)
    assert [(c.kind, c.status) for c in v.claims if c.kind != "word"] == [
        ("sign", "unverifiable"), ("number", "unverifiable"), ("number", "unverifiable")]
    with_p = verify_text_verbalization("It is 80% sure.", ["a"], [0.1], "positive", probability=0.8)
    assert statuses(with_p) == [("number", "80%", "supported")]


# ---------------------------------------------------------------- the LLM verbalizer


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory):
    from verbalize.adapters.llm import make_backend

    return make_backend("local", cache_path=tmp_path_factory.mktemp("llm") / "responses.sqlite")


def test_llm_verbalizer_with_the_embedded_model_is_verified(smollm2) -> None:
    tokens = "a warm , funny film".split()
    scores = [0.0, 0.4, 0.0, 0.8, -0.2]
    v = llm_verbalization(smollm2, tokens, scores, "positive", labels=LABELS, max_tokens=48)
    assert isinstance(v, TextVerbalization) and v.verbalizer == "llm"
    assert v.prompt == "feldhus_instruct@2" and v.model and "SmolLM2" in v.model
    assert v.scores_shown == [0.0, 0.5, 0.0, 1.0, -0.25]  # rescaled by the largest magnitude, 2 decimals
    if v.ok:
        assert v.text.strip()
        assert v.verification is not None  # every claim marked; fidelity is None only without claims
        assert (v.verification.fidelity is None) == (v.verification.supported + v.verification.contradicted == 0)
        assert set(v.coverage) == {"1", "3", "5"}
    else:  # a weak model may answer with nothing usable: that is recorded, not raised
        assert v.error and v.text == ""
    call = smollm2.calls[-1]
    assert call.prompt_name == "feldhus_instruct" and call.kind == "generate"
