"""Config precedence (defaults < YAML < environment < flags) and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from verbalize.config import load_config
from verbalize.errors import UserError


def test_file_env_and_flags(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("seed: 3\nsaliency:\n  method: shap\n  shap_max_evals: 200\nscorer:\n  batch_size: 8\n")
    monkeypatch.setenv("VERBALIZE_SALIENCY__SHAP_MAX_EVALS", "300")
    monkeypatch.setenv("VERBALIZE_SAM_CHECKPOINT", "/ckpt/sam_vit_b.pth")
    cfg = load_config(f)
    assert (cfg.seed, cfg.saliency.method, cfg.saliency.shap_max_evals, cfg.scorer.batch_size) == (3, "shap", 300, 8)
    assert cfg.segmenter.sam_checkpoint == "/ckpt/sam_vit_b.pth"
    flagged = cfg.with_overrides(**{"saliency.method": "lime", "seed": None})
    assert flagged.saliency.method == "lime" and flagged.seed == 3 and flagged.saliency.shap_max_evals == 300


@pytest.mark.parametrize("text,needle", [
    ("saliency: [1, 2", "not valid YAML"),
    ("- a\n- b\n", "mapping of sections"),
    ("saliency:\n  shap_max_evals: lots\n", "saliency.shap_max_evals"),
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
