"""Classifiers other than the embedded one, through the real loading code of `load_classifier`.

No pretrained weights can be downloaded here, so every model is built with small *randomly
initialised* weights and saved to disk in the format a user would have (torch hub cache file,
timm checkpoint, Hugging Face `save_pretrained` directory, pickled `nn.Module`, TorchScript).
The loading, preprocessing, target-layer and Grad-CAM code is the real code; only the weights are
random, so the tests check shapes, labels, geometry and errors, never what the models predict.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from verbalize.adapters.vision import ImageClassifier, imagenet_labels, load_classifier, resolve_module
from verbalize.core.config import Config
from verbalize.core.errors import UserError
from verbalize.pipeline.image.explainer import ImageExplainer, ImageResult

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit:FutureWarning")


def _image(h: int = 48, w: int = 72) -> np.ndarray:
    """A small non-square picture: a bright square on a textured dark background."""
    rng = np.random.default_rng(0)
    img = (rng.random((h, w, 3)) * 60).astype(np.uint8)
    img[h // 4 : 3 * h // 4, w // 3 : 2 * w // 3] = (220, 180, 40)
    return img


def _pil(img: np.ndarray) -> Image.Image:
    return Image.fromarray(img)


def _explain(clf: ImageClassifier, **overrides: object) -> ImageResult:
    cfg = Config().with_overrides(**{"facts.curve_steps": 2, **overrides})
    return ImageExplainer(cfg, classifier=clf).explain(_image())


def _check_map(result: ImageResult) -> None:
    assert result.saliency.shape == _image().shape[:2]  # back at the original resolution
    assert np.isfinite(result.saliency).all()


# --------------------------------------------------------------------------- torchvision (torch hub cache)


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory):
    """TORCH_HOME / torch.hub dir in a temp folder holding random resnet18 weights under the real file name."""
    import torchvision
    from torchvision.models import ResNet18_Weights

    home = tmp_path_factory.mktemp("torch_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TORCH_HOME", str(home))
        mp.setattr(torch.hub, "_hub_dir", torch.hub._hub_dir)  # set_dir below is undone on exit
        torch.hub.set_dir(str(home / "hub"))
        cached = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(ResNet18_Weights.DEFAULT.url)
        cached.parent.mkdir(parents=True)
        torch.manual_seed(0)
        state = torchvision.models.resnet18(weights=None).state_dict()
        torch.save(state, cached)
        yield cached, state


@pytest.fixture(scope="module")
def resnet18(hub) -> ImageClassifier:
    return load_classifier("resnet18")


def test_torchvision_weights_come_from_the_hub_cache(hub, resnet18: ImageClassifier) -> None:
    from torchvision.models import ResNet18_Weights

    _, state = hub
    clf = resnet18
    assert torch.equal(clf.model.conv1.weight.detach().cpu(), state["conv1.weight"])
    assert clf.name == "resnet18"
    assert clf.labels == list(ResNet18_Weights.DEFAULT.meta["categories"]) == imagenet_labels()
    assert len(clf.labels) == 1000 and clf.labels[0] == "tench"
    assert (clf.crop, clf.resize) == (224, 256)  # ResNet18_Weights transforms: resize 256, crop 224
    assert tuple(clf.mean) == pytest.approx((0.485, 0.456, 0.406))
    assert clf.target_layer_name == "layer4.-1" and clf.target_layer is clf.model.layer4[-1]
    assert clf.reshape_transform is None


def test_torchvision_gradcam_map_at_original_resolution(resnet18: ImageClassifier) -> None:
    result = _explain(resnet18)
    _check_map(result)
    ex = result.explanation
    assert ex.provenance.model == "resnet18"
    assert ex.attribution.method == "gradcam" and ex.attribution.params["target_layer"] == "layer4.-1"
    assert ex.prediction.label in resnet18.labels


def test_torchvision_missing_weights_name_the_cache_path(hub) -> None:
    from torchvision.models import ResNet34_Weights

    expected = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(ResNet34_Weights.DEFAULT.url)
    with pytest.raises(UserError, match="not in the local cache") as e:
        load_classifier("resnet34")
    assert str(expected) in str(e.value)


def test_torchvision_unreadable_cache_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from torchvision.models import ResNet18_Weights

    monkeypatch.setattr(torch.hub, "_hub_dir", str(tmp_path / "hub"))
    bad = tmp_path / "hub" / "checkpoints" / os.path.basename(ResNet18_Weights.DEFAULT.url)
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"half a download")
    with pytest.raises(UserError, match="cannot load"):
        load_classifier("resnet18")


def test_unknown_model_name() -> None:
    with pytest.raises(UserError, match="unknown model 'no_such_net'"):
        load_classifier("no_such_net")


def test_layer_override_resolves(hub) -> None:
    clf = load_classifier("resnet18", target_layer="layer3.-1")
    assert clf.target_layer is clf.model.layer3[-1] and clf.target_layer_name == "layer3.-1"


@pytest.mark.parametrize("layer", ["layer9", "layer4.7", "layer4.-1.conv9"])
def test_bad_layer_is_a_user_error(hub, layer: str) -> None:
    with pytest.raises(UserError, match="unknown layer"):
        load_classifier("resnet18", target_layer=layer)


# --------------------------------------------------------------------------- Hugging Face ViT (directory)


@pytest.fixture(scope="module")
def hf_vit(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, torch.Tensor]]:
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    out = tmp_path_factory.mktemp("hf_vit")
    labels = {0: "cat", 1: "dog", 2: "fish"}
    config = ViTConfig(image_size=64, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                       intermediate_size=37, num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()})
    torch.manual_seed(0)
    model = ViTForImageClassification(config)
    model.save_pretrained(out)
    ViTImageProcessor(size={"height": 64, "width": 64}).save_pretrained(out)
    return out, {k: v.detach().clone() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("prefix", ["", "hf:"])
def test_hf_vit_directory(hf_vit, prefix: str) -> None:
    from transformers import AutoImageProcessor

    path, state = hf_vit
    clf = load_classifier(prefix + str(path))
    assert clf.name == f"hf:{path}"
    assert clf.labels == ["cat", "dog", "fish"]  # from config.id2label
    assert torch.equal(clf.model.inner.classifier.weight.detach(), state["classifier.weight"])
    assert tuple(clf.mean) == (0.5, 0.5, 0.5) and tuple(clf.std) == (0.5, 0.5, 0.5)
    # A processor with size={"height", "width"} and no centre crop squashes the whole image to 64 x 64:
    # the adapter's model view must be the processor's pixel_values, not a centre crop.
    assert (clf.crop, clf.resize) == (64, 0)
    img = _image()
    ours = clf.to_tensor(clf.geometry(img.shape[1], img.shape[0]).view(_pil(img))[None])
    theirs = AutoImageProcessor.from_pretrained(path, local_files_only=True)(images=img, return_tensors="pt")
    assert ours.shape == theirs["pixel_values"].shape == (1, 3, 64, 64)
    assert torch.allclose(ours, theirs["pixel_values"], atol=0.02)
    # Automatic layer: the last block's pre-norm, with the ViT token-to-grid reshape (1 class token).
    assert clf.target_layer_name is not None and clf.target_layer_name.endswith(".-1.layernorm_before")
    assert resolve_module(clf.model, clf.target_layer_name) is clf.target_layer  # usable as --layer
    assert clf.reshape_transform is not None
    tokens = torch.randn(2, 1 + (64 // 8) ** 2, 32)
    assert clf.reshape_transform(tokens).shape == (2, 32, 8, 8)


def test_hf_vit_gradcam_through_the_explainer(hf_vit) -> None:
    path, _ = hf_vit
    clf = load_classifier(f"hf:{path}")
    result = _explain(clf)
    _check_map(result)
    assert result.explanation.prediction.label in {"cat", "dog", "fish"}
    assert result.explanation.attribution.params["target_layer"] == clf.target_layer_name
    # The automatic layer's name works as an explicit --layer too.
    again = load_classifier(str(path), target_layer=clf.target_layer_name)
    assert again.target_layer_name == clf.target_layer_name


@pytest.mark.parametrize(("kind", "n_prefix", "norm"), [("DeiT", 2, "layernorm_before"), ("Dinov2", 1, "norm1")])
def test_hf_vit_family_layers_and_prefix_tokens(tmp_path: Path, kind: str, n_prefix: int, norm: str) -> None:
    """DeiT has a distillation token besides the class token; DINOv2 names its pre-norm norm1."""
    import transformers
    from transformers import ViTImageProcessor

    config = getattr(transformers, f"{kind}Config")(image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1,
                                                    num_attention_heads=2, intermediate_size=37, num_labels=3)
    torch.manual_seed(0)
    getattr(transformers, f"{kind}ForImageClassification")(config).save_pretrained(tmp_path)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(tmp_path)
    clf = load_classifier(str(tmp_path))
    assert clf.target_layer_name is not None and clf.target_layer_name.endswith(f".-1.{norm}")
    assert clf.target_layer_name.startswith(f"inner.{kind.lower()}.")
    assert clf.reshape_transform is not None
    assert clf.reshape_transform(torch.randn(1, n_prefix + 4 * 4, 32)).shape == (1, 32, 4, 4)
    _check_map(_explain(clf))  # Grad-CAM through the token reshape: no shape error


def test_hf_missing_directory_or_name(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not a Hugging Face image classifier available locally"):
        load_classifier(f"hf:{tmp_path / 'nothing-here'}")
    with pytest.raises(UserError, match="not a Hugging Face image classifier available locally"):
        load_classifier(str(tmp_path))  # an existing directory without a model in it


# --------------------------------------------------------------------------- timm (timm:NAME@/path/weights)


@pytest.fixture(scope="module")
def timm_weights(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, torch.Tensor]]]:
    import timm

    out = tmp_path_factory.mktemp("timm")
    saved = {}
    for name in ("resnet18", "test_vit"):  # test_vit: timm's own 0.4M-parameter ViT, 160 px, 10 x 10 patches
        torch.manual_seed(0)
        state = timm.create_model(name, pretrained=False, num_classes=1000).state_dict()
        torch.save(state, out / f"{name}.pth")
        saved[name] = (out / f"{name}.pth", state)
    return saved


@pytest.fixture
def offline_hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """HF_HUB_OFFLINE=1 and an empty Hugging Face cache, whatever the machine's cache holds."""
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf_cache"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", constants.HF_HUB_OFFLINE)  # restored after the test


def test_timm_resnet_from_a_weights_file(timm_weights, offline_hub) -> None:
    path, state = timm_weights["resnet18"]
    clf = load_classifier(f"timm:resnet18@{path}")
    assert clf.name == "timm:resnet18"
    assert torch.equal(clf.model.conv1.weight.detach(), state["conv1.weight"])
    assert clf.labels == imagenet_labels()
    assert clf.crop == 224 and clf.resize == round(224 / clf.model.pretrained_cfg["crop_pct"])
    assert clf.target_layer_name == clf.model.feature_info[-1]["module"] == "layer4"
    assert clf.target_layer is clf.model.layer4 and clf.reshape_transform is None
    _check_map(_explain(clf))


def test_timm_vit_uses_prefix_tokens_in_the_reshape(timm_weights, offline_hub) -> None:
    path, state = timm_weights["test_vit"]
    clf = load_classifier(f"timm:test_vit@{path}")
    assert torch.equal(clf.model.head.weight.detach(), state["head.weight"])
    assert clf.crop == 160 and clf.resize == round(160 / clf.model.pretrained_cfg["crop_pct"])  # not 224
    assert clf.target_layer_name == "blocks.-1.norm1" and clf.target_layer is clf.model.blocks[-1].norm1
    n_prefix, dim = clf.model.num_prefix_tokens, clf.model.embed_dim
    assert n_prefix == 1 and clf.reshape_transform is not None
    assert clf.reshape_transform(torch.randn(1, n_prefix + 10 * 10, dim)).shape == (1, dim, 10, 10)
    _check_map(_explain(clf))


def test_timm_errors_are_user_errors(timm_weights, offline_hub, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="weights file .* not found"):
        load_classifier(f"timm:resnet18@{tmp_path / 'missing.pth'}")
    with pytest.raises(UserError, match="weights not available locally"):  # another architecture's weights
        load_classifier(f"timm:resnet18@{timm_weights['test_vit'][0]}")
    with pytest.raises(UserError, match="unknown timm model 'no_such_net'"):
        load_classifier("timm:no_such_net")


def test_timm_without_weights_fails_at_once_offline(offline_hub) -> None:
    # Nothing cached and no file: an immediate error, not a minute of download retries (the loader
    # must go offline even though huggingface_hub was imported, and read the variable, long before).
    t0 = time.perf_counter()
    with pytest.raises(UserError, match="weights not available locally"):
        load_classifier("timm:resnet18")
    assert time.perf_counter() - t0 < 10


# --------------------------------------------------------------------------- .pt / .pth files


class PoolMLP(nn.Module):
    """No Conv2d anywhere: no automatic CAM layer, but `pool` (4-D output) works as --layer."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.BatchNorm2d(3)  # parameters before `pool`, so its output has gradients
        self.pool = nn.AdaptiveAvgPool2d(4)
        self.head = nn.Linear(3 * 4 * 4, 5)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.pool(self.norm(x)).flatten(1))


class TinyCNN(nn.Module):
    def __init__(self, n_classes: int = 10) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.ReLU(),
                                      nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.Linear(16, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


@pytest.fixture(scope="module")
def torch_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("torch_files")
    torch.manual_seed(0)
    model = TinyCNN()
    files = {"whole": out / "whole.pt", "script": out / "script.pt", "state": out / "state.pth",
             "garbage": out / "garbage.pt", "no_conv": out / "no_conv.pt"}
    torch.save(model, files["whole"])
    torch.save(PoolMLP(), files["no_conv"])
    torch.jit.script(model).save(str(files["script"]))
    torch.save(model.state_dict(), files["state"])
    files["garbage"].write_bytes(b"this is not a model")
    return files


def test_whole_pickled_module(torch_files) -> None:
    clf = load_classifier(str(torch_files["whole"]))
    assert isinstance(clf.model, TinyCNN)
    assert clf.labels == [f"class {i}" for i in range(10)]
    assert clf.target_layer_name == "features.2" and clf.target_layer is clf.model.features[2]  # last Conv2d
    result = _explain(clf)
    _check_map(result)
    assert result.explanation.attribution.params["target_layer"] == "features.2"


def test_layer_override_is_what_gradcam_uses(torch_files) -> None:
    clf = load_classifier(str(torch_files["whole"]), target_layer="features.0")
    assert clf.target_layer is clf.model.features[0]
    result = _explain(clf)
    assert result.explanation.attribution.params["target_layer"] == "features.0"
    _check_map(result)


def test_torchscript_file(torch_files) -> None:
    clf = load_classifier(str(torch_files["script"]))
    assert isinstance(clf.model, torch.jit.ScriptModule)
    assert clf.labels == [f"class {i}" for i in range(10)]
    # TorchScript modules take no forward hooks, so there is no CAM layer; perturbation methods work.
    assert clf.target_layer is None
    result = _explain(clf, **{"saliency.method": "occlusion", "saliency.occlusion.window": 56,
                              "saliency.occlusion.stride": 56})
    _check_map(result)
    assert result.explanation.attribution.params["windows"] == 16
    with pytest.raises(UserError, match="no target layer"):
        _explain(clf)  # Grad-CAM: a clear error, not a hook failure inside grad-cam
    with pytest.raises(UserError, match="TorchScript"):
        load_classifier(str(torch_files["script"]), target_layer="features.2")


def test_model_without_conv_loads_and_takes_a_layer(torch_files) -> None:
    clf = load_classifier(str(torch_files["no_conv"]))
    assert clf.labels == [f"class {i}" for i in range(5)] and clf.target_layer is None
    with pytest.raises(UserError, match="--layer"):
        _explain(clf)
    clf = load_classifier(str(torch_files["no_conv"]), target_layer="pool")  # the advice can be followed
    assert clf.target_layer is clf.model.pool
    _check_map(_explain(clf))


def test_state_dict_file_is_not_a_whole_model(torch_files) -> None:
    with pytest.raises(UserError, match="not a whole model"):
        load_classifier(str(torch_files["state"]))


def test_garbage_file(torch_files) -> None:
    with pytest.raises(UserError, match="not a loadable PyTorch model"):
        load_classifier(str(torch_files["garbage"]))
