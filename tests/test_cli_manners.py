"""How the `verbalize` command behaves before any work starts: usage errors, --version, start-up imports, the packaged config."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import verbalize
from verbalize.cli import COMMANDS, MODEL_COMMANDS, main

ROOT = Path(__file__).resolve().parents[1]
COMMAND_PATHS = [[name] for name, _ in COMMANDS] + [["models", name] for name, _ in MODEL_COMMANDS]


def _main(args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["verbalize", *args])
    with pytest.raises(SystemExit) as e:
        main()
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=" ".join)
def test_every_command_answers_a_usage_error_with_one_line_and_exit_2(
        path: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, out, err = _main([*path, "--no-such-option"], capsys, monkeypatch)
    assert code == 2
    assert err.strip().splitlines() == [err.strip()] and "Traceback" not in err
    assert err.startswith("error: No such option: --no-such-option") and " ".join(path) in err and not out


@pytest.mark.parametrize("args,needle", [
    (["no-such-command"], "No such command 'no-such-command'"),
    (["verify"], "Missing argument 'explanation'"),
    (["models", "pull"], "Missing argument 'name'"),
    (["serve", "--port", "0"], "Invalid value for '--port'"),
])
def test_missing_arguments_and_bad_values_are_one_line_too(
        args: list[str], needle: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = _main(args, capsys, monkeypatch)
    assert code == 2 and len(err.strip().splitlines()) == 1 and needle in err


HEAVY = ("torch", "shap", "numba", "lime", "transformers")
"""Libraries that take seconds to import: `--help`, `verify` and `report` need none of them."""
NONE_HEAVY = "heavy imports: none"


def _subprocess(*args: str, probe: bool = False, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """`verbalize ARGS` in a fresh interpreter; with probe=True stderr's last line names the HEAVY libraries imported."""
    code = ("import sys\nfrom verbalize.cli import main\nsys.argv = ['verbalize', *sys.argv[1:]]\n"
            "try:\n    main()\nfinally:\n"
            f"    print('heavy imports:', ', '.join(m for m in {HEAVY!r} if m in sys.modules) or 'none', "
            "file=sys.stderr)\n") if probe else \
        "from verbalize.cli import main; main()"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env,
                          cwd=cwd or ROOT, timeout=120)


def test_version_prints_the_version() -> None:
    r = _subprocess("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"verbalize {verbalize.__version__}" and not r.stderr


def test_help_verify_and_report_import_no_torch_shap_numba_lime_or_transformers(tmp_path: Path) -> None:
    # a real explanation.json and a real run folder, made in this process (which may import torch)
    from verbalize.core.config import Config
    from verbalize.pipeline.batch.runner import run as run_batch
    from verbalize.pipeline.image.explainer import ImageExplainer
    from verbalize.pipeline.image.samples import sample_path

    cfg = Config().with_overrides(**{"facts.curve_steps": 2})
    out = ImageExplainer(cfg).explain(sample_path("chelsea")).write(tmp_path / "ex")
    assert _subprocess("--help", probe=True).stderr.strip().splitlines()[-1] == NONE_HEAVY
    r = _subprocess("verify", str(out / "explanation.json"), "--text", "The model predicts Egyptian cat.", probe=True)
    assert r.returncode == 0 and "supported" in r.stdout, r.stderr
    assert r.stderr.strip().splitlines()[-1] == NONE_HEAVY
    images = tmp_path / "images"
    images.mkdir()
    (images / "cat.jpg").write_bytes(sample_path("chelsea").read_bytes())
    summary = run_batch(images, cfg, tmp_path / "runs" / "r1")
    frame = verbalize.run_to_pandas(tmp_path / "runs" / "r1")  # the batch run in a notebook
    assert list(frame["id"]) == ["cat.jpg"] and list(frame["predicted_label"]) == ["Egyptian cat"]
    assert summary.to_pandas().equals(frame)  # the same rows from the object `batch.run` returned
    from verbalize.pipeline.batch.runner import open_run

    db, record = open_run(tmp_path / "runs" / "r1")
    with db:
        (item,) = list(db.items(record.id, with_artifacts=True))
    assert {"overlay.png", "segment.png", "mask.png", "arrays.npz"} <= set(item.artifacts)
    r = _subprocess("report", str(tmp_path / "runs" / "r1"), probe=True)
    assert r.returncode == 0 and (tmp_path / "runs" / "r1" / "report.html").is_file(), r.stderr
    assert r.stderr.strip().splitlines()[-1] == NONE_HEAVY


def test_the_image_journey_with_template_words_imports_no_langchain() -> None:
    """langchain-core (~0.5 s) loads with the prompt files, which only the LLM and VLM verbalizers read."""
    code = ("import sys\nimport verbalize.pipeline.image.explainer\n"
            "print('langchain_core' in sys.modules, 'verbalize.prompts' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0 and r.stdout.split() == ["False", "False"], r.stderr


def test_the_default_config_ships_inside_the_package(tmp_path: Path) -> None:
    from verbalize.core.config import load_config

    assert load_config("default") == load_config(ROOT / "configs" / "default.yaml")
    # from a folder without configs/: the config loads, so the first complaint is about the image
    r = _subprocess("explain", "missing.jpg", "--config", "default", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == "error: missing.jpg: file not found"
    r = _subprocess("explain", "missing.jpg", "--config", "nodefault", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip() == "error: nodefault: config file not found"


def test_third_party_progress_bars_stay_quiet() -> None:
    """transformers converts GGUF weights under a tqdm bar; inside `verbalize` no such bar reaches the terminal."""
    code = ("import sys\nfrom verbalize.cli import main\nsys.argv = ['verbalize', 'methods']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "from tqdm.auto import tqdm\nlist(tqdm(range(50), desc='Converting and de-quantizing GGUF tensors...'))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                       env={**env, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0 and "Converting" not in r.stderr and "50/50" not in r.stderr, r.stderr


def test_the_first_load_of_the_embedded_llm_says_one_line_of_ours(tmp_path: Path) -> None:
    """A fresh cache converts the GGUF once: our one line on stderr, not transformers' bar."""
    env = {k: v for k, v in os.environ.items() if k not in ("TQDM_DISABLE", "HF_HUB_DISABLE_PROGRESS_BARS")}
    r = subprocess.run([sys.executable, "-m", "verbalize.cli", "explain-text", "a fine film", "--model", "llm:local",
                        "--methods", "occlusion", "--json"], capture_output=True, text=True, timeout=300,
                       env={**env, "VERBALIZE_CACHE_DIR": str(tmp_path), "OMP_NUM_THREADS": "1"})
    assert r.returncode == 0, r.stderr
    ours = [line for line in r.stderr.splitlines() if line.startswith("verbalize: converting")]
    assert len(ours) == 1 and "Converting and de-quantizing" not in r.stderr and "it/s" not in r.stderr, r.stderr


@pytest.mark.parametrize("model", ["hf:nobody/no-such-model", "timm:resnet18"])
def test_models_missing_from_the_hub_cache_say_so_in_our_words(model: str, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from verbalize.adapters.vision import load_classifier
    from verbalize.core.errors import UserError

    monkeypatch.setenv("HF_HOME", str(tmp_path))  # an empty cache
    with pytest.raises(UserError) as e:
        load_classifier(model)
    message = str(e.value)
    assert "\n" not in message and "connect" not in message
    assert "not in the local Hugging Face cache; nothing is downloaded at run time" in message


def test_a_text_model_missing_from_the_hub_cache_says_so_in_our_words(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from verbalize.adapters.text import load_text_classifier
    from verbalize.core.errors import UserError

    monkeypatch.setenv("HF_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(UserError) as e:
        load_text_classifier("nobody/no-such-model")
    assert "connect" not in str(e.value) and "\n" not in str(e.value)
    assert str(e.value).startswith("nobody/no-such-model: cannot load a sequence classifier from local files (")
