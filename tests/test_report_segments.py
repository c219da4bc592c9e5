"""Segments in the batch store's rows, `run_to_pandas` and `verbalize report`, from a real batch run."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from PIL import Image
from test_regions import two_cats
from typer.testing import CliRunner

from verbalize.cli import app as verbalize_app
from verbalize.core.config import Config
from verbalize.pipeline.batch import runner as batch
from verbalize.pipeline.batch.rows import ReportItem, segment_rows
from verbalize.pipeline.image.samples import sample_path
from verbalize.store import Store


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished batch run over two images: two pasted cats (two segments) and Chelsea (one)."""
    base = tmp_path_factory.mktemp("segments")
    images = base / "images"
    images.mkdir()
    Image.fromarray(two_cats()[0]).save(images / "two-cats.png")
    (images / "chelsea.png").write_bytes(sample_path("chelsea").read_bytes())
    cfg = Config.model_validate({"segmenter": {"kind": "grabcut", "max_objects": 2, "refine_rounds": 2},
                                 "verbalizers": ["template"], "facts": {"curve_steps": 4}})
    summary = batch.run(images, cfg, base / "runs" / "seg")
    assert summary.failed == 0
    return base / "runs" / "seg"


def _results(run_dir: Path) -> dict[str, dict]:
    store, run = batch.open_run(run_dir)
    with store:
        return {i.item_key: i.result for i in store.items(run.id)}


def test_rows_and_pandas_carry_each_segment(run_dir: Path) -> None:
    results = _results(run_dir)
    frame = batch.run_to_pandas(run_dir).set_index("id")
    two = results["two-cats.png"]
    row = frame.loc["two-cats.png"]
    assert row["segments"] == 2
    for i, (segment, region) in enumerate(zip(two["segments"], two["facts"]["regions"], strict=True), start=1):
        assert row[f"segment{i}_location"] == region["location"]
        assert row[f"segment{i}_saliency_share"] == pytest.approx(region["saliency_share"])
        assert row[f"segment{i}_p_only"] == pytest.approx(region["p_only"])
        assert row[f"segment{i}_p_removed"] == pytest.approx(region["p_removed"])
        assert row[f"segment{i}_points"] == len(segment["prompt_points_xy"]) >= 1
        assert row[f"segment{i}_negatives"] == len(segment["prompt_negative_xy"]) >= 1
        assert row[f"segment{i}_rounds"] == segment["rounds"]
        assert row[f"segment{i}_stop_reason"] == segment["stop_reason"] in ("converged", "round limit")
    one = results["chelsea.png"]
    row = frame.loc["chelsea.png"]
    assert row["segments"] == 1 and one["segments"] == []
    assert row["segment1_saliency_share"] == pytest.approx(one["facts"]["saliency_in_segment"])
    assert row["segment1_p_only"] == pytest.approx(one["facts"]["p_segment_only"])
    assert row["segment1_p_removed"] == pytest.approx(one["facts"]["p_segment_removed"])
    assert row["segment1_rounds"] == one["segment"]["rounds"]
    assert pd.isna(row["segment2_p_only"])  # the single-object row has no second segment
    assert segment_rows(ReportItem("x", result={"facts": {}}).result or {}) == []  # a result without segments


def test_report_card_shows_a_segment_table(run_dir: Path) -> None:
    result = CliRunner().invoke(verbalize_app, ["report", str(run_dir), "--export", "csv"])
    assert result.exit_code == 0, result.output
    html = (run_dir / "report.html").read_text()
    tables = re.findall(r'<table class="segments">.*?</table>', html, flags=re.S)
    assert len(tables) == 2  # one per item card
    two = next(t for t in tables if "2 segments, strongest first" in t)
    regions = _results(run_dir)["two-cats.png"]["facts"]["regions"]
    for r in regions:  # each region's share and p(label) kept alone / removed, as the report formats them
        assert r["location"] in two
        for key in ("saliency_share", "p_only", "p_removed"):
            assert f"{100 * r[key]:.1f}%" in two, key
    assert two.count("<tr>") == 1 + 2 and "grabcut" in two
    one = next(t for t in tables if "1 segment, strongest first" in t)
    assert one.count("<tr>") == 1 + 1 and _results(run_dir)["chelsea.png"]["segment"]["stop_reason"] in one
    exported = list(csv.DictReader(io.StringIO((run_dir / "results.csv").read_text())))
    assert {"segments", "segment1_saliency_share", "segment2_p_removed", "segment2_stop_reason"} <= set(exported[0])
    assert sorted(r["segments"] for r in exported) == ["1", "2"]
    with Store.in_folder(run_dir) as store:  # the store itself is untouched by reporting
        assert store.get_run("seg") is not None
