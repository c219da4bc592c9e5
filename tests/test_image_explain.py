"""The image journey on real packaged images with the embedded EfficientNet-Lite0."""

from __future__ import annotations

import re

import numpy as np
import pytest

from verbalize.core.config import Config
from verbalize.core.errors import InputError
from verbalize.pipeline.image.explainer import ImageExplainer
from verbalize.pipeline.image.methods import SALIENCY_METHODS
from verbalize.pipeline.image.samples import sample_path
from verbalize.pipeline.image.verify import verify_text

EXPECTED = {
    "chelsea": {"Egyptian cat", "tabby", "tiger cat"},
    "coffee": {"espresso", "cup", "coffee mug"},
    "rocket": {"missile", "projectile", "space shuttle"},
    "grace_hopper": {"military uniform", "suit", "Windsor tie", "bow tie"},
    "china": {"bell cote", "palace", "dome", "church", "monastery"},
    # A person in a space suit is not an ImageNet class: any label, but the words must stay true.
    "astronaut": None,
}


@pytest.fixture(scope="module")
def explainer() -> ImageExplainer:
    return ImageExplainer(Config())


@pytest.fixture(scope="module")
def chelsea(explainer: ImageExplainer):
    return explainer.explain(sample_path("chelsea"))


@pytest.mark.parametrize("name", list(EXPECTED))
def test_predicted_class_and_template_is_faithful(explainer: ImageExplainer, name: str) -> None:
    result = explainer.explain(sample_path(name))
    ex = result.explanation
    if EXPECTED[name] is not None:
        assert ex.prediction.label in EXPECTED[name]
    template = ex.verbalizations[0]
    assert template.verbalizer == "template"
    assert f'"{ex.prediction.label}"' in template.text
    assert 2 <= len(re.findall(r"[.!?](?:\s|$)", template.text)) <= 4
    # Every percentage printed is a fact-sheet value, and the verifier agrees.
    assert template.verification is not None and template.verification.fidelity == 1.0
    assert template.verification.contradicted == 0
    f = ex.facts
    facts = [f.probability, f.saliency_in_segment, f.segment_area, f.p_segment_only, f.p_segment_removed,
             *(a.probability for a in f.alternatives), *(v for row in f.saliency_grid for v in row)]
    for pct in re.findall(r"(\d+)%", template.text):
        assert any(round(100 * v) == int(pct) for v in facts), pct


def test_chelsea_is_a_cat_and_gradcam_peak_is_on_the_cat(chelsea) -> None:
    ex = chelsea.explanation
    assert ex.prediction.label == "Egyptian cat"
    assert ex.prediction.probability == pytest.approx(0.76, abs=0.05)
    h, w = chelsea.saliency.shape
    assert (h, w) == (300, 451)  # the map is at the original resolution
    x, y = ex.attribution.summary["peak_xy"]
    # The cat's head and body fill the middle of the picture; the left and right strips are background.
    assert 110 <= x <= 380 and 20 <= y <= 300, (x, y)
    assert ex.facts.saliency_in_segment > 0.5
    assert ex.segment.method == "grabcut"
    assert 0.05 < ex.facts.segment_area < 0.9


def test_removing_the_object_hurts_more_than_keeping_it(chelsea) -> None:
    f = chelsea.explanation.facts
    assert f.p_segment_removed < f.probability
    assert f.p_segment_only > f.p_segment_removed
    assert f.insertion_auc > f.deletion_auc


def test_fact_sheet_counts_forward_passes_by_batch_plan() -> None:
    cfg = Config().with_overrides(**{"saliency.method": "occlusion", "saliency.occlusion.window": 56,
                                     "saliency.occlusion.stride": 56, "scorer.batch_size": 8,
                                     "facts.curve_steps": 10})
    result = ImageExplainer(cfg).explain(sample_path("coffee"))
    passes = result.explanation.provenance.forward_passes
    # 1 pass for the prediction; 16 windows in batches of 8 (the unperturbed view is memoised);
    # facts: 2 counterfactuals in one pass, then 2 x 11 curve images of which the full image
    # (deletion step 0, insertion's last step) is memoised and the all-fill image appears twice
    # (deletion's last step, insertion step 0): 22 - 2 - 1 = 19 new inputs, 3 passes.
    assert result.explanation.attribution.forward_passes == 2
    assert passes["facts"] == 1 + 3
    assert passes["total"] == 1 + 2 + 4
    assert passes["inputs_scored"] == 1 + 16 + 2 + 19
    assert passes["duplicates_removed"] == 1 + 2 + 1  # view in occlusion, view twice in curves, fill twice


def test_explain_many_shares_the_fact_sheet_passes_and_fails_a_bad_image_alone() -> None:
    cfg = Config().with_overrides(**{"scorer.batch_size": 8, "facts.curve_steps": 10, "segmenter.kind": "grabcut"})
    explainer = ImageExplainer(cfg)
    images = [sample_path("coffee").read_bytes(), b"not an image", sample_path("chelsea").read_bytes()]
    coffee, broken, chelsea = explainer.explain_many(images, names=["coffee.png", "broken.png", "chelsea.png"])
    assert isinstance(broken, InputError) and str(broken) == "broken.png: not an image (unrecognised format)"
    for shared, name in ((coffee, "coffee"), (chelsea, "chelsea")):
        assert not isinstance(shared, Exception)
        passes = shared.explanation.provenance.forward_passes
        # Per image 2 counterfactuals + 2 x 11 curve images, of which the view and the all-fill image
        # appear twice: 22 unique, 44 for both, in shared passes of 8; none left for the sheet itself.
        assert passes["shared_by_images"] == 2 and passes["shared_facts_passes"] == 6
        assert passes["facts"] == 0 and passes["total"] == 0
        alone = explainer.explain(sample_path(name).read_bytes(), name=f"{name}.png").explanation
        assert alone.provenance.forward_passes["facts"] == 1 + 3  # as in the test above: 8 passes for two images
        assert shared.explanation.prediction.label == alone.prediction.label
        assert shared.explanation.facts.insertion_auc == pytest.approx(alone.facts.insertion_auc, abs=1e-4)
        assert shared.explanation.facts.p_segment_only == pytest.approx(alone.facts.p_segment_only, abs=1e-4)


@pytest.mark.parametrize("method", ["gradcam++", "eigencam", "layercam", "scorecam"])
def test_cam_family_maps_are_at_original_size(method: str) -> None:
    # Score-CAM runs one forward pass per channel of the target layer: the last block (320
    # channels) keeps the test short; the default head layer has 1280.
    layer = "_blocks.-1" if method == "scorecam" else None
    cfg = Config().with_overrides(**{"saliency.method": method, "model.target_layer": layer})
    ex = ImageExplainer(cfg).explain(sample_path("chelsea"))
    assert ex.saliency.shape == (300, 451)
    assert ex.explanation.attribution.method == method
    assert np.isfinite(ex.saliency).all() and ex.saliency.max() > 0
    if method == "scorecam":
        assert ex.explanation.attribution.params["forward_passes_inside_grad_cam"] >= 320 // 32


# The cheapest settings of each method's own parameter model: every registered method must run.
CHEAP = {"shap": {"max_evals": 16}, "lime": {"samples": 16, "segments": 8}, "occlusion": {"window": 112, "stride": 112},
         "smoothgrad": {"samples": 2}, "integrated-gradients": {"steps": 4}, "smoothgradcam++": {"samples": 2},
         "best": {"candidates": ["gradcam", "saliency"]}, "ablationcam": {"channels": 0.05}}
SMALL_LAYER = {"scorecam"}  # one forward pass per channel: the last block has 320, the head 1280


@pytest.mark.parametrize("method", SALIENCY_METHODS.names())
def test_every_registered_method_runs_and_records_itself(explainer: ImageExplainer, method: str) -> None:
    entry = SALIENCY_METHODS.get(method)
    overrides = {f"saliency.{method}.{k}": v for k, v in CHEAP.get(method, {}).items()}
    layer = "_blocks.-1" if method in SMALL_LAYER else None
    cfg = explainer.config.with_overrides(**{"saliency.method": method, "model.target_layer": layer, **overrides})
    result = ImageExplainer(cfg).explain(sample_path("coffee")) if layer else \
        ImageExplainer(cfg, classifier=explainer.classifier).explain(sample_path("coffee"))
    ex = result.explanation
    assert ex.attribution.method == ex.provenance.method == method
    assert result.saliency.shape == (400, 600) and np.isfinite(result.saliency).all()
    for lib in entry.libraries:
        assert lib in ex.provenance.versions
    assert ex.verbalizations[0].verification.fidelity == 1.0


def test_seeded_lime_is_reproducible(explainer: ImageExplainer) -> None:
    cfg = explainer.config.with_overrides(**{"saliency.method": "lime", "saliency.lime.samples": 64})
    a = ImageExplainer(cfg, classifier=explainer.classifier).explain(sample_path("coffee"))
    b = ImageExplainer(cfg, classifier=explainer.classifier).explain(sample_path("coffee"))
    assert np.array_equal(a.saliency, b.saliency)
    assert a.explanation.attribution.params["samples"] == 64


def test_shap_partition_runs_through_the_scorer(explainer: ImageExplainer) -> None:
    cfg = explainer.config.with_overrides(**{"saliency.method": "shap", "saliency.shap.max_evals": 64,
                                             "scorer.batch_size": 16})
    result = ImageExplainer(cfg, classifier=explainer.classifier).explain(sample_path("chelsea"))
    att = result.explanation.attribution
    assert att.params["max_evals"] == 64
    assert att.forward_passes >= 64 // 16 - 1
    assert result.saliency.shape == (300, 451)
    assert verify_text(result.explanation.verbalizations[0].text, result.explanation.facts).fidelity == 1.0


def test_shap_hands_our_scorer_full_batches_of_our_size(explainer: ImageExplainer) -> None:
    """shap's Owen recursion gets the scorer's batch size: every forward pass it causes holds at most
    that many inputs, and once the recursion's queue has filled, exactly that many."""
    from PIL import Image

    from verbalize.pipeline.image.methods import attribute_image
    from verbalize.pipeline.image.methods.shap import image_masker

    clf = explainer.classifier
    view = clf.geometry(451, 300).view(Image.open(sample_path("chelsea")).convert("RGB"))
    sizes: list[int] = []
    scorer = clf.scorer(16)
    forward = scorer.forward
    scorer.forward = lambda batch: (sizes.append(len(batch)), forward(batch))[1]
    config = explainer.config.with_overrides(**{"saliency.shap.max_evals": 120}).saliency
    att, first = attribute_image(clf, view, 285, method="shap", scorer=scorer, config=config, seed=0)
    assert att.params["batch_size"] == 16 and att.params["evaluations"] == sum(sizes) <= 120
    assert max(sizes) == 16 and sizes.count(16) >= len(sizes) - 5, sizes  # 1, 1, 2, 8 while the queue fills; the tail
    again, second = attribute_image(clf, view, 285, method="shap", scorer=clf.scorer(16), config=config, seed=0)
    assert np.array_equal(first, second)  # the reused partition tree changes nothing
    a, b = image_masker("blur(32,32)", view.shape), image_masker("blur(32,32)", view.shape)
    assert a is not b and a.clustering is b.clustering  # one tree per shape, one masker state per run
