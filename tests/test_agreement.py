"""Agreement metrics on hand-computed examples, in both ranking modes."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pytest

from verbalize.eval.agreement import (
    AGREEMENT_METRICS,
    agreement_matrix,
    default_k,
    feature_agreement,
    iou,
    mean_matrices,
    pairwise_rank_agreement,
    rank_agreement,
    rank_correlation,
    ranking,
    sign_agreement,
    signed_rank_agreement,
    tie_spread,
    tied_share,
)

# Ten tokens, so k = max(floor(0.2 * 10), 1) = 2.
#            0     1     2    3    4     5     6     7     8     9
A10 = [0.1, -0.9, 0.5, 0.0, 0.3, -0.2, 0.05, 0.4, -0.6, 0.2]
B10 = [0.8, -0.1, 0.6, 0.0, -0.3, 0.2, 0.05, 0.1, -0.7, 0.4]
# by |score|: top-2 of A10 = [1, 8], of B10 = [0, 8]
# by signed score: top-2 of A10 = [2, 7], of B10 = [0, 2]

# Six tokens with k = 3, where a shared top token has opposite signs.
A6 = [0.9, -0.8, 0.1, 0.7, 0.0, -0.2]
B6 = [0.6, 0.5, -0.9, -0.4, 0.1, 0.0]
# by |score|: top-3 of A6 = [0, 1, 3], of B6 = [2, 0, 1]


def test_default_k_is_a_fifth_of_the_tokens_at_least_one():
    assert [default_k(n) for n in (0, 1, 4, 5, 9, 10, 14, 15, 23)] == [1, 1, 1, 1, 1, 2, 2, 3, 4]


def test_ranking_is_by_magnitude_or_signed_score_with_ties_in_text_order():
    assert ranking(A10, "abs").tolist()[:4] == [1, 8, 2, 7]
    assert ranking(A10, "signed").tolist()[:4] == [2, 7, 4, 9]
    assert ranking([0.5, -0.5, 0.5, 0.0], "abs").tolist() == [0, 1, 2, 3]
    assert ranking([0.5, -0.5, 0.5, 0.0], "signed").tolist() == [0, 2, 3, 1]


def test_top_k_metrics_by_absolute_score():
    assert feature_agreement(A10, B10) == pytest.approx(1 / 2)  # {1, 8} ∩ {0, 8}
    assert rank_agreement(A10, B10) == pytest.approx(1 / 2)  # token 8 at rank 2 in both
    assert sign_agreement(A10, B10) == pytest.approx(1 / 2)  # token 8 negative in both
    assert signed_rank_agreement(A10, B10) == pytest.approx(1 / 2)
    assert iou(A10, B10) == pytest.approx(1 / 3)  # {8} / {0, 1, 8}


def test_top_k_metrics_by_signed_score_as_huang_et_al():
    assert feature_agreement(A10, B10, rank_by="signed") == pytest.approx(1 / 2)  # {2, 7} ∩ {0, 2}
    assert rank_agreement(A10, B10, rank_by="signed") == 0.0  # [2, 7] vs [0, 2]: no rank shared
    assert sign_agreement(A10, B10, rank_by="signed") == pytest.approx(1 / 2)  # token 2 positive in both
    assert signed_rank_agreement(A10, B10, rank_by="signed") == 0.0
    assert iou(A10, B10, rank_by="signed") == pytest.approx(1 / 3)


def test_sign_agreement_counts_only_shared_tokens_with_the_same_sign():
    assert feature_agreement(A6, B6, k=3) == pytest.approx(2 / 3)  # {0, 1} shared
    assert sign_agreement(A6, B6, k=3) == pytest.approx(1 / 3)  # token 1 is -0.8 vs +0.5
    assert rank_agreement(A6, B6, k=3) == 0.0
    assert signed_rank_agreement(A6, B6, k=3) == 0.0
    assert iou(A6, B6, k=3) == pytest.approx(2 / 4)


def test_rank_correlation_is_spearman_of_the_ranking_keys():
    # |A6| ranks [6,5,2,4,1,3], |B6| ranks [5,4,6,3,2,1]: Σd² = 24, ρ = 1 − 6·24/(6·35) = 11/35
    assert rank_correlation(A6, B6) == pytest.approx(11 / 35)
    # signed ranks [6,1,4,5,3,2] vs [6,5,1,2,4,3]: Σd² = 36, ρ = 1 − 216/210 = −1/35
    assert rank_correlation(A6, B6, rank_by="signed") == pytest.approx(-1 / 35)


def test_pairwise_rank_agreement_counts_pairs_in_the_same_order():
    # rank positions by |score|: A6 [0,1,4,2,5,3], B6 [1,2,0,3,4,5] -> 10 of 15 pairs agree
    assert pairwise_rank_agreement(A6, B6) == pytest.approx(10 / 15)
    assert pairwise_rank_agreement(A6, A6) == 1.0
    reverse = [6, 5, 4, 3, 2, 1]
    assert pairwise_rank_agreement([1, 2, 3, 4, 5, 6], reverse, rank_by="signed") == 0.0


def test_ties_are_broken_by_position_deterministically():
    a = [0.5, 0.5, 0.5, 0.1, 0.1]
    b = [0.1, 0.5, 0.5, 0.5, 0.0]
    # top-2: a -> [0, 1], b -> [1, 2]
    assert feature_agreement(a, b, k=2, ties="position") == pytest.approx(1 / 2)
    assert rank_agreement(a, b, k=2, ties="position") == 0.0
    assert [feature_agreement(a, b, k=2, ties="position") for _ in range(5)] == [0.5] * 5


def test_identical_explanations_agree_perfectly():
    no_ties = [0.1, -0.9, 0.5, 0.0, 0.3, -0.2, 0.05, 0.4, -0.6, 0.25]
    for name, fn in ((e.name, e.obj) for e in AGREEMENT_METRICS):
        assert fn(no_ties, no_ties) == pytest.approx(1.0), name
        assert fn(A10, A10, ties="position") == pytest.approx(1.0), name


def test_undefined_cases_are_nan_not_errors():
    for fn in (e.obj for e in AGREEMENT_METRICS):
        assert math.isnan(fn([], []))
    assert math.isnan(rank_correlation([0.2, 0.2, 0.2], [0.1, 0.5, 0.3]))  # constant
    assert math.isnan(rank_correlation([0.3, -0.3], [0.1, 0.5]))  # constant |a|
    assert rank_correlation([0.3, -0.3], [0.1, 0.5], rank_by="signed") == pytest.approx(-1.0)
    assert math.isnan(pairwise_rank_agreement([0.4], [0.1]))  # no pairs
    assert feature_agreement([0.4], [-0.1]) == 1.0  # one token: k = 1, the same token
    assert sign_agreement([0.4], [-0.1]) == 0.0


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="length"):
        feature_agreement([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match="k must be"):
        feature_agreement([1, 2, 3], [1, 2, 3], k=4)
    with pytest.raises(ValueError, match="k must be"):
        iou([1, 2, 3], [1, 2, 3], k=0)
    with pytest.raises(ValueError, match="rank_by"):
        rank_agreement([1, 2], [1, 2], rank_by="magnitude")  # type: ignore[arg-type]


def _huang_lists(scores):
    """Huang et al.'s input format: token indices and values, sorted by descending signed score."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    return order, [scores[i] for i in order]


def test_signed_mode_matches_huang_et_al_list_based_definitions_on_random_data():
    """Their code works on ranked index lists; the vector form must give the same numbers."""
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(3, 25))
        a, b = rng.uniform(-1, 1, n).tolist(), rng.uniform(-1, 1, n).tolist()
        k = default_k(n)
        la, va = _huang_lists(a)
        lb, vb = _huang_lists(b)
        ta, tb = la[:k], lb[:k]
        fa = len(set(ta) & set(tb)) / k
        ra = sum(i in tb and ta.index(i) == tb.index(i) for i in ta) / k
        sa = sum(i in tb and va[ta.index(i)] * vb[tb.index(i)] > 0 for i in ta) / k
        sra = (
            sum(i in tb and va[ta.index(i)] * vb[tb.index(i)] > 0 and ta.index(i) == tb.index(i) for i in ta)
            / k
        )
        pra = np.mean([lb.index(i) < lb.index(j) for i, j in combinations(la, 2)])
        iou_ = len(set(ta) & set(tb)) / len(set(ta) | set(tb))
        assert feature_agreement(a, b, rank_by="signed") == pytest.approx(fa)
        assert rank_agreement(a, b, rank_by="signed") == pytest.approx(ra)
        assert sign_agreement(a, b, rank_by="signed") == pytest.approx(sa)
        assert signed_rank_agreement(a, b, rank_by="signed") == pytest.approx(sra)
        assert pairwise_rank_agreement(a, b, rank_by="signed") == pytest.approx(pra)
        assert iou(a, b, rank_by="signed") == pytest.approx(iou_)


def test_agreement_matrix_holds_every_pair_symmetrically():
    named = {"self": A10, "occlusion": B10, "lime": list(reversed(A10))}
    mats = agreement_matrix(named)
    assert set(mats) == set(AGREEMENT_METRICS.names())
    fa = mats["feature_agreement"]
    assert fa.names == ("self", "occlusion", "lime")
    assert fa.get("self", "occlusion") == fa.get("occlusion", "self") == pytest.approx(1 / 2)
    assert [fa.values[i][i] for i in range(3)] == [1.0, 1.0, 1.0]
    assert mats["rank_agreement"].get("self", "lime") == rank_agreement(A10, list(reversed(A10)))
    assert fa.as_dict()["self"]["occlusion"] == pytest.approx(1 / 2)
    signed = agreement_matrix(named, rank_by="signed", metrics=["rank_agreement"])
    assert list(signed) == ["rank_agreement"]
    assert signed["rank_agreement"].get("self", "occlusion") == 0.0
    with pytest.raises(ValueError, match="same tokens"):
        agreement_matrix({"a": [1, 2, 3], "b": [1, 2]})


def test_mean_matrices_average_texts_and_skip_nan():
    one = agreement_matrix({"x": [0.2, 0.2, 0.2], "y": [0.1, 0.5, 0.3]}, metrics=["rank_correlation", "iou"])
    two = agreement_matrix({"x": [0.1, 0.2, 0.3], "y": [0.1, 0.3, 0.5]}, metrics=["rank_correlation", "iou"])
    mean = mean_matrices([one, two])
    # text one's correlation is undefined (constant x): the mean is text two's value alone
    assert math.isnan(one["rank_correlation"].get("x", "y"))
    assert two["rank_correlation"].get("x", "y") == pytest.approx(1.0)
    assert mean["rank_correlation"].get("x", "y") == pytest.approx(1.0)
    # IoU of the top-1 sets: text one: any of the three tied x tokens vs {1} = 1/3 expected,
    # text two {2} vs {2} = 1
    assert mean["iou"].get("x", "y") == pytest.approx((1 / 3 + 1) / 2)
    assert math.isnan(mean_matrices([one])["rank_correlation"].get("x", "x"))  # NaN everywhere stays NaN
    assert mean_matrices([]) == {}


# --------------------------------------------------------------------------- ties (issue 12)

ZEROS10 = [0.0] * 10  # k = 2


def test_two_all_zero_explanations_do_not_agree_perfectly():
    k, n = 2, 10
    assert feature_agreement(ZEROS10, ZEROS10) == pytest.approx(k / n)
    assert rank_agreement(ZEROS10, ZEROS10) == pytest.approx(1 / n)
    assert pairwise_rank_agreement(ZEROS10, ZEROS10) == pytest.approx(0.5)
    # |I| = 2 with p 1/45, 1 with p 16/45 (IoU 1/3), else 0
    assert iou(ZEROS10, ZEROS10) == pytest.approx((1 + 16 / 3) / 45)
    # zero carries no sign, whatever the tie mode
    for ties in ("expected", "position", "epsilon"):
        assert sign_agreement(ZEROS10, ZEROS10, ties=ties) == 0.0
        assert signed_rank_agreement(ZEROS10, ZEROS10, ties=ties) == 0.0
    # the old behaviour, kept as an option, rewards the ties
    assert feature_agreement(ZEROS10, ZEROS10, ties="position") == 1.0
    assert pairwise_rank_agreement(ZEROS10, ZEROS10, ties="position") == 1.0


TA = [0.9, 0.5, 0.5, 0.0, 0.0]
TB = [0.9, 0.0, 0.5, 0.5, 0.0]
# k = 2: token 0 is in both top-2 sets; a's second place goes to token 1 or 2, b's to 2 or 3


def test_the_three_tie_modes_against_hand_computed_values():
    # expected: token 2 is in both with probability 1/2 · 1/2
    assert feature_agreement(TA, TB, k=2) == pytest.approx((1 + 0.25) / 2)
    assert rank_agreement(TA, TB, k=2) == pytest.approx((1 + 0.25) / 2)
    assert sign_agreement(TA, TB, k=2) == pytest.approx((1 + 0.25) / 2)
    # IoU: {0,2} vs {0,2} = 1 with p 1/4, else 1/3
    assert iou(TA, TB, k=2) == pytest.approx(0.25 * 1 + 0.75 / 3)
    # position: a -> {0, 1}, b -> {0, 2}
    assert feature_agreement(TA, TB, k=2, ties="position") == pytest.approx(0.5)
    assert rank_agreement(TA, TB, k=2, ties="position") == pytest.approx(0.5)
    assert iou(TA, TB, k=2, ties="position") == pytest.approx(1 / 3)
    # epsilon: U(-1e-3, 1e-3) on every key, one independent seeded stream per explanation
    for seed in range(5):
        ea = np.random.default_rng([seed, 0]).uniform(-1e-3, 1e-3, 5)
        eb = np.random.default_rng([seed, 1]).uniform(-1e-3, 1e-3, 5)
        ta = set(np.argsort(-(np.abs(TA) + ea))[:2].tolist())
        tb = set(np.argsort(-(np.abs(TB) + eb))[:2].tolist())
        assert feature_agreement(TA, TB, k=2, ties="epsilon", seed=seed) == len(ta & tb) / 2
        assert iou(TA, TB, k=2, ties="epsilon", seed=seed) == len(ta & tb) / len(ta | tb)
    # epsilon never reorders scores further apart than the noise
    assert feature_agreement(A10, B10, ties="epsilon") == feature_agreement(A10, B10, ties="position")


def test_pairwise_rank_agreement_counts_a_tied_pair_as_half_agreeing():
    # pairs of TA/TB by |score|: 10 pairs; hand count with P(before) = 1/2 on ties
    a, b = np.abs(TA), np.abs(TB)
    total = 0.0
    for i, j in combinations(range(5), 2):
        pa = 1.0 if a[i] > a[j] else 0.0 if a[i] < a[j] else 0.5
        pb = 1.0 if b[i] > b[j] else 0.0 if b[i] < b[j] else 0.5
        total += pa * pb + (1 - pa) * (1 - pb)
    assert pairwise_rank_agreement(TA, TB) == pytest.approx(total / 10)
    # token 0 before all (4), (1,2) .5, (1,3) 0, (1,4) .5, (2,3) .5, (2,4) 1, (3,4) .5
    assert total / 10 == pytest.approx(0.7)


def test_the_expected_value_is_the_mean_of_random_tie_breakings():
    rng = np.random.default_rng(3)
    a = rng.choice([0.0, 0.1, 0.5], 12)
    b = rng.choice([0.0, -0.1, 0.2], 12)
    for name in ("feature_agreement", "rank_agreement", "sign_agreement", "pairwise_rank_agreement", "iou"):
        fn = AGREEMENT_METRICS.get(name).obj
        mean, spread = tie_spread(fn, a, b, draws=2000)
        assert mean == pytest.approx(fn(a, b), abs=4 * spread / math.sqrt(2000) + 1e-9), name
        assert spread > 0, name
    assert tie_spread(feature_agreement, A10[:4], B10[:4]) == (feature_agreement(A10[:4], B10[:4]), 0.0)


def test_tied_share_and_bad_tie_mode():
    assert tied_share([0.0, 0.0, 0.3, -0.3, 0.1]) == pytest.approx(4 / 5)  # |0.3| twice, 0 twice
    assert tied_share([0.0, 0.0, 0.3, -0.3, 0.1], rank_by="signed") == pytest.approx(2 / 5)
    with pytest.raises(ValueError, match="ties"):
        feature_agreement([1, 2], [1, 2], ties="coin")  # type: ignore[arg-type]
