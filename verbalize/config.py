"""Run configuration: a YAML file, overridden by VERBALIZE_* environment variables, then by flags.

Nested keys map to environment variables with a double underscore, e.g.
`VERBALIZE_SEGMENTER__SAM_CHECKPOINT=/path/sam_vit_b.pth`. `VERBALIZE_SAM_CHECKPOINT` is accepted
too, as the short name users reach for.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from verbalize.errors import UserError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class ModelConfig(_Section):
    name: str = Field(
        default="efficientnet-lite0",
        description="'efficientnet-lite0' (embedded), a torchvision name ('resnet50'), 'timm:NAME', "
        "'hf:NAME_OR_DIR', or a local path",
    )
    device: str = "cpu"
    target_layer: str | None = Field(default=None, description="dotted module path for CAMs; auto when unset")


class SaliencyConfig(_Section):
    method: str = "gradcam"
    shap_max_evals: int = 500
    shap_masker: Literal["blur", "inpaint_telea", "inpaint_ns"] = "blur"
    shap_blur_kernel: int = 32
    occlusion_window: int = 32
    occlusion_stride: int = 16
    occlusion_fill: Literal["mean", "zero", "blur"] = "blur"
    lime_samples: int = 300
    lime_segments: int = 50


class SegmenterConfig(_Section):
    kind: Literal["auto", "sam", "grabcut"] = Field(
        default="auto", description="'auto' uses SAM when a checkpoint is configured, GrabCut otherwise"
    )
    sam_checkpoint: str | None = None
    sam_model_type: Literal["vit_b", "vit_l", "vit_h", "auto"] = "auto"
    points: int = 3
    point_min_distance: float = Field(default=0.15, description="NMS radius as a share of the image's longer side")
    use_box: bool = True
    threshold: float = Field(default=0.5, description="share of the map's max above which a pixel is 'salient'")


class FactsConfig(_Section):
    fill: Literal["blur", "mean", "zero"] = "blur"
    curve_steps: int = 20


class ScorerConfig(_Section):
    batch_size: int = 32


class LLMConfig(_Section):
    backend: str = Field(default="local", description="local | local:/path | openai:MODEL[@URL] | langchain")
    temperature: float = 0.0
    max_tokens: int = 256
    timeout_s: float = 60.0
    max_retries: int = 4
    concurrency: int = 4
    cache: bool = True
    prompts_dir: str | None = None
    cache_path: str | None = Field(default=None, description="response cache file; default in the user cache dir")


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VERBALIZE_", env_nested_delimiter="__", extra="forbid", protected_namespaces=()
    )

    seed: int = 0
    model: ModelConfig = Field(default_factory=ModelConfig)
    saliency: SaliencyConfig = Field(default_factory=SaliencyConfig)
    segmenter: SegmenterConfig = Field(default_factory=SegmenterConfig)
    facts: FactsConfig = Field(default_factory=FactsConfig)
    scorer: ScorerConfig = Field(default_factory=ScorerConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    verbalizers: list[str] = Field(default_factory=lambda: ["template"])
    max_image_pixels: int = Field(default=89_478_485, description="refuse larger images (decompression bombs)")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):  # type: ignore[no-untyped-def, override]
        # Environment over the YAML file (passed as init kwargs): a deployment tweaks one key
        # without editing the file.
        return env_settings, init_settings

    def with_overrides(self, **dotted: Any) -> Config:
        """A copy with `section.key=value` overrides applied (None values are ignored)."""
        data = self.model_dump()
        for key, value in dotted.items():
            if value is None:
                continue
            *path, leaf = key.split(".")
            node = data
            for p in path:
                node = node[p]
            node[leaf] = value
        return _validate(data, "overrides")


def _validate(data: dict[str, Any], where: str) -> Config:
    try:
        return Config.model_validate(data)  # no environment here: flags beat the environment
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{where}: invalid config at '{loc}': {first['msg']}") from e


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Defaults < YAML file < environment. Errors are one line naming the file and the key."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.is_file():
            raise UserError(f"{p}: config file not found")
        try:
            loaded = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as e:
            raise UserError(f"{p}: not valid YAML ({str(e).splitlines()[0]})") from e
        if not isinstance(loaded, dict):
            raise UserError(f"{p}: a config file must be a mapping of sections")
        data = loaded
    short = os.environ.get("VERBALIZE_SAM_CHECKPOINT")
    if short and not os.environ.get("VERBALIZE_SEGMENTER__SAM_CHECKPOINT"):
        data.setdefault("segmenter", {}).setdefault("sam_checkpoint", short)
    try:
        return Config(**data)  # the environment is merged over the file (see settings_customise_sources)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{path or 'environment'}: invalid config at '{loc}': {first['msg']}") from e
