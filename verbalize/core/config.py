"""Run configuration: a YAML file, overridden by VERBALIZE_* environment variables, then by flags.

Nested keys map to environment variables with a double underscore, e.g.
`VERBALIZE_SEGMENTER__SAM_CHECKPOINT=/path/sam_vit_b.pth`. `VERBALIZE_SAM_CHECKPOINT` is accepted
too, as the short name users reach for.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from verbalize.core.errors import UserError


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


LEGACY_SALIENCY_KEYS: dict[str, tuple[str, str]] = {
    "shap_max_evals": ("shap", "max_evals"),
    "shap_masker": ("shap", "masker"),
    "shap_blur_kernel": ("shap", "blur_kernel"),
    "occlusion_window": ("occlusion", "window"),
    "occlusion_stride": ("occlusion", "stride"),
    "occlusion_fill": ("occlusion", "fill"),
    "lime_samples": ("lime", "samples"),
    "lime_segments": ("lime", "segments"),
}
"""The flat keys of version 0.1 (``saliency.occlusion_window``) and their nested homes; they still
work for one release, with a one-line deprecation warning."""


class SaliencyConfig(BaseModel):
    """The method to run, and one section of parameters per method (``saliency.occlusion.window``).

    Sections are kept as plain mappings here and validated against each method's own parameter
    model (see `verbalize.pipeline.image.methods`), so adding a method never touches this class.
    """

    model_config = ConfigDict(extra="allow", protected_namespaces=())

    method: str = Field(default="gradcam", description="a registered saliency method (see `verbalize methods`)")
    candidates: list[str] | None = Field(default=None, description="--method best: the methods to compare "
                                         "(default: saliency.best.candidates)")

    @model_validator(mode="before")
    @classmethod
    def _legacy_and_sections(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for key, (section, leaf) in LEGACY_SALIENCY_KEYS.items():
            if key in out:
                value = out.pop(key)
                _warn_once(f"config key 'saliency.{key}' is deprecated; use 'saliency.{section}.{leaf}'")
                merged = dict(out.get(section) or {})
                merged.setdefault(leaf, value)
                out[section] = merged
        for key, value in out.items():
            if key not in ("method", "candidates") and not isinstance(value, dict):
                raise ValueError(f"'{key}' must be a section of method parameters (a mapping), got {value!r}")
        return out

    def sections(self) -> list[str]:
        """Names of the method sections present."""
        return list(self.model_extra or {})

    def section(self, name: str) -> dict[str, Any]:
        """The raw parameters of one method's section (empty when absent)."""
        return dict((self.model_extra or {}).get(name) or {})


_WARNED: set[str] = set()


def _warn_once(message: str) -> None:
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, DeprecationWarning, stacklevel=2)
        print(f"warning: {message}", file=sys.stderr)


SegmenterKind = Literal["auto", "sam", "sam2", "grabcut"]
"""The segmenters chosen by name. The one more, `hf:/folder`, is chosen by a path: a client of the
service may pick these names but never a path (the server would load whatever it named)."""
SEGMENTER_KINDS: tuple[str, ...] = get_args(SegmenterKind)


class SegmenterConfig(_Section):
    kind: str = Field(
        default="auto", pattern=rf"^({'|'.join(SEGMENTER_KINDS)}|hf:.+)$",
        description="auto | sam | sam2 | grabcut | hf:/folder (a Hugging Face SamModel or Sam2Model saved locally); "
                    "'auto' uses SAM when a checkpoint is configured, GrabCut otherwise",
    )
    sam_checkpoint: str | None = None
    sam_model_type: Literal["vit_b", "vit_l", "vit_h", "auto"] = "auto"
    sam2_checkpoint: str | None = Field(default=None, description="SAM 2 / 2.1 checkpoint (.pt) for kind 'sam2'")
    sam2_config: str | None = Field(default=None,
                                    description="the sam2 package's config, e.g. configs/sam2.1/sam2.1_hiera_t.yaml; "
                                                "by default from the checkpoint's file name")
    points: int = Field(default=3, ge=0, le=64, description="positive prompt points at most")
    point_min_distance: float = Field(default=0.15, ge=0, le=1, description="NMS radius as a share of the image's longer side")
    use_box: bool = True
    threshold: float = Field(default=0.5, ge=0, le=1, description="share of the map's max above which a pixel is 'salient'")
    negative_points: int = Field(
        default=2, ge=0, le=64,
        description="negative (background) prompt points at most, from the lowest-saliency regions (VL-SAM)")
    negative_threshold: float = Field(
        default=0.1, ge=0, le=1, description="share of the map's max at or below which a pixel may be a negative point")
    refine_rounds: int = Field(
        default=1, ge=1, le=16,
        description="rounds at most; each round after the first feeds the last mask back as a prompt")
    refine_iou: float = Field(default=0.95, ge=0, le=1,
                              description="stop refining once the IoU between two rounds' masks reaches this")
    max_objects: int = Field(default=1, ge=1, le=8,
                             description="separate clusters of positive saliency segmented each, at most")
    min_object_share: float = Field(default=0.1, ge=0, le=1,
                                    description="share of the positive saliency a cluster needs to count as an object")


class FactsConfig(_Section):
    fill: Literal["blur", "mean", "zero"] = "blur"
    curve_steps: int = Field(default=20, ge=1, le=1000, description="steps of the deletion/insertion curves")


class ScorerConfig(_Section):
    batch_size: int = Field(default=32, ge=1, le=4096, description="inputs per forward pass")


class LLMConfig(_Section):
    backend: str = Field(default="local", description="local | local:/path | openai:MODEL[@URL] | langchain")
    temperature: float = Field(default=0.0, ge=0, le=2)
    max_tokens: int = Field(default=256, ge=1, le=32_768)
    timeout_s: float = Field(default=60.0, gt=0, le=3600)
    max_retries: int = Field(default=4, ge=0, le=20)
    concurrency: int = Field(default=4, ge=1, le=256)
    cache: bool = True
    prompts_dir: str | None = None
    cache_path: str | None = Field(default=None, description="response cache file; default in the user cache dir")


class VerificationConfig(_Section):
    extractor: Literal["rules", "llm"] = Field(
        default="rules", description="who reads claims out of a text: 'rules' (offline, deterministic) or 'llm' "
        "(the configured llm.backend fills a JSON schema; the same deterministic code checks the claims)")


class Config(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="VERBALIZE_", env_nested_delimiter="__", extra="forbid", protected_namespaces=()
    )

    seed: int = Field(default=0, ge=0, le=2**32 - 1, description="numpy, lime and shap accept 0 … 2³²−1")
    model: ModelConfig = Field(default_factory=ModelConfig)
    saliency: SaliencyConfig = Field(default_factory=SaliencyConfig)
    segmenter: SegmenterConfig = Field(default_factory=SegmenterConfig)
    facts: FactsConfig = Field(default_factory=FactsConfig)
    scorer: ScorerConfig = Field(default_factory=ScorerConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    verification: VerificationConfig = Field(default_factory=VerificationConfig)
    study: dict[str, Any] = Field(
        default_factory=dict, description="options of the self-explanation study where no flags set them (text "
        "batch runs, the service's default): StudyOptions fields, e.g. {methods: [occlusion, best], ties: expected}")
    verbalizers: list[str] = Field(default_factory=lambda: ["template"])
    max_image_pixels: int = Field(default=89_478_485, ge=64, description="refuse larger images (decompression bombs)")

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings):  # type: ignore[no-untyped-def, override]
        # Environment over the YAML file (passed as init kwargs): a deployment tweaks one key
        # without editing the file.
        return env_settings, init_settings

    def with_overrides(self, **dotted: Any) -> Config:
        """A copy with `section.key=value` overrides applied (None values are ignored).

        Keys are dotted paths (``saliency.occlusion.window``); a path through something that is not
        a section, or into an unknown section, is one `UserError` line naming the key.
        """
        data = self.model_dump()
        for key, value in dotted.items():
            if value is None:
                continue
            *path, leaf = str(key).split(".")
            node = data
            for i, p in enumerate(path):
                if i == 1 and path[0] == "saliency" and isinstance(node, dict) and p not in node \
                        and p not in ("method", "candidates"):
                    node[p] = {}  # a method section that was not set yet
                if not isinstance(node, dict) or p not in node or not isinstance(node[p], dict):
                    raise UserError(f"overrides: invalid config at '{key}': "
                                    f"'{'.'.join(path[: i + 1])}' is not a config section")
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


def packaged_default_config() -> Path:
    """The default config file shipped inside the package (`--config default` reads it from anywhere)."""
    return Path(__file__).resolve().parent.parent / "configs" / "default.yaml"


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Defaults < YAML file < environment. Errors are one line naming the file and the key."""
    data: dict[str, Any] = {}
    if path is not None and str(path) == "default" and not Path(path).exists():
        path = packaged_default_config()
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
    except SettingsError as e:  # a VERBALIZE_* variable that is not valid JSON where a list/section is expected
        raise UserError(f"environment: {settings_error_line(e)}") from e
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise UserError(f"{path or 'environment'}: invalid config at '{loc}': {first['msg']}") from e


def settings_error_line(e: SettingsError) -> str:
    """pydantic-settings' 'error parsing value for field "x" from source "EnvSettingsSource"', as one
    line that says which variable and what it needs (lists and sections are JSON there)."""
    m = re.search(r'field "([^"]+)"', str(e))
    field = m.group(1) if m else "?"
    return (f"VERBALIZE_{field.upper()} is not valid JSON (lists and sections are given as JSON, "
            f"e.g. VERBALIZE_VERBALIZERS='[\"template\", \"llm\"]')")
