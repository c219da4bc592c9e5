"""The study's accuracy table counts a prediction only where its label parsed, with label- and
attribution-parse rates apart; the page marks explanations without any parsed answer and shows tied
shares (issue 12)."""

from __future__ import annotations

from verbalize.core.types import Provenance
from verbalize.eval.agreement import agreement_matrix
from verbalize.pipeline.text.summary import summarize
from verbalize.pipeline.text.types import (
    ExplanationResult,
    MatrixRecord,
    StrategyOutcome,
    StudyItem,
    StudyOptions,
    StudyResult,
)
from verbalize.report.study import render_study

OPTIONS = StudyOptions(strategies=["pe", "ep"], methods=["occlusion"])


def _item(n: int, pe: StrategyOutcome, ep: StrategyOutcome, scores: dict[str, list[float]]) -> StudyItem:
    valid = {"pe": pe.parse_ok, "ep": ep.parse_ok, "occlusion": True}
    exps = [ExplanationResult(name=k, source="model" if k == "occlusion" else "self", method=k, scores=v,
                              valid=valid[k]) for k, v in scores.items()]
    mats = agreement_matrix(scores)
    return StudyItem(id=f"t{n}", text="a b c d e", tokens=list("abcde"), gold="positive", explained_label="positive",
                     explained_index=1, probability_source="logits", predicted="positive",
                     outcomes=[pe, ep], explanations=exps, agreement={k: MatrixRecord.of(m) for k, m in mats.items()})


def _outcome(strategy: str, label: str | None, attribution_ok: bool) -> StrategyOutcome:
    ok = label is not None and attribution_ok
    return StrategyOutcome(strategy=strategy, prompt=f"{strategy}@1", label=label, confidence=0.9 if label else None,
                           correct=label == "positive", parse_ok=ok, attribution_ok=attribution_ok,
                           error=None if ok else "no attribution found")


ITEMS = [
    # pe: the label parsed and is right, the word scores did not parse; ep never parses at all
    _item(1, _outcome("pe", "positive", False), _outcome("ep", None, False),
          {"pe": [0.0] * 5, "ep": [0.0] * 5, "occlusion": [0.0, 0.4, 0.0, 0.0, 0.0]}),
    _item(2, _outcome("pe", None, True), _outcome("ep", None, False),
          {"pe": [0.5, 0.1, 0.1, 0.0, 0.0], "ep": [0.0] * 5, "occlusion": [0.2, 0.4, 0.0, 0.0, 0.0]}),
]


def test_a_prediction_counts_as_parsed_only_where_its_label_parsed() -> None:
    rows = {r.strategy: r for r in summarize(ITEMS, OPTIONS).accuracy}
    pe, ep = rows["pe"], rows["ep"]
    assert (pe.parsed, pe.correct, pe.attributions_parsed) == (1, 1, 1)  # no "parsed 0, correct 1"
    assert (pe.label_parse_rate, pe.attribution_parse_rate, pe.parse_rate) == (0.5, 0.5, 0.0)
    assert (ep.parsed, ep.correct, ep.label_parse_rate, ep.attribution_parse_rate) == (0, 0, 0.0, 0.0)
    assert rows["label-probabilities"].attributions_parsed is None


def test_the_page_marks_explanations_without_a_parsed_answer_and_shows_tied_shares() -> None:
    summary = summarize(ITEMS, OPTIONS)
    tied = {r.explanation: r.tied_share for r in summary.faithfulness}
    assert tied["occlusion"] == (0.8 + 0.6) / 2  # 0 four times, then 0 three times
    result = StudyResult(items=ITEMS, summary=summary, options=OPTIONS,
                         provenance=Provenance(model="test", method="self-explanation study", seed=0))
    html = render_study(result)
    assert "No parsed answer at all, so no agreement: pe, ep." in html
    assert "<th>tied tokens</th>" in html and "<td class=\"num\">0.700</td>" in html
    assert "label parse rate" in html and "attribution parse rate" in html
