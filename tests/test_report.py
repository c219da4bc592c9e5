"""`verbalize report`: one self-contained HTML file and the exports, from a real stored run."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from browser_fixtures import PAYLOAD, sample_results, store_run
from typer.testing import CliRunner

from verbalize.cli import app as verbalize_app
from verbalize.eval.agreement import agreement_matrix
from verbalize.report.export import ReportItem, flatten_item
from verbalize.report.run import highlight_claims, render_report, summarize, token_heatmap
from verbalize.store import Store


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """runs/demo with two real explanations (one carrying an LLM answer with a script payload) and a failure."""
    base = tmp_path_factory.mktemp("report")
    folder = base / "runs" / "demo"
    with Store.in_folder(folder) as store:
        store_run(store, "demo", folder=base / "images", with_payload=True)
    return folder


@pytest.fixture(scope="module")
def cli_result(run_dir: Path):
    return CliRunner().invoke(verbalize_app, ["report", str(run_dir), "--export", "jsonl,csv", "--export", "parquet"])


def test_report_is_one_self_contained_file(run_dir: Path, cli_result) -> None:
    assert cli_result.exit_code == 0, cli_result.output
    assert "2 done, 1 failed" in cli_result.output
    html = (run_dir / "report.html").read_text()
    # Every picture is inline: original, overlay and segment of both images, plus the plots.
    assert len(re.findall(r'<img src="data:image/jpeg;base64,', html)) == 6
    assert len(re.findall(r'<img src="data:image/png;base64,', html)) >= 3
    assert not re.search(r'(src|href)="(?!data:|#)', html), "nothing may be loaded from outside the file"
    assert "Egyptian cat" in html and "espresso" in html
    assert 'class="card failed"><div class="num">1<' in html
    # The summary covers the faithfulness / localisation metrics and fidelity per verbalizer.
    for label in ("deletion AUC", "insertion AUC", "saliency in segment", "p(label | segment only)"):
        assert label in html
    assert re.search(r"<td>template</td><td>2</td>\s*<td>1\.000</td>", html)
    assert re.search(r"<td>llm</td><td>2</td>\s*<td>0\.500</td>", html)
    assert not list(run_dir.glob(".report.html.*")), "the temporary file is renamed, not left behind"


def test_model_text_is_escaped_and_claims_marked(run_dir: Path, cli_result) -> None:
    html = (run_dir / "report.html").read_text()
    assert "<script>window.__pwned" not in html and "<img src=x" not in html
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;&lt;img src=x onerror=&#34;window.__pwned=1&#34;&gt;" in html
    assert '<mark class="claim contradicted" title="contradicted · number: no fact has this value">86%</mark>' in html
    assert "&lt;i&gt;the predicted label&lt;/i&gt;" in html  # a claim's reason is text too
    assert "&lt;b&gt;evil-model&lt;/b&gt;" in html
    assert "failed: broken.png: not an image (unrecognised format) &lt;script&gt;x&lt;/script&gt;" in html
    assert html.count("<script") == 0
    assert "<th>subject</th><th>fact</th>" in html  # each claim's subject and fact in the claim table


def test_exports_round_trip(run_dir: Path, cli_result) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    rows_jsonl = [json.loads(line) for line in (run_dir / "results.jsonl").read_text().splitlines()]
    with (run_dir / "results.csv").open(newline="") as f:
        rows_csv = list(csv.DictReader(f))
    rows_parquet = pq.read_table(run_dir / "results.parquet").to_pylist()
    assert [r["id"] for r in rows_jsonl] == [r["id"] for r in rows_csv] == [r["id"] for r in rows_parquet] \
        == ["broken.png", "chelsea.png", "coffee.png"]
    assert list(rows_jsonl[0]) == list(rows_csv[0]) == list(rows_parquet[0])  # one set of columns everywhere
    by_id = {r["id"]: r for r in rows_parquet}
    assert by_id["broken.png"]["status"] == "failed" and "not an image" in by_id["broken.png"]["error"]
    results = sample_results()
    for key, result in results.items():
        ex = result.explanation
        row = by_id[key]
        assert row["status"] == "done" and row["predicted_label"] == ex.prediction.label
        assert row["deletion_auc"] == pytest.approx(ex.facts.deletion_auc)
        assert row["template_fidelity"] == 1.0 and row["llm_fidelity"] == 0.5
        assert row["llm_text"] == PAYLOAD  # exports keep the text as it was: escaping is HTML's business
        assert float(next(r for r in rows_csv if r["id"] == key)["insertion_auc"]) == pytest.approx(ex.facts.insertion_auc)
    assert rows_jsonl[1]["input"].endswith("chelsea.png")


def test_accuracy_uses_expected_labels() -> None:
    results = sample_results()
    items = [ReportItem(key=k, status="done", result=r.explanation.model_dump(mode="json"), label=label)
             for (k, r), label in zip(results.items(), ["egyptian cat", "cup"], strict=True)]
    summary = summarize(items, plots=False)
    assert summary.accuracy == 0.5 and summary.accuracy_n == 2
    assert flatten_item(items[0])["correct"] is True and flatten_item(items[1])["correct"] is False


def test_highlight_claims_escapes_the_pieces_and_distrusts_offsets() -> None:
    text = 'a <b>"cat"</b> & 76%'
    claims = [{"start": 2, "end": 14, "status": "supported", "kind": "label", "reason": 'x" onmouseover="y'},
              {"start": 3, "end": 5, "status": "contradicted", "kind": "word"},  # overlaps the first: skipped
              {"start": 17, "end": 20, "status": "<script>", "kind": "number"},  # unknown status → unverifiable
              {"start": 15, "end": 99, "status": "supported", "kind": "number"}]  # beyond the text: skipped
    out = str(highlight_claims(text, claims))
    assert out == ('a <mark class="claim supported" title="supported · label: x&#34; onmouseover=&#34;y">'
                   '&lt;b&gt;&#34;cat&#34;&lt;/b&gt;</mark> &amp; <mark class="claim unverifiable" '
                   'title="unverifiable · number">76%</mark>')


def test_token_heatmap_escapes_tokens_and_shades_by_sign() -> None:
    out = str(token_heatmap(["<script>", "great", "film"], [-0.5, 1.0, 0.0]))
    assert "&lt;script&gt;" in out and "<script>" not in out
    assert "rgba(31,119,180,0.50)" in out  # negative: blue, half as strong as the strongest
    assert "rgba(214,39,40,1.00)" in out  # the strongest positive token is fully red
    with pytest.raises(ValueError):
        token_heatmap(["a"], [1.0, 2.0])


def test_agreement_heatmaps_and_text_items_render() -> None:
    matrices = agreement_matrix({"occlusion": [0.9, 0.1, -0.4], "lime": [0.7, 0.2, -0.1], "self": [0.1, 0.8, 0.0]})
    text_item = ReportItem(key="row:2", status="done", input={"text": "great <b>film</b>"},
                           result={"tokens": ["great", "<b>film</b>"],
                                   "attributions": [{"method": "occlusion", "scores": [0.8, -0.2]}]})
    html = render_report([text_item], {"name": "texts", "kind": "text"}, summary_extras={
        "agreement": {"feature_agreement": matrices["feature_agreement"],
                      "rank_correlation": (["a", "b"], [[1.0, float("nan")], [float("nan"), 1.0]])}})
    assert "agreement: feature_agreement" in html and "agreement: rank_correlation" in html
    assert html.count('alt="agreement: ') == 2
    assert '<span class="tok" style="background:rgba(214,39,40,1.00)" title="+0.800">great</span>' in html
    assert "&lt;b&gt;film&lt;/b&gt;" in html and "<b>film</b>" not in html


def test_secrets_in_the_run_config_are_not_shown() -> None:
    html = render_report([], {"name": "r", "config": {"llm": {"backend": "openai:gpt@https://user:hunter2@h/v1",
                                                               "api_key": "sk-secret"}}})
    assert "hunter2" not in html and "sk-secret" not in html and "***" in html



def test_claims_show_their_subject_and_fact_on_hover() -> None:
    text = "The model is 80% sure it is a tiger cat."
    claims = [{"start": 13, "end": 16, "status": "contradicted", "kind": "probability", "subject": "tiger cat",
               "fact": "p_alt1 = 0.0841", "reason": "p(tiger cat) = 0.0841"}]
    out = str(highlight_claims(text, claims))
    assert 'title="contradicted · probability · tiger cat · p_alt1 = 0.0841: p(tiger cat) = 0.0841"' in out
