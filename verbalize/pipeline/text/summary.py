"""The study-level tables: accuracy per strategy, faithfulness per explanation, mean agreement."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from verbalize.core.formatting import finite_or_none
from verbalize.eval.agreement import AgreementMatrix, mean_matrices, tied_share
from verbalize.eval.faithfulness import flip_share
from verbalize.pipeline.text.types import (
    AccuracyRow,
    FaithfulnessRow,
    MatrixRecord,
    StudyItem,
    StudyOptions,
    StudySummary,
)


def _mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return float(np.mean(vals)) if vals else None


def summarize(items: Sequence[StudyItem], options: StudyOptions) -> StudySummary:
    """The study-level tables: accuracy per strategy, faithfulness per explanation, mean agreement."""
    studied = [it for it in items if it.error is None]
    accuracy = []
    for strategy in options.strategies:
        outs = [o for it in studied if (o := it.outcome(strategy)) is not None]
        gold = [(it, it.outcome(strategy)) for it in studied if it.gold is not None]
        correct = sum(1 for _, o in gold if o is not None and o.correct)
        labelled = sum(o.label is not None for o in outs)
        explains = strategy != "predict-only"
        attributed = sum(bool(o.attribution_ok) for o in outs) if explains else None
        accuracy.append(AccuracyRow(
            strategy=strategy, texts=len(outs), parsed=labelled, attributions_parsed=attributed,
            with_gold=len(gold), correct=correct, accuracy=correct / len(gold) if gold else None,
            label_parse_rate=labelled / len(outs) if outs else None,
            attribution_parse_rate=attributed / len(outs) if outs and attributed is not None else None,
            parse_rate=sum(o.parse_ok for o in outs) / len(outs) if outs else None,
            mean_confidence=_mean(o.confidence for o in outs)))
    with_gold = [it for it in studied if it.gold is not None]
    scorer_correct = sum(it.predicted == it.gold for it in with_gold)
    accuracy.append(AccuracyRow(
        strategy="label-probabilities", texts=len(studied), parsed=sum(it.predicted is not None for it in studied), with_gold=len(with_gold), correct=scorer_correct,
        accuracy=scorer_correct / len(with_gold) if with_gold else None, parse_rate=None,
        mean_confidence=_mean(max((p for p in it.probabilities.values() if p is not None), default=None)
                              for it in studied)))

    names = list(dict.fromkeys(e.name for it in studied for e in it.explanations))
    faithfulness = []
    coverage: dict[str, dict[str, float | None]] = {}
    for name in names:
        found = [e for it in studied if (e := it.explanation(name)) is not None]
        ok = [e for e in found if e.valid]
        f = [e.faithfulness for e in ok]
        rank_del = [x.get("rank_del") for x in f]
        faithfulness.append(FaithfulnessRow(
            explanation=name, source=found[0].source if found else "?", texts=len(ok), excluded=len(found) - len(ok),
            comprehensiveness=_mean(x.get("comprehensiveness") for x in f),
            sufficiency=_mean(x.get("sufficiency") for x in f),
            df_mit=finite_or_none(flip_share(x.get("df_mit") for x in f)),
            df_frac=_mean(x.get("df_frac") for x in f),
            rank_del=_mean(rank_del), rank_del_defined=sum(v is not None for v in rank_del),
            tied_share=_mean(tied_share(e.scores) for e in ok)))
        templates = [v for e in ok for v in e.verbalizations if v.verbalizer == "template"]
        keys = list(dict.fromkeys(k for v in templates for k in v.coverage))
        coverage[name] = {k: _mean(v.coverage.get(k) for v in templates) for k in keys}

    agreement: dict[str, MatrixRecord] = {}
    per_text = []
    for it in studied:
        if not it.agreement or [n for n in next(iter(it.agreement.values())).names] != names:
            continue
        valid = {e.name: e.valid for e in it.explanations}
        per_text.append({metric: _masked(m, valid) for metric, m in it.agreement.items()})
    if per_text:
        agreement = {k: MatrixRecord.of(m) for k, m in mean_matrices(per_text).items()}
    sources = Counter(it.probability_source for it in studied)
    return StudySummary(accuracy=accuracy, faithfulness=faithfulness, agreement=agreement,
                        probability_sources=dict(sources), coverage=coverage)


def _masked(m: MatrixRecord, valid: Mapping[str, bool]) -> AgreementMatrix:
    """The matrix with every cell of an invalid (unparsed) explanation set to NaN, for averaging."""
    a = m.array()
    for i, name in enumerate(m.names):
        if not valid.get(name, True):
            a[i, :] = math.nan
            a[:, i] = math.nan
    return AgreementMatrix(metric="", names=tuple(m.names), values=tuple(tuple(float(v) for v in row) for row in a))
