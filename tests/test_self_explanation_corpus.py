"""The self-explanation parser on 164 answers in the shapes llama, mistral, qwen and gemma chat models
give to the study's prompts (tests/data/self_explanations), and each shape issue 12 names."""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from verbalize.pipeline.text.parse import parse_self_explanation

CORPUS_DIR = Path(__file__).resolve().parent / "data" / "self_explanations"


def _check_corpus():
    spec = importlib.util.spec_from_file_location("check_corpus", CORPUS_DIR / "check_corpus.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_corpus", mod)
    spec.loader.exec_module(mod)
    return mod


def test_parse_success_is_at_least_99_percent_for_every_model_family():
    cc = _check_corpus()
    rows = cc.load()
    by_family: dict[str, list[bool]] = defaultdict(list)
    failures = []
    for row in rows:
        v = cc.check(row)
        ok = v["label"] and v["confidence"] and v["attribution"]
        by_family[row["family"]].append(ok)
        if not ok:
            failures.append(f"{row['id']}: {' | '.join(v['reasons'])}")
    assert set(by_family) == {"llama", "mistral", "qwen", "gemma"}
    rates = {f: sum(oks) / len(oks) for f, oks in by_family.items()}
    assert all(r >= 0.99 for r in rates.values()), (rates, failures)


LABELS = ["negative", "positive"]


def _nonzero(r, toks):
    return {toks[i]: s for i, s in enumerate(r.scores) if s}


def test_template_angle_brackets_around_an_index_label_and_the_pairs():
    toks = "a gorgeous , witty film".split()
    raw = "(<1, 0.9>)\n[(<'a'>, <0.0>), (<'gorgeous'>, <0.8>), (<','>, <0.0>), (<'witty'>, <0.7>), (<'film'>, <0.1>)]"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert (r.label, r.confidence, r.parse_ok) == ("positive", 0.9, True)
    assert _nonzero(r, toks) == {"gorgeous": 0.8, "witty": 0.7, "film": 0.1}
    assert any("angle brackets" in n for n in r.notes)


def test_template_angle_brackets_around_a_label_name():
    toks = "the plot is predictable but the cast is terrific".split()
    raw = "(<positive>, <0.9>)\n[(<'terrific'>, <0.9>), (<'predictable'>, <-0.4>)]"
    r = parse_self_explanation(raw, toks, "pe-topk", labels=LABELS)
    assert (r.label, r.confidence) == ("positive", 0.9)
    assert _nonzero(r, toks) == {"terrific": 0.9, "predictable": -0.4}


def test_python2_unicode_strings():
    toks = "i want to walk out".split()
    raw = "(0, 0.8)\n[(u'i', 0.0), (u'want', -0.1), (u'to', 0.0), (u'walk', -0.7), (u\"out\", -0.6)]"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert r.label == "negative"
    assert _nonzero(r, toks) == {"want": -0.1, "walk": -0.7, "out": -0.6}
    assert any("u'" in n for n in r.notes)


def test_an_exact_citation_later_in_the_list_beats_an_earlier_lenient_one():
    toks = "you 're not going , re watch it".split()
    raw = "(negative, 0.85)\n[(\"you\", 0.0), (\"re\", 0.0), (\"'re\", -0.1), (\"not\", -0.6), (\"watch\", 0.1)]"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert r.scores[1] == -0.1  # 're gets its own score, not the 0.0 cited for "re"
    assert r.scores[5] == 0.0 and r.scores[2] == -0.6 and r.scores[6] == 0.1


def test_capitalised_citation_lands_on_the_occurrence_the_exact_citations_leave():
    toks = "the cast and the script make the film".split()
    raw = "(positive, 0.8)\n[('The', 0.1), ('cast', 0.5), ('the', 0.0), ('the', 0.0), ('film', 0.2)]"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert r.scores[0] == 0.0 and r.scores[3] == 0.0 and r.scores[6] == 0.1


def test_an_attribution_list_starting_with_a_numeric_pair_is_not_the_prediction():
    toks = "0 stars , a waste".split()
    raw = "[(0.0, 0.0), ('stars', -0.2), (',', 0.0), ('a', 0.0), ('waste', -0.9)]\n(negative, 0.9)"
    r = parse_self_explanation(raw, toks, "ep", labels=LABELS)
    assert (r.label, r.confidence) == ("negative", 0.9)
    assert _nonzero(r, toks) == {"stars": -0.2, "waste": -0.9}


def test_markdown_table():
    toks = "a gorgeous , witty film".split()
    raw = "(positive, 0.95)\n\n| Token | Importance |\n|---|---|\n| a | 0.0 |\n| gorgeous | 0.8 |\n| , | 0.0 |\n| witty | 0.7 |\n| film | -0.1 |"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert r.parse_ok and _nonzero(r, toks) == {"gorgeous": 0.8, "witty": 0.7, "film": -0.1}


@pytest.mark.parametrize(
    "line, label, conf",
    [
        ("Sentiment: Negative (0.90 confidence)", "negative", 0.9),
        ("**Classification:** Positive (90%)", "positive", 0.9),
        ("**Classification:** Negative (85% confidence)", "negative", 0.85),
    ],
)
def test_confidence_after_a_keyed_label(line, label, conf):
    toks = "a fine film".split()
    r = parse_self_explanation(f"{line}\n[('fine', 0.5)]", toks, "pe-topk", labels=LABELS)
    assert (r.label, r.confidence) == (label, conf)


def test_words_that_start_like_a_prediction_key_are_kept():
    toks = "the plot is predictable and sentimental".split()
    raw = "Sentiment: negative\nConfidence: 0.7\n\npredictable: -0.6\nsentimental: -0.3\nplot: 0.0"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert (r.label, r.confidence) == ("negative", 0.7)
    assert _nonzero(r, toks) == {"predictable": -0.6, "sentimental": -0.3}


def test_quoted_json_numbers():
    toks = "what a waste".split()
    raw = '{"label": "negative", "confidence": "0.9"}\n[{"word": "what", "score": "0.0"}, {"word": "waste", "score": "-0.9"}]'
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert (r.label, r.confidence) == ("negative", 0.9)
    assert _nonzero(r, toks) == {"waste": -0.9}


def test_an_explain_list_never_closed_followed_by_the_prediction():
    toks = "a charming film .".split()
    raw = "[('a', 0.0), ('charming', 0.8), ('film', 0.1), ('.', 0.0)\n(positive, 0.95)"
    r = parse_self_explanation(raw, toks, "ep", labels=LABELS)
    assert (r.label, r.confidence) == ("positive", 0.95)
    assert _nonzero(r, toks) == {"charming": 0.8, "film": 0.1}


def test_a_closed_list_ending_with_a_label_word_keeps_it_as_a_citation():
    toks = "a positive surprise".split()
    raw = "(1, 0.9)\n[('a', 0.0), ('surprise', 0.4), ('positive', 0.6)]"
    r = parse_self_explanation(raw, toks, "pe", labels=LABELS)
    assert r.label == "positive" and _nonzero(r, toks) == {"positive": 0.6, "surprise": 0.4}
