"""Config precedence (defaults < YAML < environment < flags) and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from verbalize.core.config import load_config
from verbalize.core.errors import UserError
from verbalize.pipeline.image.methods import check_sections, method_params


def test_file_env_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("seed: 3\nsaliency:\n  method: shap\n  shap:\n    max_evals: 200\nscorer:\n  batch_size: 8\n")
    monkeypatch.setenv("VERBALIZE_SALIENCY__SHAP__MAX_EVALS", "300")
    monkeypatch.setenv("VERBALIZE_SAM_CHECKPOINT", "/ckpt/sam_vit_b.pth")
    cfg = load_config(f)
    assert (cfg.seed, cfg.saliency.method, cfg.scorer.batch_size) == (3, "shap", 8)
    assert method_params(cfg.saliency, "shap").max_evals == 300
    assert cfg.segmenter.sam_checkpoint == "/ckpt/sam_vit_b.pth"
    flagged = cfg.with_overrides(**{"saliency.method": "lime", "seed": None, "saliency.occlusion.window": 8})
    assert flagged.saliency.method == "lime" and flagged.seed == 3
    assert method_params(flagged.saliency, "shap").max_evals == 300
    assert method_params(flagged.saliency, "occlusion").window == 8


def test_flat_keys_of_version_0_1_still_work_with_one_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "old.yaml"
    f.write_text("saliency:\n  method: occlusion\n  occlusion_window: 24\n  lime_samples: 50\n")
    with pytest.warns(DeprecationWarning, match="saliency.occlusion.window"):
        cfg = load_config(f)
    assert method_params(cfg.saliency, "occlusion").window == 24
    assert method_params(cfg.saliency, "lime").samples == 50
    err = capsys.readouterr().err
    assert "deprecated" in err and err.count("\n") == 2  # one line per key


@pytest.mark.parametrize("overrides,needle", [
    ({"saliency.method.x": 1}, "saliency.method"),
    ({"scorer.batch_size": -4}, "scorer.batch_size"),
    ({"seed": -1}, "seed"),
    ({"seed": 10**26}, "seed"),
    ({"nosuch.key": 1}, "nosuch"),
])
def test_bad_overrides_are_one_line(overrides: dict[str, object], needle: str) -> None:
    with pytest.raises(UserError, match=needle) as e:
        load_config().with_overrides(**overrides)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("section,needle", [
    ({"shap": {"max_evals": "lots"}}, "saliency.shap.max_evals"),
    ({"foo": {"bar": 1}}, "saliency.foo"),
    ({"occlusion": {"windw": 3}}, "saliency.occlusion.windw"),
])
def test_bad_method_sections_are_one_line(section: dict[str, object], needle: str) -> None:
    cfg = load_config().with_overrides(**{f"saliency.{k}.{kk}": v for k, d in section.items() for kk, v in d.items()})
    with pytest.raises(UserError, match=needle) as e:
        check_sections(cfg.saliency)
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("text,needle", [
    ("saliency: [1, 2", "not valid YAML"),
    ("- a\n- b\n", "mapping of sections"),
    ("saliency:\n  method: [1]\n", "saliency.method"),
    ("nonsense_key: 1\n", "nonsense_key"),
])
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(UserError, match=needle) as e:
        load_config(f)
    assert "\n" not in str(e.value) and str(f) in str(e.value)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_packaged_default_config_loads() -> None:
    cfg = load_config(Path(__file__).parents[1] / "configs" / "default.yaml")
    assert cfg.model.name == "efficientnet-lite0" and cfg.saliency.method == "gradcam"
