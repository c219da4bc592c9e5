"""Faithfulness of a token attribution: does deleting what it calls important change the prediction?

Definitions follow Huang et al. 2023 ("Can Large Language Models Explain Themselves?"), who took
them from DeYoung et al. 2020 (comprehensiveness, sufficiency), Chrysostomou & Aletras 2021
(DF-MIT), Serrano & Smith 2019 (DF-Frac) and Alvarez-Melis & Jaakkola 2018 (Rank-Del).

Conventions shared by every function here:

* ``scorer(list_of_token_lists) -> (m, n_labels)`` array of label probabilities;
  ``verbalize.core.scoring.Scorer`` is one. Each function builds all of its perturbations of
  the text first and scores them in ONE scorer call (the scorer batches and removes duplicates).
* A perturbation deletes tokens; the survivors keep their text order.
* ``p(x)`` is the probability of ``label_index`` for input x. ``scores`` are attributions towards
  that label (positive = evidence for it). Huang et al. scored p(positive) throughout with scores
  in [-1, 1] where positive means "towards positive"; pass the positive label's index to
  reproduce them, or the predicted label's index (with scores pointing towards it) for DeYoung et
  al.'s original reading.
* Tokens are taken in descending order of signed score, ties by text position: ``o_1`` is the
  most important token, ``o_1..o_j`` the top j.
* The empty text is never sent to the model: its probabilities are uniform, 1/n_labels for each
  label (p = 0.5 for a binary task, as in Huang et al.). It has no decision, so deleting every
  token never counts as a decision flip.
* A decision is argmax over labels (first label wins ties); a flip is a change of decision from
  the original text's.
* With no tokens every metric is undefined: NaN (``df_mit``: None) and the scorer is not called.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from scipy import stats

from verbalize.core.registry import Registry

TokenScorer = Callable[[list[list[str]]], np.ndarray]


def descending_order(scores: Sequence[float] | np.ndarray) -> list[int]:
    """Token indices by descending signed score; ties keep text order (stable)."""
    return np.argsort(-np.asarray(scores, dtype=float), kind="stable").tolist()


class _Batch:
    """Collects the perturbations of one text (as kept-index tuples), then scores them in one call."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.kept: list[tuple[int, ...]] = []
        self.probs: np.ndarray | None = None

    def add(self, kept: Iterable[int]) -> int:
        self.kept.append(tuple(sorted(kept)))
        return len(self.kept) - 1

    def run(self, scorer: TokenScorer) -> None:
        inputs = [[self.tokens[i] for i in k] for k in self.kept if k]
        out = np.asarray(scorer(inputs), dtype=float)
        if out.ndim != 2 or out.shape[0] != len(inputs) or out.shape[1] < 1:
            raise ValueError(
                f"scorer returned shape {out.shape} for {len(inputs)} inputs; expected (n, n_labels)"
            )
        uniform = np.full(out.shape[1], 1.0 / out.shape[1])
        rows = iter(out)
        self.probs = np.stack([next(rows) if k else uniform for k in self.kept])

    def p(self, idx: int, label: int) -> float:
        assert self.probs is not None
        return float(self.probs[idx, label])

    def decision(self, idx: int) -> int | None:
        """argmax label, or None for the empty text (uniform by convention, so no decision)."""
        assert self.probs is not None
        return int(np.argmax(self.probs[idx])) if self.kept[idx] else None


def _check(tokens: Sequence[str], scores: Sequence[float] | np.ndarray) -> np.ndarray:
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size != len(tokens):
        raise ValueError(f"{s.size} scores for {len(tokens)} tokens")
    if not np.all(np.isfinite(s)):
        raise ValueError("scores must be finite")
    return s


class _Plan:
    """Index bookkeeping for the perturbations the metrics share.

    full: the original text; deleted[j]: top-j deleted (j = 0..n); kept[j]: only the top j kept
    (j = 0..n); single[i]: token i deleted. Identical inputs (deleted[1] = single[o_1], …) are
    requested more than once on purpose: the scorer removes duplicates and counts them.
    """

    def __init__(
        self,
        tokens: Sequence[str],
        scores: np.ndarray,
        *,
        deleted: bool = False,
        kept: bool = False,
        single: bool = False,
    ) -> None:
        n = len(tokens)
        self.n = n
        self.order = descending_order(scores)
        self.batch = _Batch(tokens)
        everything = range(n)
        self.full = self.batch.add(everything)
        self.deleted = (
            [self.batch.add(set(everything) - set(self.order[:j])) for j in range(n + 1)] if deleted else []
        )
        self.kept = [self.batch.add(self.order[:j]) for j in range(n + 1)] if kept else []
        self.single = [self.batch.add([*range(i), *range(i + 1, n)]) for i in everything] if single else []


def _comprehensiveness(plan: _Plan, label: int) -> float:
    p0 = plan.batch.p(plan.full, label)
    return float(np.mean([p0 - plan.batch.p(idx, label) for idx in plan.deleted]))


def _sufficiency(plan: _Plan, label: int) -> float:
    p0 = plan.batch.p(plan.full, label)
    return float(np.mean([abs(p0 - plan.batch.p(idx, label)) for idx in plan.kept]))


def _df_mit(plan: _Plan) -> bool:
    return plan.batch.decision(plan.deleted[1]) not in (None, plan.batch.decision(plan.full))


def _df_frac(plan: _Plan) -> float:
    d0 = plan.batch.decision(plan.full)
    for j in range(1, plan.n + 1):
        d = plan.batch.decision(plan.deleted[j])
        if d is not None and d != d0:
            return j / (plan.n + 1)
    return 1.0


def _rank_del(plan: _Plan, scores: np.ndarray, label: int) -> float:
    p0 = plan.batch.p(plan.full, label)
    drops = np.array([p0 - plan.batch.p(idx, label) for idx in plan.single])
    return spearman(drops, scores)


def spearman(x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> float:
    """Spearman's ρ (average ranks for ties); NaN when n < 2 or either side is constant."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.size < 2 or np.all(a == a[0]) or np.all(b == b[0]):
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(stats.spearmanr(a, b).statistic)


def _run(
    scorer: TokenScorer, tokens: Sequence[str], scores: Any, **needs: bool
) -> tuple[_Plan, np.ndarray] | None:
    s = _check(tokens, scores)
    if not tokens:
        return None
    plan = _Plan(tokens, s, **needs)
    plan.batch.run(scorer)
    return plan, s


def comprehensiveness(scorer: TokenScorer, tokens: Sequence[str], scores: Any, label_index: int) -> float:
    """How much p drops when the most important tokens are deleted, averaged over deletion depths.

    comp = 1/(n+1) · Σ_{j=0..n} [ p(x) − p(x \\ {o_1..o_j}) ]

    j = 0 contributes 0 and j = n is the empty text (p = 1/n_labels). Higher is more faithful: the
    tokens the explanation ranks first are the ones the prediction depends on. n distinct model
    inputs (the original and j = 1..n−1), in one scorer call.
    """
    r = _run(scorer, tokens, scores, deleted=True)
    return math.nan if r is None else _comprehensiveness(r[0], label_index)


def sufficiency(scorer: TokenScorer, tokens: Sequence[str], scores: Any, label_index: int) -> float:
    """How far p stays from the original when only the most important tokens are kept.

    suff = 1/(n+1) · Σ_{j=0..n} | p(x) − p({o_1..o_j}) |

    j = 0 is the empty text (p = 1/n_labels), j = n the original (contributes 0). Lower is more
    faithful: the top tokens alone already carry the prediction. The absolute value is Huang et
    al.'s (DeYoung et al. used the signed difference).
    """
    r = _run(scorer, tokens, scores, kept=True)
    return math.nan if r is None else _sufficiency(r[0], label_index)


def df_mit(
    scorer: TokenScorer, tokens: Sequence[str], scores: Any, label_index: int | None = None
) -> bool | None:
    """Decision flip on the most informative token: does deleting o_1 alone change the decision?

    DF-MIT(x) = [ argmax f(x \\ {o_1}) ≠ argmax f(x) ]

    Per text a bool (None for an empty text); over a data set, the share of True
    (``flip_share``). Deleting the only token of a one-token text leaves the empty text, which has
    no decision, so it is not a flip. `label_index` is accepted for a uniform signature and not
    used: a flip is a change of the argmax decision, whichever label is explained.
    """
    r = _run(scorer, tokens, scores, deleted=True)
    return None if r is None else _df_mit(r[0])


def df_frac(scorer: TokenScorer, tokens: Sequence[str], scores: Any, label_index: int | None = None) -> float:
    """Decision flip, fraction of tokens: how many top tokens must go before the decision changes.

    DF-Frac = j* / (n+1), j* = min{ j ≥ 1 : argmax f(x \\ {o_1..o_j}) ≠ argmax f(x) };
    DF-Frac = 1 if no such j exists (the empty text at j = n never counts as a flip).

    This is Huang et al.'s "(j + 1)/(n + 1) for the first 0-based j". Lower is more faithful.
    `label_index` is accepted for a uniform signature and not used (see ``df_mit``).
    """
    r = _run(scorer, tokens, scores, deleted=True)
    return math.nan if r is None else _df_frac(r[0])


def rank_del(scorer: TokenScorer, tokens: Sequence[str], scores: Any, label_index: int) -> float:
    """Deletion rank correlation: do single-token deletion drops follow the attribution's order?

    Rank-Del = Spearman( [p(x) − p(x \\ {i})]_{i=1..n}, [s_i]_{i=1..n} )

    Higher is more faithful. NaN when n < 2 or either vector is constant (Huang et al. added random
    noise to break such ties; we report the value as undefined instead). n + 1 model inputs.
    """
    r = _run(scorer, tokens, scores, single=True)
    return math.nan if r is None else _rank_del(r[0], r[1], label_index)


def faithfulness_report(
    scorer: TokenScorer, tokens: Sequence[str], scores: Any, label_index: int
) -> dict[str, Any]:
    """All five metrics for one text from ONE scorer call that holds every perturbation they need.

    Overlapping perturbations (the original, top-1 deleted = token o_1 deleted, …) are requested
    more than once; the scorer's duplicate filter scores each distinct input once. Returns
    ``{"comprehensiveness", "sufficiency", "df_mit", "df_frac", "rank_del", "p_original",
    "n_tokens", "inputs_requested"}``; ``inputs_requested`` counts non-empty inputs sent.
    """
    r = _run(scorer, tokens, scores, deleted=True, kept=True, single=True)
    if r is None:
        nan = math.nan
        return {
            "comprehensiveness": nan,
            "sufficiency": nan,
            "df_mit": None,
            "df_frac": nan,
            "rank_del": nan,
            "p_original": nan,
            "n_tokens": 0,
            "inputs_requested": 0,
        }
    plan, s = r
    return {
        "comprehensiveness": _comprehensiveness(plan, label_index),
        "sufficiency": _sufficiency(plan, label_index),
        "df_mit": _df_mit(plan),
        "df_frac": _df_frac(plan),
        "rank_del": _rank_del(plan, s, label_index),
        "p_original": plan.batch.p(plan.full, label_index),
        "n_tokens": plan.n,
        "inputs_requested": sum(1 for k in plan.batch.kept if k),
    }


FAITHFULNESS_METRICS: Registry[Callable[..., Any]] = Registry("faithfulness metric")
"""Every metric, each callable as ``fn(scorer, tokens, scores, label_index)``, with its title, range
and direction; the same names key ``faithfulness_report``, which computes all five from one batch."""

for _name, _fn, _title, _range, _direction in (
    ("comprehensiveness", comprehensiveness, "comprehensiveness", (-1.0, 1.0), "higher"),
    ("sufficiency", sufficiency, "sufficiency", (0.0, 1.0), "lower"),
    ("df_mit", df_mit, "DF-MIT (decision flip, most important token)", (0.0, 1.0), "higher"),
    ("df_frac", df_frac, "DF-Frac (share of tokens until the decision flips)", (0.0, 1.0), "lower"),
    ("rank_del", rank_del, "Rank-Del (Spearman with single-token deletion)", (-1.0, 1.0), "higher"),
):
    FAITHFULNESS_METRICS.register(_name, description=_title, title=_title, range=_range, direction=_direction)(_fn)


def flip_share(flags: Iterable[bool | None]) -> float:
    """DF-MIT over a data set: the share of texts whose decision flipped; None (empty texts) skipped."""
    seen = [bool(f) for f in flags if f is not None]
    return sum(seen) / len(seen) if seen else math.nan
