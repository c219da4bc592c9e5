"""`verbalize explain` / `verify` as a user runs them: real subprocesses, files, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from verbalize.pipeline.image.samples import sample_path

CLI = [sys.executable, "-m", "verbalize.cli"]


def run(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=full_env, cwd=cwd, timeout=600)


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    (d / "empty.jpg").write_bytes(b"")
    (d / "notes.png").write_text("this is not an image\n")
    good = Image.open(sample_path("coffee")).convert("RGB")
    good.save(d / "full.jpg", quality=90)
    data = (d / "full.jpg").read_bytes()
    (d / "truncated.jpg").write_bytes(data[: len(data) // 3])
    os.mkdir(d / "folder.png")
    return {p.stem: p for p in d.iterdir()}


@pytest.mark.parametrize("name,reason", [
    ("empty", "empty file"),
    ("notes", "not an image"),
    ("truncated", "truncated"),
    ("folder", "is a directory"),
])
def test_bad_files_give_one_line_and_exit_2(bad_files: dict[str, Path], tmp_path: Path, name: str, reason: str) -> None:
    out = tmp_path / "out"
    r = run("explain", str(bad_files[name]), "--out", str(out))
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert str(bad_files[name]) in lines[0] and reason in lines[0]
    assert "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_file(tmp_path: Path) -> None:
    r = run("explain", str(tmp_path / "nope.jpg"), "--out", str(tmp_path / "out"))
    assert r.returncode == 2
    assert r.stderr.strip() == f"error: {tmp_path / 'nope.jpg'}: file not found"


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (400, 300)).save(big)
    r = run("explain", str(big), "--out", str(tmp_path / "out"), env={"VERBALIZE_MAX_IMAGE_PIXELS": "50000"})
    assert r.returncode == 2
    assert "pixel limit" in r.stderr and len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args,needle", [
    (["--method", "magic"], "unknown saliency method 'magic'"),
    (["--layer", "layer9"], "unknown layer 'layer9'"),
    (["--segmenter", "sam", "--sam-checkpoint", "/nowhere/sam_vit_b.pth"], "/nowhere/sam_vit_b.pth"),
    (["--model", "no_such_net"], "unknown model 'no_such_net'"),
])
def test_bad_options_give_one_line_and_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "out"
    r = run("explain", str(sample_path("coffee")), "--out", str(out), *args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert not out.exists()


def _modes(tmp: Path) -> dict[str, Path]:
    rgb = Image.open(sample_path("chelsea")).convert("RGB")
    files = {}
    files["cmyk"] = tmp / "cmyk.jpg"
    rgb.convert("CMYK").save(files["cmyk"])
    files["rgba"] = tmp / "rgba.png"
    rgba = rgb.convert("RGBA")
    rgba.putalpha(200)
    rgba.save(files["rgba"])
    files["gray"] = tmp / "gray.png"
    rgb.convert("L").save(files["gray"])
    files["palette"] = tmp / "palette.gif"
    rgb.convert("P", palette=Image.Palette.ADAPTIVE).save(files["palette"])
    files["16bit"] = tmp / "sixteen.png"
    Image.fromarray(np.asarray(rgb.convert("L"), dtype=np.uint16) * 257).save(files["16bit"])
    # EXIF orientation 6: stored landscape, shown portrait (rotate 90 degrees clockwise)
    exif = Image.Exif()
    exif[0x0112] = 6
    files["exif"] = tmp / "rotated.jpg"
    rgb.save(files["exif"], exif=exif.tobytes())
    return files


def test_unusual_modes_are_converted_and_several_images_share_one_run(tmp_path: Path) -> None:
    files = _modes(tmp_path)
    out = tmp_path / "out"
    r = run("explain", *map(str, files.values()), "--out", str(out))
    assert r.returncode == 0, r.stderr
    for name, path in files.items():
        ex = json.loads((out / path.stem / "explanation.json").read_text())
        assert ex["prediction"]["label"], name
        assert (out / path.stem / "overlay.png").stat().st_size > 0
        assert (out / path.stem / "segment.png").stat().st_size > 0
    exif = json.loads((out / "rotated" / "explanation.json").read_text())
    assert (exif["image"]["width"], exif["image"]["height"]) == (300, 451)  # rotated upright
    modes = {p.stem: json.loads((out / p.stem / "explanation.json").read_text())["image"]["mode"] for p in files.values()}
    assert modes["cmyk"] == "CMYK" and modes["rgba"] == "RGBA" and modes["palette"] == "P"
    assert modes["sixteen"].startswith("I")
    # The cat is a cat in every colour mode that keeps colour.
    for stem in ("cmyk", "rgba", "palette", "rotated"):
        label = json.loads((out / stem / "explanation.json").read_text())["prediction"]["label"]
        assert label in {"Egyptian cat", "tabby", "tiger cat"}, (stem, label)


def test_explain_writes_outputs_and_verify_checks_text(tmp_path: Path) -> None:
    out = tmp_path / "chelsea"
    r = run("explain", "--sample", "chelsea", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "Egyptian cat" in r.stdout and "fidelity 1.00" in r.stdout
    ex = json.loads((out / "explanation.json").read_text())
    assert set(ex) >= {"prediction", "attribution", "segment", "facts", "verbalizations", "timings", "provenance"}
    assert ex["segment"]["method"] == "grabcut"
    assert ex["provenance"]["forward_passes"]["total"] > 0
    for png in ("overlay.png", "segment.png"):
        assert Image.open(out / png).size == (451, 300)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers

    p = ex["facts"]["probability"]
    wrong = round(100 * p) + 20
    text = (f'The model predicts "Egyptian cat" with {round(100 * p)}% probability. '
            f'It is {wrong}% sure. The cat is cute.')
    r = run("verify", str(out / "explanation.json"), "--text", text, "--json")
    assert r.returncode == 0, r.stderr
    v = json.loads(r.stdout)
    marks = {c["text"]: c["status"] for c in v["claims"]}
    assert marks["Egyptian cat"] == "supported"
    assert marks[f"{round(100 * p)}%"] == "supported"
    assert marks[f"{wrong}%"] == "contradicted"
    assert v["fidelity"] == pytest.approx(2 / 3)

    r = run("verify", str(out / "explanation.json"))
    assert r.returncode == 2 and "exactly one of --text or --text-file" in r.stderr
