"""Bring your own model: `verbalize.explain_image` on modules the project has never seen, from a notebook's point of view.

The modules are tiny and randomly initialised (their predictions mean nothing); what is checked is
what a user sees: the explained class, the layer found, the model's name in the provenance, the
arrays, the saved files, and the notebook HTML rendering in a real Chromium.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
import torch
from browser_fixtures import CHROMIUM, CHROMIUM_ARGS
from PIL import Image
from torch import nn

import verbalize
from verbalize.core.config import Config
from verbalize.core.errors import UserError
from verbalize.pipeline.image.explainer import ImageExplainer, explain_images

CFG = Config().with_overrides(**{"facts.curve_steps": 2})
LABELS = ["apple", "banana", "cherry"]


class LeafNet(nn.Module):
    """No layer name any model table knows; its last convolution ('head.mix') has a 1x1 output, so it is no CAM layer."""

    def __init__(self) -> None:
        super().__init__()
        self.trunk = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 16, 3, stride=2, padding=1), nn.ReLU())
        self.head = nn.ModuleDict({"pool": nn.AdaptiveAvgPool2d(1), "mix": nn.Conv2d(16, 3, 1)})

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head["mix"](self.head["pool"](self.trunk(x))).flatten(1)


class NoConvNet(nn.Module):
    """Patches through a linear layer: no convolution at all, so a CAM needs layer=."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Linear(3 * 8 * 8, 12)
        self.fc = nn.Linear(12, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        p = nn.functional.unfold(x, 8, stride=8).transpose(1, 2)  # (B, patches, 192)
        return self.fc(torch.relu(self.embed(p)).mean(1))


def _picture(h: int = 56, w: int = 72) -> np.ndarray:
    rng = np.random.default_rng(1)
    img = (rng.random((h, w, 3)) * 50).astype(np.uint8)
    img[h // 4 : 3 * h // 4, w // 3 : 2 * w // 3] = (230, 200, 30)
    return img


@pytest.fixture(scope="module")
def leafnet() -> LeafNet:
    torch.manual_seed(0)
    return LeafNet()


def test_own_module_on_a_chw_tensor_with_a_target_by_name(leafnet: LeafNet) -> None:
    x = torch.from_numpy(_picture()).permute(2, 0, 1).float() / 255.0  # 3 x H x W in [0, 1]
    ex = verbalize.explain_image(x, model=leafnet, labels=LABELS, target="apple", config=CFG)
    assert ex.attribution.target_label == "apple" and ex.facts.label == "apple"
    assert ex.provenance.model == "LeafNet" and "efficientnet" not in ex.model_dump_json()
    assert ex.attribution.params["target_layer"] == "trunk.2"  # the last convolution whose output is a map
    assert ex.prediction.label in LABELS and ex.image.width == 72 and ex.image.height == 56
    assert ex.saliency.shape == (56, 72) and ex.saliency.dtype == np.float32 and np.abs(ex.saliency).max() > 0
    assert ex.mask.shape == (56, 72) and ex.mask.dtype == bool
    # a chosen class is never called the prediction, and the words still check out
    assert ex.prediction.label != "apple" and not ex.facts.predicted
    words = ex.verbalizations[0]
    assert words.text.startswith('This explains the class "apple"') and "predicts" not in words.text
    assert words.verification.fidelity == 1.0
    text = repr(ex)
    assert len(text) < 300 and "LeafNet" in text and "apple" in text and "array" not in text


def test_own_module_on_an_hwc_float_array_and_an_nchw_batch(leafnet: LeafNet) -> None:
    hwc = _picture().astype(np.float32) / 255.0
    ex = verbalize.explain_image(hwc, model=leafnet, labels=LABELS, target="apple", config=CFG)
    assert ex.attribution.target_label == "apple" and ex.facts.label == "apple" and ex.saliency.shape == (56, 72)
    assert verbalize.explain_image(hwc, model=leafnet, labels=LABELS, target=0, config=CFG).attribution.target == 0
    batch = torch.from_numpy(np.stack([_picture(), _picture()[::-1].copy()])).permute(0, 3, 1, 2).float() / 255.0
    calls = [0]
    hook = leafnet.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    try:
        both = explain_images(batch, model=leafnet, labels=LABELS, config=CFG)
    finally:
        hook.remove()
    assert len(both) == 2 and all(e.provenance.model == "LeafNet" for e in both)
    # One pass on zeros finds the CAM layer, one shared pass predicts both pictures, one shared
    # forward/backward pass makes both Grad-CAM maps, and the two fact sheets' perturbations share
    # theirs (`shared_facts_passes`); nothing is left for each explanation's own scorer.
    shared_facts = {e.provenance.forward_passes["shared_facts_passes"] for e in both}
    assert len(shared_facts) == 1 and all(e.provenance.forward_passes["total"] == 0 for e in both)
    assert calls[0] == 3 + shared_facts.pop()
    assert all(e.attribution.params["shared_by_images"] == 2 for e in both)
    one = verbalize.explain_image(batch[1], model=leafnet, labels=LABELS, config=CFG)
    assert np.allclose(one.saliency, both[1].saliency, atol=1e-5)  # a shared batch gives the same map
    assert not np.allclose(both[0].saliency, both[1].saliency)  # the flipped picture gets its own map


def test_explain_images_reads_each_file_once(leafnet: LeafNet, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import verbalize.pipeline.image.explainer as explainer_module

    paths = [tmp_path / "a.png", tmp_path / "b.png"]
    Image.fromarray(_picture()).save(paths[0])
    Image.fromarray(_picture()[::-1].copy()).save(paths[1])
    read: list[str] = []
    real = explainer_module.load_image

    def counted(source, **kw):  # type: ignore[no-untyped-def]
        read.append(str(source))
        return real(source, **kw)

    monkeypatch.setattr(explainer_module, "load_image", counted)
    both = explain_images(paths, model=leafnet, labels=LABELS, config=CFG)
    assert sorted(read) == sorted(map(str, paths))  # once each: the shared prediction and the explanation
    assert [e.image.path for e in both] == list(map(str, paths))
    assert both[0].image.sha256 != both[1].image.sha256


def test_a_module_without_a_convolution_needs_layer_and_says_so_in_python_terms() -> None:
    torch.manual_seed(0)
    net = NoConvNet()
    with pytest.raises(UserError) as e:
        verbalize.explain_image(_picture(), model=net, labels=LABELS, config=CFG)
    assert "layer=" in str(e.value) and "pass --layer" not in str(e.value)
    # the same module explains with a perturbation method, no layer needed
    ex = verbalize.explain_image(_picture(), model=net, labels=LABELS,
                                 config=CFG.with_overrides(**{"saliency.method": "occlusion"}))
    assert ex.attribution.method == "occlusion" and ex.provenance.model == "NoConvNet"


def test_the_cam_layer_given_by_name_or_module(leafnet: LeafNet) -> None:
    by_name = verbalize.explain_image(_picture(), model=leafnet, labels=LABELS, layer="trunk.0", config=CFG)
    by_module = verbalize.explain_image(_picture(), model=leafnet, labels=LABELS, layer=leafnet.trunk[0], config=CFG)
    assert by_name.attribution.params["target_layer"] == by_module.attribution.params["target_layer"] == "trunk.0"
    np.testing.assert_allclose(by_name.saliency, by_module.saliency, atol=1e-6)
    with pytest.raises(UserError, match="unknown layer 'trunk.9'"):
        verbalize.explain_image(_picture(), model=leafnet, labels=LABELS, layer="trunk.9", config=CFG)
    with pytest.raises(UserError, match="labels=: 2 names for a model with 3 outputs"):
        verbalize.explain_image(_picture(), model=leafnet, labels=["a", "b"], config=CFG)
    with pytest.raises(UserError, match="unknown class label 'durian'"):
        verbalize.explain_image(_picture(), model=leafnet, labels=LABELS, target="durian", config=CFG)


def test_a_torchvision_model_object_and_its_transform() -> None:
    import torchvision
    from torchvision import transforms

    torch.manual_seed(0)
    model = torchvision.models.resnet18(num_classes=3)
    tf = transforms.Compose([transforms.Resize(80), transforms.CenterCrop(64), transforms.ToTensor(),
                             transforms.Normalize([0.5, 0.5, 0.5], [0.25, 0.25, 0.25])])
    ex = verbalize.explain_image(Image.fromarray(_picture()), model=model, labels=LABELS, transform=tf, config=CFG)
    assert ex.provenance.model == "ResNet" and ex.attribution.params["target_layer"] == "layer4.-1"
    with pytest.raises(UserError, match="transform=: cannot use a RandomHorizontalFlip step"):
        verbalize.explain_image(_picture(), model=model, transform=transforms.Compose([transforms.RandomHorizontalFlip()]))


def test_normalised_tensors_are_refused_with_a_hint(leafnet: LeafNet) -> None:
    x = (torch.rand(3, 40, 40) - 0.5) / 0.25
    with pytest.raises(UserError, match="look normalised"):
        verbalize.explain_image(x, model=leafnet, labels=LABELS, config=CFG)


def test_every_explanation_folder_holds_the_arrays(leafnet: LeafNet, tmp_path: Path) -> None:
    from verbalize.adapters.vision import as_classifier

    result = ImageExplainer(CFG, classifier=as_classifier(leafnet, labels=LABELS)).explain(_picture())
    out = result.write(tmp_path / "ex")
    arrays = np.load(out / "arrays.npz")
    np.testing.assert_array_equal(arrays["saliency"], result.saliency)
    np.testing.assert_array_equal(arrays["mask"], result.mask)
    mask_png = np.asarray(Image.open(out / "mask.png"))
    assert mask_png.shape == (56, 72) and set(np.unique(mask_png)) <= {0, 255}
    np.testing.assert_array_equal(mask_png == 255, result.mask)


def test_plot_is_a_signed_figure(leafnet: LeafNet) -> None:
    ex = verbalize.explain_image(_picture(), model=leafnet, labels=LABELS, config=CFG)
    fig = ex.plot()
    shown = fig.axes[1].images[-1]
    assert shown.get_cmap().name == "bwr"
    lo, hi = shown.get_clim()
    assert lo == pytest.approx(-hi) and hi == pytest.approx(float(np.abs(ex.saliency).max()))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_repr_html_shows_its_pictures_in_chromium(leafnet: LeafNet, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    ex = verbalize.explain_image(_picture(), model=leafnet, labels=LABELS, target="banana", config=CFG)
    html = ex._repr_html_()
    assert "<script" not in html and 'src="http' not in html  # self-contained
    page_file = tmp_path / "notebook.html"
    page_file.write_text(f"<!doctype html><meta charset=utf-8><body>{html}</body>")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : -1)")
            assert len(widths) == 4 and all(w == 72 for w in widths), widths
            assert page.locator("mark.claim.supported").count() >= 1
            assert "banana" in page.inner_text("body")
        finally:
            browser.close()


def test_hugging_face_and_timm_model_objects_bring_their_labels_and_layers() -> None:
    import timm
    from transformers import ViTConfig, ViTForImageClassification

    torch.manual_seed(0)
    labels = {0: "cat", 1: "dog", 2: "fish"}
    vit = ViTForImageClassification(ViTConfig(
        image_size=32, patch_size=8, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=37,
        num_labels=3, id2label=labels, label2id={v: k for k, v in labels.items()}))
    ex = verbalize.explain_image(_picture(), model=vit, target="fish", config=CFG)
    assert ex.attribution.target_label == "fish" and ex.prediction.label in labels.values()  # labels from the config
    assert ex.attribution.params["target_layer"].startswith("inner.vit.") and ex.saliency.shape == (56, 72)
    net = timm.create_model("resnet18", pretrained=False, num_classes=3)
    ex = verbalize.explain_image(_picture(), model=net, labels=LABELS, config=CFG)
    assert ex.provenance.model == "timm:resnet18" and ex.attribution.params["target_layer"] == "layer4"


def test_signed_overlay_draws_evidence_for_in_red_and_against_in_blue() -> None:
    from verbalize.pipeline.image.render import signed_overlay

    image = np.full((20, 40, 3), 128, dtype=np.uint8)
    saliency = np.zeros((20, 40), dtype=np.float32)
    saliency[:, :10] = 1.0   # for the class
    saliency[:, 30:] = -1.0  # against it
    out = signed_overlay(image, saliency).astype(int)
    r, g, b = out[10, 5]
    assert r > g + 60 and r > b + 60
    r, g, b = out[10, 35]
    assert b > r + 60 and b > g + 40
    assert abs(int(out[10, 20, 0]) - int(out[10, 20, 2])) < 5  # no evidence: grey
