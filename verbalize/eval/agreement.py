"""Agreement between two token attributions of the same text (Krishna et al.'s "disagreement problem").

Every metric is a pure function of two equal-length score vectors ``(a, b, k=None, rank_by="abs")``,
one score per token, so the same code compares a self-explanation with occlusion, LIME with SHAP,
or anything with anything.

Ranking. A metric that looks at "the top k" ranks tokens by a key and keeps the first k:

* ``rank_by="abs"`` (default): key = |score|, descending. This is Krishna et al.'s definition:
  a strongly negative token is as important as a strongly positive one.
* ``rank_by="signed"``: key = score, descending. This is what Huang et al.'s code did (it sorted
  the (token, score) lists by signed score), so use it to reproduce their numbers.

Ties are broken by position (a stable sort: the earlier token ranks first), so every result is
deterministic. k defaults to ``max(floor(0.2 * n), 1)``, the value both papers used.

Undefined values are NaN, never an exception: every metric of two empty vectors, Spearman when a
key vector is constant (or n < 2), pairwise rank agreement when n < 2 (there are no pairs).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations_with_replacement
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


def feature_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Share of the top-k tokens the two explanations have in common.

    FA = |T_k(a) ∩ T_k(b)| / k, where T_k(x) is the set of the k highest-ranked tokens of x.
    """
    t = _top(a, b, k, rank_by)
    if t is None:
        return math.nan
    _, _, ta, tb, kk = t
    return len(set(ta.tolist()) & set(tb.tolist())) / kk


def rank_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Share of the top-k ranks held by the same token in both explanations.

    RA = |{r < k : T_k(a)[r] = T_k(b)[r]}| / k, where T_k(x)[r] is the token at rank r.
    """
    t = _top(a, b, k, rank_by)
    if t is None:
        return math.nan
    _, _, ta, tb, kk = t
    return int(np.sum(ta == tb)) / kk


def sign_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Share of the top-k tokens that both explanations rank in their top k with the same sign.

    SA = |{i ∈ T_k(a) ∩ T_k(b) : sign(a_i) = sign(b_i)}| / k.
    sign is numpy's (−1, 0, +1): two zeros agree, zero and non-zero do not. (Huang et al.'s code
    tested a_i · b_i > 0, so two zeros disagreed there; it only matters for exact zeros, which their
    code avoided by adding noise to every score.)
    """
    t = _top(a, b, k, rank_by)
    if t is None:
        return math.nan
    x, y, ta, tb, kk = t
    shared = set(ta.tolist()) & set(tb.tolist())
    return sum(np.sign(x[i]) == np.sign(y[i]) for i in shared) / kk


def signed_rank_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Share of the top-k ranks held by the same token, with the same sign, in both explanations.

    SRA = |{r < k : T_k(a)[r] = T_k(b)[r] = i and sign(a_i) = sign(b_i)}| / k.
    """
    t = _top(a, b, k, rank_by)
    if t is None:
        return math.nan
    x, y, ta, tb, kk = t
    return sum(i == j and np.sign(x[i]) == np.sign(y[i]) for i, j in zip(ta, tb, strict=True)) / kk


def rank_correlation(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Spearman's ρ between the ranking keys of all tokens (k is ignored).

    RC = Pearson correlation of rank(key(a)) and rank(key(b)), key = |x| (``abs``) or x
    (``signed``); tied keys share their average rank (scipy.stats.spearmanr). NaN when n < 2 or a
    key vector is constant, since ρ is undefined there.
    """
    x, y = _vectors(a, b)
    ka, kb = _key(x, rank_by), _key(y, rank_by)
    if x.size < 2 or np.all(ka == ka[0]) or np.all(kb == kb[0]):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.spearmanr(ka, kb).statistic)


def pairwise_rank_agreement(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Share of all token pairs that the two rankings put in the same order (k is ignored).

    PRA = |{(i, j), i < j : (r_a(i) < r_a(j)) = (r_b(i) < r_b(j))}| / C(n, 2), where r_x(i) is
    token i's position in ``ranking(x)`` (ties already broken by text position, as in the top-k
    metrics). NaN when n < 2.
    """
    x, y = _vectors(a, b)
    n = x.size
    if n < 2:
        return math.nan
    ra = np.empty(n, dtype=int)
    rb = np.empty(n, dtype=int)
    ra[ranking(x, rank_by)] = np.arange(n)
    rb[ranking(y, rank_by)] = np.arange(n)
    i, j = np.triu_indices(n, k=1)
    return float(np.mean((ra[i] < ra[j]) == (rb[i] < rb[j])))


def iou(a: Scores, b: Scores, k: int | None = None, rank_by: RankBy = "abs") -> float:
    """Intersection over union of the two top-k sets.

    IoU = |T_k(a) ∩ T_k(b)| / |T_k(a) ∪ T_k(b)|.
    """
    t = _top(a, b, k, rank_by)
    if t is None:
        return math.nan
    _, _, ta, tb, _ = t
    sa, sb = set(ta.tolist()), set(tb.tolist())
    return len(sa & sb) / len(sa | sb)


Metric = Callable[..., float]

AGREEMENT_METRICS: Registry[Metric] = Registry("agreement metric")
"""Every agreement metric, each ``fn(a, b, k=None, rank_by="abs") -> float``, with its title, range
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
    itself (1.0, or NaN where the metric is undefined for it).
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
) -> dict[str, AgreementMatrix]:
    """Every metric (or those named in `metrics`) for every pair of the named explanations of one text.

    All score vectors must have the same length (one text); k and rank_by are passed to each metric.
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
        m = np.full((len(names), len(names)), math.nan)
        for i, j in combinations_with_replacement(range(len(names)), 2):
            m[i, j] = m[j, i] = fn(vectors[i], vectors[j], k=k, rank_by=rank_by)
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
