"""What a self-explanation study leaves on disk: per-text JSONL, summary CSVs, JSON and one HTML page.

    OUT/items.jsonl                   one StudyItem per line: text, tokens, every explanation's scores,
                                      predictions, parse status, metrics, LLM calls
    OUT/accuracy.csv                  accuracy and parse rate per strategy (+ the label probabilities)
    OUT/faithfulness.csv              mean faithfulness per explanation (self and references)
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

from jinja2 import DictLoader, Environment

from verbalize.report.html import highlight_claims, token_heatmap
from verbalize.report.images import write_atomic
from verbalize.report.plots import data_uri, heatmap_png

if TYPE_CHECKING:
    from verbalize.pipeline.text import StudyResult

METRIC_TITLES = {
    "feature_agreement": "feature agreement",
    "rank_agreement": "rank agreement",
    "sign_agreement": "sign agreement",
    "signed_rank_agreement": "signed rank agreement",
    "rank_correlation": "rank correlation (Spearman)",
    "pairwise_rank_agreement": "pairwise rank agreement",
    "iou": "IoU of the top-k sets",
}


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

_TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>verbalize · self-explanation study</title>
<style>
  :root { --ok: #1a7f37; --bad: #cf222e; --unk: #9a6700; --muted: #57606a; --line: #d0d7de; }
  body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1150px;
         padding: 1rem 1.5rem 4rem; color: #1f2328; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; }
  h2 { border-bottom: 1px solid var(--line); padding-bottom: .2rem; margin-top: 2rem; }
  h3 { margin-bottom: .3rem; }
  .muted { color: var(--muted); } .small { font-size: .85rem; }
  table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .88rem; }
  th, td { border: 1px solid var(--line); padding: .2rem .5rem; text-align: left; vertical-align: top; }
  th { background: #f6f8fa; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
  .plots { display: flex; flex-wrap: wrap; gap: 1rem; }
  figure { margin: 0; } figure img { max-width: 360px; display: block; }
  figcaption { font-size: .85rem; color: var(--muted); }
  .tokens { line-height: 2; } .tok { padding: 1px 2px; border-radius: 2px; }
  table.heat td.method { white-space: nowrap; font-weight: 600; }
  .bad { color: var(--bad); } .ok { color: var(--ok); }
  mark.claim { border-radius: 3px; padding: 0 2px; }
  mark.supported { background: #dafbe1; border-bottom: 2px solid var(--ok); }
  mark.contradicted { background: #ffebe9; border-bottom: 2px solid var(--bad); }
  mark.unverifiable { background: #fff8c5; border-bottom: 2px dashed var(--unk); }
  .verbalization { border-left: 3px solid var(--line); padding: .1rem .7rem; margin: .4rem 0; }
  details { margin: .3rem 0; } summary { cursor: pointer; color: var(--muted); }
  pre.raw { background: #f6f8fa; padding: .5rem; font-size: .8rem; white-space: pre-wrap; max-height: 320px; overflow: auto; }
  blockquote { border-left: 3px solid var(--line); margin: .4rem 0; padding: .1rem .8rem; white-space: pre-wrap; }
  .legend span { padding: 0 .4rem; border-radius: 3px; }
</style>
</head>
<body>
<h1>Self-explanation study</h1>
<p class="muted">{{ result.provenance.model }} · {{ items|length }} text{{ '' if items|length == 1 else 's' }} ·
labels {{ result.options.labels|join(', ') }} · seed {{ result.provenance.seed }} ·
probabilities from {% for src, n in summary.probability_sources.items() %}{{ src }} ({{ n }}){{ ', ' if not loop.last }}{% endfor %}</p>

<h2>Accuracy</h2>
<table>
<tr><th>strategy</th><th>texts</th><th>answered</th><th>parsed</th><th>with gold</th><th>correct</th><th>accuracy</th><th>parse rate</th><th>mean confidence</th></tr>
{% for r in summary.accuracy %}
<tr><td>{{ r.strategy }}</td><td class="num">{{ r.texts }}</td><td class="num">{{ r.answered }}</td><td class="num">{{ r.parsed }}</td>
<td class="num">{{ r.with_gold }}</td><td class="num">{{ r.correct }}</td><td class="num">{{ fmt(r.accuracy) }}</td>
<td class="num">{{ fmt(r.parse_rate) }}</td><td class="num">{{ fmt(r.mean_confidence) }}</td></tr>
{% endfor %}
</table>

<h2>Faithfulness</h2>
<p class="small muted">Comprehensiveness: higher is more faithful; sufficiency, DF-Frac: lower is more faithful;
DF-MIT: share of texts whose decision flips without the top token; Rank-Del: Spearman of single-token deletion drops
with the scores. Self-explanations whose answer could not be parsed are left out (“excluded”).</p>
<table>
<tr><th>explanation</th><th>source</th><th>texts</th><th>excluded</th><th>comprehensiveness</th><th>sufficiency</th><th>DF-MIT</th><th>DF-Frac</th><th>Rank-Del</th><th>coverage@1/3/5</th></tr>
{% for r in summary.faithfulness %}
{% set cov = summary.coverage.get(r.explanation, {}) %}
<tr><td>{{ r.explanation }}</td><td>{{ r.source }}</td><td class="num">{{ r.texts }}</td><td class="num">{{ r.excluded }}</td>
<td class="num">{{ fmt(r.comprehensiveness) }}</td><td class="num">{{ fmt(r.sufficiency) }}</td><td class="num">{{ fmt(r.df_mit) }}</td>
<td class="num">{{ fmt(r.df_frac) }}</td><td class="num">{{ fmt(r.rank_del) }}</td>
<td class="num">{{ fmt(cov.get('1')) }} / {{ fmt(cov.get('3')) }} / {{ fmt(cov.get('5')) }}</td></tr>
{% endfor %}
</table>

<h2>Agreement between explanations</h2>
<p class="small muted">Mean over texts; top-k by absolute score, k = max(floor(0.2·n), 1). Blank cells: undefined
for every text, or an explanation that never parsed.</p>
<div class="plots">
{% for metric, uri in heatmaps %}
<figure><img src="{{ uri }}" alt="{{ metric }} heatmap"><figcaption>{{ titles.get(metric, metric) }}</figcaption></figure>
{% endfor %}
</div>

<h2>Texts</h2>
<p class="legend small"><span style="background:rgba(214,39,40,.6)">towards the explained label</span>
<span style="background:rgba(31,119,180,.6)">against it</span> · shading scaled per row; hover a token for its score</p>
{% for it in items %}
<section id="item-{{ loop.index }}">
<h3>{{ it.id }}{% if it.gold %} <span class="small muted">gold: {{ it.gold }}</span>{% endif %}</h3>
<blockquote>{{ it.text }}</blockquote>
{% if it.error %}<p class="bad">not studied: {{ it.error }}</p>{% else %}
<p class="small">explained label <b>{{ it.explained_label }}</b> ·
{% for lb, p in it.probabilities.items() %}p({{ lb }}) = {{ fmt(p) }}{{ ', ' if not loop.last }}{% endfor %}
 ({{ it.probability_source }}) · predicted {{ it.predicted }}</p>
<table>
<tr><th>strategy</th><th>label</th><th>confidence</th><th>parse</th><th>notes</th></tr>
{% for o in it.outcomes %}
<tr><td>{{ o.strategy }}</td><td>{{ o.label or '–' }}</td><td class="num">{{ fmt(o.confidence) }}</td>
<td>{% if o.parse_ok %}<span class="ok">ok</span>{% else %}<span class="bad">failed</span>: {{ o.error }}{% endif %}</td>
<td class="small">{{ (o.notes + (['not in the text: ' ~ o.unmatched|join(', ')] if o.unmatched else []))|join('; ') }}
<details><summary>raw answer</summary><pre class="raw">{{ o.raw }}</pre></details></td></tr>
{% endfor %}
</table>
<table class="heat">
<tr><th>explanation</th><th>tokens</th><th>comp.</th><th>suff.</th></tr>
{% for e in it.explanations %}
<tr><td class="method">{{ e.name }}{% if not e.valid %} <span class="bad small">(unparsed)</span>{% endif %}</td>
<td>{{ token_heatmap(it.tokens, e.scores) }}
{% for v in e.verbalizations %}
<div class="verbalization small"><b>{{ v.verbalizer }}</b>
<span class="muted">{% if v.label %} · explains {{ v.label }}{% endif %}
{% if v.verification and v.verification.fidelity is not none %} · fidelity {{ fmt(v.verification.fidelity, 2) }}
({{ v.verification.supported }}/{{ v.verification.supported + v.verification.contradicted }} claims){% endif %}
 · coverage@5 {{ fmt(v.coverage.get('5')) }}</span><br>
{% if v.ok %}{{ highlight_claims(v.text, claim_dicts(v)) }}{% else %}<span class="bad">failed: {{ v.error }}</span>{% endif %}
</div>
{% endfor %}
</td>
<td class="num">{{ fmt(e.faithfulness.get('comprehensiveness')) }}</td><td class="num">{{ fmt(e.faithfulness.get('sufficiency')) }}</td></tr>
{% endfor %}
</table>
{% endif %}
</section>
{% endfor %}
<p class="small muted">verbalize {{ result.provenance.versions.get('verbalize', '') }} · {{ result.provenance.created }}</p>
</body>
</html>
"""


def _fmt(value: Any, digits: int = 3) -> str:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return "–"
    return f"{v:.{digits}f}" if math.isfinite(v) else "–"


def _claim_dicts(v: Any) -> list[Mapping[str, Any]]:
    return [c.model_dump() for c in v.verification.claims] if v.verification else []


def _environment() -> Environment:
    env = Environment(loader=DictLoader({"study.html": _TEMPLATE}), autoescape=True, trim_blocks=True,
                      lstrip_blocks=True)
    env.globals.update(fmt=_fmt, token_heatmap=token_heatmap, highlight_claims=highlight_claims,
                       claim_dicts=_claim_dicts, titles=METRIC_TITLES)
    return env


def agreement_heatmaps(result: StudyResult) -> list[tuple[str, str]]:
    """(metric, PNG data: URI) per mean agreement matrix."""
    out = []
    for metric, m in result.summary.agreement.items():
        png = heatmap_png(m.names, m.array(), title=METRIC_TITLES.get(metric, metric),
                          vmin=-1.0 if metric == "rank_correlation" else 0.0, vmax=1.0)
        out.append((metric, data_uri(png)))
    return out


def render_study(result: StudyResult) -> str:
    """study.html as a string (self-contained: the heatmaps are inlined)."""
    return _environment().get_template("study.html").render(
        result=result, items=result.items, summary=result.summary, heatmaps=agreement_heatmaps(result))
