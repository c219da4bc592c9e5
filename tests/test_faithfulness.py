"""Faithfulness metrics against a transparent lexicon classifier whose right answers are known by hand.

The classifier: p(positive) = clip(0.5 + 0.1 · Σ weight(token), 0, 1) with great = +3, boring = −2,
every other word 0. For "a great but boring film" Σ = 1, so p(positive) = 0.6.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from verbalize.core.scoring import Scorer, value_key
from verbalize.eval.faithfulness import (
    FAITHFULNESS_METRICS,
    comprehensiveness,
    descending_order,
    df_frac,
    df_mit,
    faithfulness_report,
    flip_share,
    rank_del,
    sufficiency,
)

WEIGHTS = {"great": 3.0, "boring": -2.0}
TOKENS = ["a", "great", "but", "boring", "film"]
# A faithful explanation: great most positive, boring most negative.
GOOD = [0.0, 0.9, 0.1, -0.8, 0.05]  # descending order: great, but, film, a, boring
POS, NEG = 1, 0


def lexicon(batch: list[list[str]]) -> np.ndarray:
    """(n, 2) probabilities [p(negative), p(positive)]; refuses the empty text (never sent)."""
    rows = []
    for tokens in batch:
        assert tokens, "the empty text must not reach the model"
        p = min(max(0.5 + 0.1 * sum(WEIGHTS.get(t, 0.0) for t in tokens), 0.0), 1.0)
        rows.append([1.0 - p, p])
    return np.array(rows)


class Counting:
    """Wraps a scorer and records every call's inputs."""

    def __init__(self, scorer):
        self.scorer = scorer
        self.calls: list[list[list[str]]] = []

    def __call__(self, batch):
        self.calls.append([list(t) for t in batch])
        return self.scorer(batch)


def test_order_is_descending_signed_score_with_ties_by_position():
    assert descending_order(GOOD) == [1, 2, 4, 0, 3]
    assert descending_order([0.0, 0.0, 0.2, 0.0]) == [2, 0, 1, 3]


def test_comprehensiveness_by_hand():
    # deleting great, but, film, a, boring in turn: p = .6, .3, .3, .3, .3, then the empty text .5
    # comp = (0 + .3 + .3 + .3 + .3 + .1) / 6
    assert comprehensiveness(lexicon, TOKENS, GOOD, POS) == pytest.approx(1.3 / 6)
    # for the other label every difference changes sign
    assert comprehensiveness(lexicon, TOKENS, GOOD, NEG) == pytest.approx(-1.3 / 6)


def test_comprehensiveness_prefers_the_faithful_explanation_to_its_reverse():
    reverse = [-s for s in GOOD]  # boring first: deleting it raises p(positive) to .8
    assert comprehensiveness(lexicon, TOKENS, reverse, POS) == pytest.approx((4 * -0.2 + 0.1) / 6)
    assert comprehensiveness(lexicon, TOKENS, GOOD, POS) > comprehensiveness(lexicon, TOKENS, reverse, POS)


def test_sufficiency_by_hand():
    # keeping nothing (.5), great (.8), +but (.8), +film (.8), +a (.8), everything (.6)
    # suff = (.1 + .2 + .2 + .2 + .2 + 0) / 6
    assert sufficiency(lexicon, TOKENS, GOOD, POS) == pytest.approx(0.9 / 6)


def test_df_mit_flips_when_the_top_token_carries_the_decision():
    assert df_mit(lexicon, TOKENS, GOOD) is True  # without great: p = .3, negative
    assert df_mit(lexicon, TOKENS, [-s for s in GOOD]) is False  # without boring: .8, still positive
    assert flip_share([True, False, None, True]) == pytest.approx(2 / 3)
    assert math.isnan(flip_share([None]))


def test_df_frac_counts_tokens_until_the_first_flip():
    assert df_frac(lexicon, TOKENS, GOOD) == pytest.approx(1 / 6)  # flips after one deletion
    # all-zero scores keep text order: deleting a (.6) then great (.3) flips at j = 2
    assert df_frac(lexicon, TOKENS, [0.0] * 5) == pytest.approx(2 / 6)
    # reverse: .8 until only the empty text is left, which has no decision -> never flips
    assert df_frac(lexicon, TOKENS, [-s for s in GOOD]) == 1.0


def test_rank_del_by_hand():
    # single-deletion drops p(x) − p(x \ i): a 0, great .3, but 0, boring −.2, film 0
    # Spearman(drops, GOOD): ranks [3,5,3,1,3] vs [2,5,4,1,3] -> 8 / sqrt(8 · 10)
    assert rank_del(lexicon, TOKENS, GOOD, POS) == pytest.approx(8 / math.sqrt(80))
    assert math.isnan(rank_del(lexicon, TOKENS, [0.3] * 5, POS))  # constant scores: undefined
    assert math.isnan(rank_del(lexicon, ["great"], [0.9], POS))  # one token: undefined


def test_empty_text_counts_as_uniform_for_any_number_of_labels():
    def three(batch):
        return np.array([[0.1, 0.7, 0.2] for _ in batch])

    # one token: comp = (0 + (p − 1/3)) / 2 and suff = (|p − 1/3| + 0) / 2
    assert comprehensiveness(three, ["x"], [1.0], 1) == pytest.approx((0.7 - 1 / 3) / 2)
    assert sufficiency(three, ["x"], [1.0], 1) == pytest.approx((0.7 - 1 / 3) / 2)
    assert df_mit(three, ["x"], [1.0]) is False  # the empty text has no decision


def test_no_tokens_means_undefined_and_no_model_call():
    spy = Counting(lexicon)
    assert math.isnan(comprehensiveness(spy, [], [], POS))
    assert df_mit(spy, [], []) is None
    report = faithfulness_report(spy, [], [], POS)
    assert report["df_mit"] is None and math.isnan(report["rank_del"]) and report["n_tokens"] == 0
    assert spy.calls == []


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match="4 scores for 5 tokens"):
        sufficiency(lexicon, TOKENS, GOOD[:4], POS)
    with pytest.raises(ValueError, match="scorer returned shape"):
        comprehensiveness(lambda batch: np.zeros(len(batch)), TOKENS, GOOD, POS)


@pytest.mark.parametrize(
    "metric",
    [
        lambda s: comprehensiveness(s, TOKENS, GOOD, POS),
        lambda s: sufficiency(s, TOKENS, GOOD, POS),
        lambda s: df_mit(s, TOKENS, GOOD),
        lambda s: df_frac(s, TOKENS, GOOD),
        lambda s: rank_del(s, TOKENS, GOOD, POS),
    ],
    ids=["comprehensiveness", "sufficiency", "df_mit", "df_frac", "rank_del"],
)
def test_each_metric_scores_its_perturbations_in_one_call(metric):
    spy = Counting(lexicon)
    metric(spy)
    assert len(spy.calls) == 1
    assert all(spy.calls[0])  # no empty text sent


def test_report_shares_all_perturbations_in_one_batched_scorer_call():
    scorer = Scorer(forward=lexicon, batch_size=64, key=value_key)
    spy = Counting(scorer)
    report = faithfulness_report(spy, TOKENS, GOOD, POS)

    assert len(spy.calls) == 1
    # requested: the original, top-j deleted (j = 0..4), top-j kept (j = 1..5), 5 single deletions
    assert report["inputs_requested"] == scorer.stats.inputs_requested == 16
    # duplicates: deleted[0] and kept[5] are the original; single(great) = deleted[1];
    # single(boring) = kept[4]. 12 distinct texts in one forward pass.
    assert scorer.stats.duplicates_removed == 4
    assert scorer.stats.inputs_scored == 12
    assert scorer.stats.forward_passes == 1

    assert report["comprehensiveness"] == pytest.approx(comprehensiveness(lexicon, TOKENS, GOOD, POS))
    assert report["sufficiency"] == pytest.approx(sufficiency(lexicon, TOKENS, GOOD, POS))
    assert report["df_mit"] is True
    assert report["df_frac"] == pytest.approx(1 / 6)
    assert report["rank_del"] == pytest.approx(rank_del(lexicon, TOKENS, GOOD, POS))
    assert report["p_original"] == pytest.approx(0.6)
    assert report["n_tokens"] == 5


def test_report_batches_by_the_scorers_batch_size_not_by_perturbation():
    scorer = Scorer(forward=lexicon, batch_size=5, key=value_key, memoize=False)
    faithfulness_report(scorer, TOKENS, GOOD, POS)
    assert scorer.stats.forward_passes == scorer.planned_passes(12) == 3


def test_every_registered_metric_takes_the_same_arguments_and_matches_the_report():
    report = faithfulness_report(lexicon, TOKENS, GOOD, POS)
    for name, fn in ((e.name, e.obj) for e in FAITHFULNESS_METRICS):
        assert fn(lexicon, TOKENS, GOOD, POS) == pytest.approx(report[name]), name
