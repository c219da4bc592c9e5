"""`verbalize compare FILE.jsonl`: explanations made elsewhere, scored with the study's metrics
(hand-computed tables), and `compare_explanations` from Python."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verbalize.adapters.text import VaderClassifier
from verbalize.core.errors import UserError
from verbalize.pipeline.text.compare import compare_explanations

DRIVER = "import sys; from verbalize import cli\nsys.argv[0] = 'verbalize'; cli.main()"
NAMES = ["self", "occlusion", "lime"]

# n = 5 tokens, so k = 1.
RECORDS = [
    # top-1 by |score|: self -> "fine"; occlusion -> "fine" or "flaws" (tied 0.5); lime -> "flaws"
    {"id": "r1", "tokens": ["a", "fine", "film", "with", "flaws"], "label": "positive",
     "explanations": {"self": [0, 0.8, 0.1, 0, -0.3], "occlusion": [0, 0.5, 0, 0, -0.5],
                      "lime": [0.1, 0.2, 0.1, 0.0, -0.6]}},
    # self all zero: any of the five tokens is its top-1; occlusion and lime -> "dull"
    {"id": "r2", "text": "dull , dull and long", "prediction": "negative",
     "explanations": {"self": [0, 0, 0, 0, 0], "occlusion": [-0.2, 0, 0, 0, 0], "lime": [-0.2, -0.1, 0, 0, 0]}},
]
# feature agreement, expected over random tie orders: r1 self-occ 1/2, self-lime 0, occ-lime 1/2;
# r2 self-occ 1/5, self-lime 1/5, occ-lime 1 -> means below; the diagonal is 1
FA_EXPECTED = {("self", "occlusion"): 0.35, ("self", "lime"): 0.1, ("occlusion", "lime"): 0.75}
# ties by position: r1 occlusion picks "fine" (1, 0, 0); r2 self picks token 0 (1, 1, 1)
FA_POSITION = {("self", "occlusion"): 1.0, ("self", "lime"): 0.5, ("occlusion", "lime"): 0.5}
# sign agreement: r1 self-occ 1/2 ("fine" +,+), occ-lime 1/2 ("flaws" -,-); r2: self's zeros have no sign,
# occ-lime "dull" -,- -> 1
SA_EXPECTED = {("self", "occlusion"): 0.25, ("self", "lime"): 0.0, ("occlusion", "lime"): 0.75}
# tied share by |score|: self 2/5 and 5/5, occlusion 5/5 and 4/5, lime 2/5 and 3/5
TIED = {"self": 0.7, "occlusion": 0.9, "lime": 0.5}


def cli(*args: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-c", DRIVER, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=300)


def _matrix(path: Path) -> dict[tuple[str, str], float]:
    with path.open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["explanation", *NAMES] and [r[0] for r in rows[1:]] == NAMES
    return {(r[0], c): float(v) for r in rows[1:] for c, v in zip(NAMES, r[1:], strict=True)}


def _check(m: dict[tuple[str, str], float], want: dict[tuple[str, str], float]) -> None:
    for (a, b), v in want.items():
        assert m[a, b] == pytest.approx(v) and m[b, a] == pytest.approx(v), (a, b)


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    p = tmp_path / "explanations.jsonl"
    p.write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    return p


def test_compare_reproduces_hand_computed_tables(jsonl: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = cli("compare", jsonl, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert "feature agreement" in proc.stdout and "tied tokens" in proc.stdout
    fa = _matrix(out / "agreement_feature_agreement.csv")
    _check(fa, FA_EXPECTED)
    assert [fa[n, n] for n in NAMES] == [1.0, 1.0, 1.0]
    _check(_matrix(out / "agreement_sign_agreement.csv"), SA_EXPECTED)
    _check(_matrix(out / "agreement_iou.csv"), FA_EXPECTED)  # k = 1: IoU = feature agreement
    with (out / "faithfulness.csv").open() as fh:
        tied = {r["explanation"]: float(r["tied_share"]) for r in csv.DictReader(fh)}
    assert tied == pytest.approx(TIED)
    html = (out / "study.html").read_text()
    assert "tied tokens" in html and html.count('alt="') >= 7

    pos = tmp_path / "pos"
    proc = cli("compare", jsonl, "--out", pos, "--ties", "position", "--model", "vader")
    assert proc.returncode == 0, proc.stderr
    _check(_matrix(pos / "agreement_feature_agreement.csv"), FA_POSITION)
    with (pos / "faithfulness.csv").open() as fh:  # with a model: faithfulness on it
        assert all(r["comprehensiveness"] != "" and r["texts"] == "2" for r in csv.DictReader(fh))
    assert json.loads((pos / "study.json").read_text())["provenance"]["params"]["ties"] == "position"


def test_compare_explanations_in_python_with_faithfulness_on_a_real_model() -> None:
    result = compare_explanations(RECORDS, classifier=VaderClassifier())
    fa = result.summary.agreement["feature_agreement"]
    assert fa.names == NAMES
    assert fa.values[0][1] == pytest.approx(0.35)
    for it in result.items:
        assert set(it.probabilities) == {"negative", "positive"}
        for e in it.explanations:
            assert {"comprehensiveness", "sufficiency", "df_mit"} <= set(e.faithfulness)
    assert [r.texts for r in result.summary.faithfulness] == [2, 2, 2]
    assert result.items[1].explained_label == "negative"  # the record's prediction


FIVE = ["a", "b", "c", "d", "e"]


@pytest.mark.parametrize("record, message", [
    ({"tokens": FIVE, "explanations": {"self": [1, 2, 3, 4, 5]}}, "at least two"),
    ({"tokens": FIVE, "explanations": {"self": [0] * 5, "occlusion": [1], "lime": [0] * 5}}, "1 scores for 5 tokens"),
    ({"explanations": {"self": [1], "occlusion": [1], "lime": [1]}}, "'tokens' or 'text'"),
    ({"tokens": FIVE, "explanations": {"lime": [0] * 5, "self": [0] * 5, "occlusion": [0] * 5}}, "differ from the first"),
])
def test_bad_records_are_errors_naming_the_record(record: dict, message: str) -> None:
    with pytest.raises(UserError, match="record 2") as e:
        compare_explanations([RECORDS[0], record])
    assert message in str(e.value)


def test_labels_come_from_the_records_unless_given() -> None:
    meh = {"tokens": FIVE, "label": "meh", "explanations": {n: [0] * 5 for n in NAMES}}
    assert compare_explanations([RECORDS[0], meh]).options.labels == ["meh", "positive"]
    with pytest.raises(UserError, match="record 2: label 'meh' is not one of negative, positive"):
        compare_explanations([RECORDS[0], meh], labels=["negative", "positive"])


def test_a_bad_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    bad = {"tokens": FIVE, "explanations": {"self": [0] * 5, "occlusion": [1], "lime": [0] * 5}}
    p.write_text(json.dumps(RECORDS[0]) + "\n\n" + json.dumps(bad) + "\n")
    proc = cli("compare", p, "--out", tmp_path / "o")
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {p}:3: explanation 'occlusion' has 1 scores for 5 tokens"
    assert not (tmp_path / "o").exists()
