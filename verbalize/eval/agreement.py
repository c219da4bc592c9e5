"""Agreement between two token attributions of the same text (Krishna et al.'s "disagreement problem").

Every metric is a pure function of two equal-length score vectors
``(a, b, k=None, rank_by="abs", ties="expected", seed=0)``,
one score per token, so the same code compares a self-explanation with occlusion, LIME with SHAP,
or anything with anything.

Ranking. A metric that looks at "the top k" ranks tokens by a key and keeps the first k:

* ``rank_by="abs"`` (default): key = |score|, descending. This is Krishna et al.'s definition:
  a strongly negative token is as important as a strongly positive one.
* ``rank_by="signed"``: key = score, descending. This is what Huang et al.'s code did (it sorted
  the (token, score) lists by signed score), so use it to reproduce their numbers.

Ties. Occlusion gives exact zeros for most tokens and self-explanations repeat 0.0 and 0.1, so how
tied tokens are ordered decides a large part of any top-k or pairwise metric. ``ties="expected"``
(default) reports the metric's expectation when ties are broken uniformly at random, independently
in the two explanations: exact for feature, rank, sign and signed rank agreement and pairwise rank
agreement, the mean over ``IOU_DRAWS`` seeded draws for IoU (`tie_spread` reports the deviation).
Two all-zero explanations of n tokens thus get feature agreement k/n, not 1. ``ties="position"``
breaks ties by text position (the earlier token first: this module's behaviour before issue 12);
``ties="epsilon"`` adds U(−1e-3, 1e-3) to every key from an independent seeded stream per
explanation (Huang et al.'s method, without their shared stream); ``ties="random"`` is one seeded
random tie-breaking. Every result is deterministic for a given seed.

Sign. Zero carries no sign: sign and signed rank agreement count a token only when both scores are
non-zero with the same sign (Huang et al. tested a_i · b_i > 0 too).

k defaults to ``max(floor(0.2 * n), 1)``, the value both papers used.

Undefined values are NaN, never an exception: every metric of two empty vectors, Spearman when a
key vector is constant (or n < 2), pairwise rank agreement when n < 2 (there are no pairs).
"""

from __future__ import annotations

import inspect
import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, combinations_with_replacement
from typing import Literal

import numpy as np
from scipy import stats

from verbalize.core.registry import Registry

RankBy = Literal["abs", "signed"]
Scores = Sequence[float] | np.ndarray


def default_k(n: int) -> int:
    """k = max(floor(0.2 * n), 1): the top-k size of Krishna et al. and Huang et al."""
    return max(math.floor(0.2 * n), 1)


def _vectors(a: Scores, b: Scores) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(a, dtype=float).reshape(-1)
    y = np.asarray(b, dtype=float).reshape(-1)
    if x.shape != y.shape:
        raise ValueError(f"score vectors differ in length: {x.size} vs {y.size}")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("score vectors must be finite")
    return x, y


def _key(x: np.ndarray, rank_by: RankBy) -> np.ndarray:
    if rank_by == "abs":
        return np.abs(x)
    if rank_by == "signed":
        return x
    raise ValueError(f"rank_by must be 'abs' or 'signed', got {rank_by!r}")


def ranking(scores: Scores, rank_by: RankBy = "abs") -> np.ndarray:
    """Token indices from most to least important; ties keep text order (stable sort)."""
    x = np.asarray(scores, dtype=float).reshape(-1)
    return np.argsort(-_key(x, rank_by), kind="stable")


def _k(n: int, k: int | None) -> int:
    if k is None:
        return default_k(n)
    if not 1 <= k <= n:
        raise ValueError(f"k must be between 1 and the number of tokens ({n}), got {k}")
    return k


def _top(
    a: Scores, b: Scores, k: int | None, rank_by: RankBy
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int] | None:
    """(a, b, top-k indices of a, top-k indices of b, k), or None for empty vectors."""
    x, y = _vectors(a, b)
    _key(x, rank_by)  # validate rank_by even for empty input
    if x.size == 0:
        return None
    kk = _k(x.size, k)
    return x, y, ranking(x, rank_by)[:kk], ranking(y, rank_by)[:kk], kk


# --------------------------------------------------------------------------- ties
#
# Under ``ties="expected"`` a metric is its expectation when tied tokens are ordered uniformly at
# random, independently in the two explanations. For one explanation with ranking key `key`, token
# i ranks uniformly in [s_i, s_i + g_i), where s_i = #{key > key_i} and g_i = #{key == key_i}; so
# P(i in top k) is 1 above the k-th key, (k - #{key > v}) / #{key == v} on the k-th key v, and 0
# below. FA, SA, RA, SRA and PRA are sums of products of these per-token probabilities (exact);
# IoU is not linear in them and is the mean over `draws` seeded random tie-breakings.


def _rank_bounds(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(s, g): how many tokens rank strictly above each token, and the size of its tie group."""
    srt = np.sort(-key)
    s = np.searchsorted(srt, -key, side="left")
    g = np.searchsorted(srt, -key, side="right") - s
    return s, g


def _p_top(key: np.ndarray, k: int) -> np.ndarray:
    """P(token i is in the top k) under uniformly random tie-breaking."""
    s, g = _rank_bounds(key)
    return np.clip((k - s) / g, 0.0, 1.0)


def _p_rank(key: np.ndarray, k: int) -> np.ndarray:
    """(n, k) array: P(token i holds rank r) for r < k under uniformly random tie-breaking."""
    s, g = _rank_bounds(key)
    r = np.arange(k)[None, :]
    return ((r >= s[:, None]) & (r < (s + g)[:, None])) / g[:, None]


def _p_before(key: np.ndarray) -> np.ndarray:
    """(n, n) array: P(token i ranks before token j); 1/2 for a tie."""
    d = key[:, None] - key[None, :]
    return np.where(d > 0, 1.0, np.where(d < 0, 0.0, 0.5))


def _same_sign(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Zero carries no sign: two scores agree in sign only when both are non-zero with one sign."""
    return (x * y) > 0


def _order(key: np.ndarray, ties: str, rng: np.random.Generator | None) -> np.ndarray:
    """Token indices by descending key: ties by text position, or by a random draw from `rng`."""
    if ties == "position" or rng is None:
        return np.argsort(-key, kind="stable")
    if ties == "epsilon":
        return np.argsort(-(key + rng.uniform(-EPSILON, EPSILON, key.size)), kind="stable")
    return np.lexsort((rng.random(key.size), -key))  # uniformly random among equal keys


EPSILON = 1e-3
"""``ties="epsilon"``: the half-width of the uniform noise added to every ranking key (Huang et al.)."""
Ties = Literal["expected", "position", "epsilon", "random"]
TIES: tuple[str, ...] = ("expected", "position", "epsilon", "random")
"""How tied ranking keys are ordered: ``expected`` (default) the expectation under uniformly random
tie-breaking; ``position`` the earlier token first (deterministic, this module's old behaviour);
``epsilon`` Huang et al.'s U(−EPSILON, EPSILON) noise on every key, drawn from an independent
seeded stream per explanation; ``random`` one seeded uniformly random tie-breaking."""


def _check_ties(ties: str) -> None:
    if ties not in TIES:
        raise ValueError(f"ties must be one of {', '.join(TIES)}, got {ties!r}")


def _orders(x: np.ndarray, y: np.ndarray, rank_by: RankBy, ties: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The two rankings for ``position`` or ``epsilon``: each explanation draws its epsilons from its
    own seeded stream (Huang et al. shared one stream between the two, which aligns their ties)."""
    _check_ties(ties)
    ra = np.random.default_rng([seed, 0]) if ties in ("epsilon", "random") else None
    rb = np.random.default_rng([seed, 1]) if ties in ("epsilon", "random") else None
    return _order(_key(x, rank_by), ties, ra), _order(_key(y, rank_by), ties, rb)


def _prepare(a: Scores, b: Scores, k: int | None, rank_by: RankBy, ties: str) -> tuple[np.ndarray, np.ndarray, int] | None:
    x, y = _vectors(a, b)
    _key(x, rank_by)  # validate rank_by even for empty input
    _check_ties(ties)
    if x.size == 0:
        return None
    return x, y, _k(x.size, k)


def feature_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
                      ties: Ties = "expected", seed: int = 0) -> float:
    """Share of the top-k tokens the two explanations have in common.

    FA = |T_k(a) ∩ T_k(b)| / k, where T_k(x) is the set of the k highest-ranked tokens of x.
    Expected over random tie-breaking: Σ_i P(i ∈ T_k(a)) P(i ∈ T_k(b)) / k (two all-zero
    explanations of n tokens: k/n).
    """
    t = _prepare(a, b, k, rank_by, ties)
    if t is None:
        return math.nan
    x, y, kk = t
    if ties == "expected":
        return float(np.sum(_p_top(_key(x, rank_by), kk) * _p_top(_key(y, rank_by), kk)) / kk)
    oa, ob = _orders(x, y, rank_by, ties, seed)
    return len(set(oa[:kk].tolist()) & set(ob[:kk].tolist())) / kk


def rank_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
                   ties: Ties = "expected", seed: int = 0) -> float:
    """Share of the top-k ranks held by the same token in both explanations.

    RA = |{r < k : T_k(a)[r] = T_k(b)[r]}| / k, where T_k(x)[r] is the token at rank r.
    Expected: Σ_{r<k} Σ_i P(rank_a(i) = r) P(rank_b(i) = r) / k.
    """
    t = _prepare(a, b, k, rank_by, ties)
    if t is None:
        return math.nan
    x, y, kk = t
    if ties == "expected":
        return float(np.sum(_p_rank(_key(x, rank_by), kk) * _p_rank(_key(y, rank_by), kk)) / kk)
    oa, ob = _orders(x, y, rank_by, ties, seed)
    return int(np.sum(oa[:kk] == ob[:kk])) / kk


def sign_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
                   ties: Ties = "expected", seed: int = 0) -> float:
    """Share of the top-k tokens that both explanations rank in their top k with the same sign.

    SA = |{i ∈ T_k(a) ∩ T_k(b) : a_i · b_i > 0}| / k. Zero carries no sign: a token scored 0 by
    either explanation never agrees in sign (as in Huang et al.'s code), so two all-zero
    explanations have sign agreement 0.
    """
    t = _prepare(a, b, k, rank_by, ties)
    if t is None:
        return math.nan
    x, y, kk = t
    same = _same_sign(x, y)
    if ties == "expected":
        return float(np.sum(_p_top(_key(x, rank_by), kk) * _p_top(_key(y, rank_by), kk) * same) / kk)
    oa, ob = _orders(x, y, rank_by, ties, seed)
    return sum(bool(same[i]) for i in set(oa[:kk].tolist()) & set(ob[:kk].tolist())) / kk


def signed_rank_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
                          ties: Ties = "expected", seed: int = 0) -> float:
    """Share of the top-k ranks held by the same token, with the same (non-zero) sign, in both.

    SRA = |{r < k : T_k(a)[r] = T_k(b)[r] = i and a_i · b_i > 0}| / k.
    """
    t = _prepare(a, b, k, rank_by, ties)
    if t is None:
        return math.nan
    x, y, kk = t
    same = _same_sign(x, y)
    if ties == "expected":
        pr = _p_rank(_key(x, rank_by), kk) * _p_rank(_key(y, rank_by), kk)
        return float(np.sum(pr * same[:, None]) / kk)
    oa, ob = _orders(x, y, rank_by, ties, seed)
    return sum(bool(i == j and same[i]) for i, j in zip(oa[:kk], ob[:kk], strict=True)) / kk


def rank_correlation(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
                     ties: Ties = "expected", seed: int = 0) -> float:
    """Spearman's ρ between the ranking keys of all tokens (k is ignored).

    ``expected``: tied keys share their average rank (scipy.stats.spearmanr, the usual tie
    correction). NaN in every mode when n < 2 or a key vector is constant (ρ is undefined there).
    ``position`` / ``epsilon``: Pearson correlation of the ranks after breaking ties that way.
    """
    x, y = _vectors(a, b)
    ka, kb = _key(x, rank_by), _key(y, rank_by)
    _check_ties(ties)
    if x.size < 2 or np.all(ka == ka[0]) or np.all(kb == kb[0]):
        return math.nan  # a constant explanation ranks nothing, however its ties are broken
    if ties != "expected":
        oa, ob = _orders(x, y, rank_by, ties, seed)
        ka, kb = -_positions(oa).astype(float), -_positions(ob).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.spearmanr(ka, kb).statistic)


def _positions(order: np.ndarray) -> np.ndarray:
    pos = np.empty(order.size, dtype=int)
    pos[order] = np.arange(order.size)
    return pos


def pairwise_rank_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
                            ties: Ties = "expected", seed: int = 0) -> float:
    """Share of all token pairs that the two rankings put in the same order (k is ignored).

    PRA = |{(i, j), i < j : (r_a(i) < r_a(j)) = (r_b(i) < r_b(j))}| / C(n, 2), where r_x(i) is
    token i's rank. Expected: a tied pair is ordered either way with probability 1/2, so each pair
    contributes p_a p_b + (1 − p_a)(1 − p_b) with p = P(i before j). NaN when n < 2.
    """
    x, y = _vectors(a, b)
    _key(x, rank_by)
    n = x.size
    _check_ties(ties)
    if n < 2:
        return math.nan
    i, j = np.triu_indices(n, k=1)
    if ties == "expected":
        pa, pb = _p_before(_key(x, rank_by))[i, j], _p_before(_key(y, rank_by))[i, j]
        return float(np.mean(pa * pb + (1 - pa) * (1 - pb)))
    oa, ob = _orders(x, y, rank_by, ties, seed)
    ra, rb = _positions(oa), _positions(ob)
    return float(np.mean((ra[i] < ra[j]) == (rb[i] < rb[j])))


IOU_EXACT_LIMIT = 4096
"""``ties="expected"``: IoU is computed exactly up to this many boundary combinations."""
IOU_DRAWS = 256
"""``ties="expected"``: IoU is the mean over this many seeded random tie-breakings."""


def iou(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs",
        ties: Ties = "expected", seed: int = 0) -> float:
    """Intersection over union of the two top-k sets.

    IoU = |T_k(a) ∩ T_k(b)| / |T_k(a) ∪ T_k(b)|. Expected: exact (every way to fill the top k
    from the tie group on its boundary, in both explanations) when there are at most
    ``IOU_EXACT_LIMIT`` such combinations, else the mean over ``IOU_DRAWS`` seeded random
    tie-breakings; `tie_spread` gives their standard deviation.
    """
    t = _prepare(a, b, k, rank_by, ties)
    if t is None:
        return math.nan
    x, y, kk = t
    if ties == "expected":
        exact = _exact_iou(_key(x, rank_by), _key(y, rank_by), kk)
        return exact if exact is not None else tie_spread(iou, x, y, kk, rank_by, seed=seed)[0]
    oa, ob = _orders(x, y, rank_by, ties, seed)
    sa, sb = set(oa[:kk].tolist()), set(ob[:kk].tolist())
    return len(sa & sb) / len(sa | sb)


def _boundary(key: np.ndarray, k: int) -> tuple[list[int], list[int], int]:
    """(tokens surely in the top k, the tie group on its boundary, how many of that group get in)."""
    s, g = _rank_bounds(key)
    sure = np.flatnonzero(s + g <= k).tolist()
    group = np.flatnonzero((s < k) & (s + g > k)).tolist()
    return sure, group, k - len(sure)


def _exact_iou(ka: np.ndarray, kb: np.ndarray, k: int) -> float | None:
    sa, ga, ma = _boundary(ka, k)
    sb, gb, mb = _boundary(kb, k)
    if math.comb(len(ga), ma) * math.comb(len(gb), mb) > IOU_EXACT_LIMIT:
        return None
    total, count = 0.0, 0
    for ca in combinations(ga, ma):
        ta = set(sa) | set(ca)
        for cb in combinations(gb, mb):
            tb = set(sb) | set(cb)
            total += len(ta & tb) / len(ta | tb)
            count += 1
    return total / count


def tie_spread(metric: Callable[..., float], a: Scores, b: Scores, k: int | None = None,
               rank_by: RankBy = "abs", draws: int = IOU_DRAWS, seed: int = 0) -> tuple[float, float]:
    """(mean, standard deviation) of `metric` over `draws` seeded uniformly random tie-breakings
    (``ties="random"``, seeds seed … seed + draws − 1). The mean estimates ``ties="expected"``; the
    deviation says how far tie-breaking alone can move the value."""
    x, y = _vectors(a, b)
    if x.size == 0:
        return math.nan, math.nan
    if not (_has_ties(_key(x, rank_by)) or _has_ties(_key(y, rank_by))):
        return metric(x, y, k=k, rank_by=rank_by, ties="position"), 0.0
    vals = [metric(x, y, k=k, rank_by=rank_by, ties="random", seed=seed + d) for d in range(draws)]
    return float(np.mean(vals)), float(np.std(vals))


def _has_ties(key: np.ndarray) -> bool:
    return np.unique(key).size < key.size


def tied_share(scores: Scores, rank_by: RankBy = "abs") -> float:
    """Share of tokens whose ranking key equals another token's (NaN for no tokens)."""
    key = _key(np.asarray(scores, dtype=float).reshape(-1), rank_by)
    if key.size == 0:
        return math.nan
    _, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse] > 1))


Metric = Callable[..., float]

AGREEMENT_METRICS: Registry[Metric] = Registry("agreement metric")
"""Every agreement metric, each ``fn(a, b, k=None, rank_by="abs", ties="expected", seed=0) -> float``
(a metric without the ``ties``/``seed`` parameters is called without them), with its title, range
and direction (higher = the two explanations agree more). Adding one is a function plus one entry."""

for _name, _fn, _title, _range in (
    ("feature_agreement", feature_agreement, "feature agreement", (0.0, 1.0)),
    ("rank_agreement", rank_agreement, "rank agreement", (0.0, 1.0)),
    ("sign_agreement", sign_agreement, "sign agreement", (0.0, 1.0)),
    ("signed_rank_agreement", signed_rank_agreement, "signed rank agreement", (0.0, 1.0)),
    ("rank_correlation", rank_correlation, "rank correlation (Spearman)", (-1.0, 1.0)),
    ("pairwise_rank_agreement", pairwise_rank_agreement, "pairwise rank agreement", (0.0, 1.0)),
    ("iou", iou, "IoU of the top-k sets", (0.0, 1.0)),
):
    AGREEMENT_METRICS.register(_name, description=(_fn.__doc__ or _title).strip().splitlines()[0],
                               title=_title, range=_range, direction="higher")(_fn)


@dataclass(frozen=True)
class AgreementMatrix:
    """One metric for every pair of explanations: ``values[i][j] = metric(names[i], names[j])``.

    Every metric here is symmetric, so the matrix is too; the diagonal compares an explanation with
    itself with its ties in one shared order (1.0, or NaN where the metric is undefined for it;
    sign agreement of an explanation with zeros in its top k is below 1, since zero has no sign).
    """

    metric: str
    names: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]

    def get(self, a: str, b: str) -> float:
        return self.values[self.names.index(a)][self.names.index(b)]

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Nested ``{row: {column: value}}``, e.g. for JSON or a CSV writer."""
        return {
            r: dict(zip(self.names, row, strict=True)) for r, row in zip(self.names, self.values, strict=True)
        }


def agreement_matrix(
    named_scores: Mapping[str, Scores],
    k: int | None = None,
    rank_by: RankBy = "abs",
    metrics: Sequence[str] | None = None,
    ties: Ties = "expected",
    seed: int = 0,
) -> dict[str, AgreementMatrix]:
    """Every metric (or those named in `metrics`) for every pair of the named explanations of one text.

    All score vectors must have the same length (one text); k, rank_by, ties and seed are passed to
    each metric.
    """
    names = tuple(named_scores)
    vectors = [np.asarray(named_scores[n], dtype=float).reshape(-1) for n in names]
    if len({v.size for v in vectors}) > 1:
        raise ValueError(
            "all explanations must score the same tokens: "
            + ", ".join(f"{n}={v.size}" for n, v in zip(names, vectors, strict=True))
        )
    chosen = AGREEMENT_METRICS.names() if metrics is None else [AGREEMENT_METRICS.canonical(m) for m in metrics]
    out: dict[str, AgreementMatrix] = {}
    for name in chosen:
        fn = AGREEMENT_METRICS.get(name).obj
        tie_aware = "ties" in inspect.signature(fn).parameters  # a plugin may handle ties its own way
        m = np.full((len(names), len(names)), math.nan)
        for i, j in combinations_with_replacement(range(len(names)), 2):
            # the diagonal compares an explanation with itself, ties and all, in one order
            extra = {"ties": "position" if i == j else ties, "seed": seed} if tie_aware else {}
            m[i, j] = m[j, i] = fn(vectors[i], vectors[j], k=k, rank_by=rank_by, **extra)
        out[name] = AgreementMatrix(name, names, tuple(tuple(float(v) for v in row) for row in m))
    return out


def mean_matrices(per_text: Sequence[Mapping[str, AgreementMatrix]]) -> dict[str, AgreementMatrix]:
    """Average the matrices of many texts cell by cell, ignoring NaN (the study-level table).

    A cell that is NaN for every text stays NaN. All inputs must name the same explanations.
    """
    if not per_text:
        return {}
    out: dict[str, AgreementMatrix] = {}
    for metric, first in per_text[0].items():
        stack = []
        for d in per_text:
            if d[metric].names != first.names:
                raise ValueError(f"explanations differ between texts: {d[metric].names} vs {first.names}")
            stack.append(np.asarray(d[metric].values, dtype=float))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN cells
            mean = np.nanmean(np.stack(stack), axis=0)
        out[metric] = AgreementMatrix(
            metric, first.names, tuple(tuple(float(v) for v in row) for row in mean)
        )
    return out
