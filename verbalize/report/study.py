"""What a self-explanation study leaves on disk: per-text JSONL, summary CSVs, JSON and one HTML page.

    OUT/items.jsonl                   one StudyItem per line: text, tokens, every explanation's scores,
                                      predictions, parse status, metrics, LLM calls
    OUT/accuracy.csv                  accuracy, label- and attribution-parse rates per strategy
                                      (+ the label probabilities)
    OUT/faithfulness.csv              mean faithfulness and tied-token share per explanation
    OUT/coverage.csv                  template verbalization coverage@k per explanation
    OUT/agreement_<metric>.csv        one mean agreement matrix per metric
    OUT/study.json                    summary, options and provenance (no per-text records)
    OUT/study.html                    agreement heatmaps, then each text as a token heatmap per method

Every file is written to a temporary name and renamed, so a crash never leaves half a table.
The HTML page is rendered by Jinja2 with autoescape on; everything a model wrote (answers,
verbalizations, cited words) and every input text is escaped, and the page carries a
Content-Security-Policy that forbids scripts, as the run reports do.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from verbalize.core.files import write_atomic
from verbalize.eval.agreement import AGREEMENT_METRICS
from verbalize.report.plots import data_uri, heatmap_png
from verbalize.report.run import environment

if TYPE_CHECKING:
    from verbalize.pipeline.text.types import StudyResult



def _cell(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float):
        return "" if not math.isfinite(v) else f"{v:.6g}"
    return v


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file's bytes: empty cells for missing/undefined values, floats to 6 significant digits."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([_cell(v) for v in row])
    return buf.getvalue().encode("utf-8")


def _model_rows(rows: Sequence[Any]) -> tuple[list[str], list[list[Any]]]:
    if not rows:
        return [], []
    header = list(type(rows[0]).model_fields)
    return header, [[getattr(r, h) for h in header] for r in rows]


def matrix_csv(names: Sequence[str], values: Sequence[Sequence[float | None]]) -> bytes:
    return csv_bytes(["explanation", *names], ([n, *row] for n, row in zip(names, values, strict=True)))


def write_study(result: StudyResult, out_dir: str | Path) -> dict[str, Path]:
    """Write every output of `result` into `out_dir` (created); returns name → path."""
    out = Path(out_dir)
    files: dict[str, bytes] = {}
    files["items.jsonl"] = "".join(
        json.dumps(item.model_dump(mode="json"), ensure_ascii=False) + "\n" for item in result.items).encode("utf-8")
    s = result.summary
    files["accuracy.csv"] = csv_bytes(*_model_rows(s.accuracy))
    files["faithfulness.csv"] = csv_bytes(*_model_rows(s.faithfulness))
    ks = sorted({k for cov in s.coverage.values() for k in cov}, key=int)
    files["coverage.csv"] = csv_bytes(["explanation", *(f"coverage@{k}" for k in ks)],
                                      ([name, *(cov.get(k) for k in ks)] for name, cov in s.coverage.items()))
    for metric, m in s.agreement.items():
        files[f"agreement_{metric}.csv"] = matrix_csv(m.names, m.values)
    files["study.json"] = json.dumps(
        {"summary": s.model_dump(mode="json"), "options": result.options.model_dump(mode="json"),
         "provenance": result.provenance.model_dump(mode="json")},
        indent=2, ensure_ascii=False).encode("utf-8")
    files["study.html"] = render_study(result).encode("utf-8")
    paths = {}
    for name, data in files.items():
        write_atomic(out / name, data)
        paths[name] = out / name
    return paths


# ------------------------------------------------------------------------------ HTML




def _claim_dicts(v: Any) -> list[Mapping[str, Any]]:
    return [c.model_dump() for c in v.verification.claims] if v.verification else []


def never_parsed(result: StudyResult) -> list[str]:
    """Explanations (self-explanation strategies) without a single parsed answer: their rows and
    columns of the agreement tables are empty, and the page says why."""
    return [r.explanation for r in result.summary.faithfulness if r.texts == 0 and r.excluded > 0]


def agreement_heatmaps(result: StudyResult) -> list[tuple[str, str]]:
    """(metric, PNG data: URI) per mean agreement matrix."""
    out = []
    never = set(never_parsed(result))
    for metric, m in result.summary.agreement.items():
        meta = AGREEMENT_METRICS.get(metric).meta
        vmin, vmax = meta["range"]
        names = [f"{n} (no parsed answer)" if n in never else n for n in m.names]
        png = heatmap_png(names, m.array(), title=meta["title"], vmin=vmin, vmax=vmax)
        out.append((metric, data_uri(png)))
    return out


def render_study(result: StudyResult) -> str:
    """study.html as a string (self-contained: the heatmaps are inlined)."""
    # The run report's environment (templates/, autoescape, fmt, token_heatmap, highlight_claims).
    return environment().get_template("study.html").render(
        result=result, items=result.items, summary=result.summary, heatmaps=agreement_heatmaps(result),
        claim_dicts=_claim_dicts, titles={e.name: e.meta["title"] for e in AGREEMENT_METRICS},
        never_parsed=never_parsed(result), parse_rates={r.strategy: r for r in result.summary.accuracy})
