"""Several salient objects: two pasted photos, both segmented, reported and verified (regions.py)."""

from __future__ import annotations

from io import BytesIO

import numpy as np
import pytest
from PIL import Image
from skimage import data

from verbalize.core.config import Config
from verbalize.pipeline.image.explainer import ImageExplainer, ImageResult
from verbalize.pipeline.image.regions import region_claims, region_sentences
from verbalize.pipeline.image.render import SEGMENT_COLOURS
from verbalize.pipeline.image.types import FactSheet
from verbalize.pipeline.image.verify import verify_text


def two_cats() -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """Chelsea's face pasted twice on a grey 700 x 700 canvas, in opposite corners; their boxes (x0, y0, x1, y1)."""
    cat = data.chelsea()[20:280, 60:330]  # 260 x 270
    canvas = np.full((700, 700, 3), 128, np.uint8)
    boxes = [(10, 10, 280, 270), (410, 430, 680, 690)]
    for x0, y0, x1, y1 in boxes:
        canvas[y0:y1, x0:x1] = cat
    return canvas, boxes


@pytest.fixture(scope="module")
def result() -> ImageResult:
    cfg = Config.model_validate({"segmenter": {"kind": "grabcut", "max_objects": 2}, "verbalizers": ["template"],
                                 "facts": {"curve_steps": 4}})
    image, _ = two_cats()
    return ImageExplainer(cfg).explain(image)


def test_both_pasted_objects_are_segmented_and_reported(result: ImageResult) -> None:
    ex = result.explanation
    _, boxes = two_cats()
    assert ex.prediction.label in {"Egyptian cat", "tabby", "tiger cat"}
    assert len(ex.segments) == 2 and ex.segment == ex.segments[0]
    for seg, (x0, y0, x1, y1) in zip(sorted(ex.segments, key=lambda s: s.bbox_xyxy[0]), boxes, strict=True):
        photo = np.zeros(seg.mask.shape, bool)
        photo[y0:y1, x0:x1] = True
        assert seg.mask[photo].mean() > 0.7 and seg.mask[~photo].mean() < 0.05  # on its own photo, not the other
        assert seg.prompt_negative_xy  # background clicks recorded
    regions = ex.facts.regions
    assert [r.location for r in regions] in (["upper left", "lower right"], ["lower right", "upper left"])
    assert all(0.2 < r.saliency_share < 0.8 for r in regions)
    # each photo alone keeps the cat, and removing one leaves the other: both lower p(label) when removed
    assert all(r.p_removed < ex.facts.probability for r in regions)
    text = ex.verbalizations[0].text
    assert "Two regions matter: the one in the " in text
    v = ex.verbalizations[0].verification
    assert v is not None and v.fidelity == 1.0
    region_numbers = [c for c in v.claims if c.kind == "number" and "region" in c.reason]
    assert len(region_numbers) == 2 + 2 * 2  # two shares, then p removed / kept alone for each region
    assert "segments" in ex.model_dump(mode="json") and ex.model_dump(mode="json")["facts"]["regions"]


def test_wrong_words_about_regions_are_contradicted(result: ImageResult) -> None:
    f: FactSheet = result.explanation.facts
    a, b = f.regions
    good = " ".join(region_sentences(f))
    assert verify_text(good, f).fidelity == 1.0
    wrong = [
        f"Three regions matter: the one in the {a.location} ({round(100 * a.saliency_share)}% of the positive saliency).",
        f"Two regions matter: the one in the {a.location} ({round(100 * a.saliency_share) + 9}% of the positive saliency).",
        f"Two regions matter: the one in the centre ({round(100 * a.saliency_share)}%).",
        f'Removing the region in the {b.location} raises the probability of "{f.label}" to {round(100 * b.p_removed)}%.',
        f'Removing the region in the {b.location} lowers the probability of "{f.label}" to {round(100 * b.p_only) + 7}%.',
        f"Removing the region in the {a.location} lowers it, and keeping it alone gives {round(100 * a.p_only) + 5}%.",
    ]
    for sentence in wrong:
        claims = region_claims(sentence, 0, sentence, f)
        assert claims is not None and any(c.status == "contradicted" for c in claims), sentence
        assert verify_text(sentence, f).fidelity < 1.0, sentence
    assert region_claims("The model predicts a cat.", 0, "The model predicts a cat.", f) is None


def test_segment_png_outlines_both_objects(result: ImageResult) -> None:
    picture = np.asarray(Image.open(BytesIO(result.segment_png())))
    assert picture.shape == result.image.shape
    for colour in SEGMENT_COLOURS[:2]:
        assert (picture == colour).all(axis=-1).sum() > 200  # each segment has its own outline colour


def test_region_claims_say_which_region_and_which_fact(result: ImageResult) -> None:
    f = result.explanation.facts
    text = " ".join(region_sentences(f))
    claims = verify_text(text, f).claims
    about = [c for c in claims if c.subject and c.subject.startswith("the region in the ")]
    assert {c.subject for c in about} == {f"the region in the {r.location}" for r in f.regions}
    assert all(c.fact for c in about)


def test_a_shared_batch_scores_every_region_ahead(result: ImageResult) -> None:
    cfg = Config.model_validate({"segmenter": {"kind": "grabcut", "max_objects": 2}, "verbalizers": ["template"],
                                 "facts": {"curve_steps": 4}})
    image, _ = two_cats()
    shared, mirrored = ImageExplainer(cfg).explain_many([image, image[:, ::-1].copy()])
    assert not isinstance(shared, Exception) and not isinstance(mirrored, Exception)
    passes = shared.explanation.provenance.forward_passes
    assert passes["shared_by_images"] == 2 and passes["facts"] == 0  # the regions' inputs were in the shared passes
    alone = result.explanation.facts
    assert len(shared.explanation.facts.regions) == len(alone.regions) == 2
    for got, want in zip(shared.explanation.facts.regions, alone.regions, strict=True):
        assert got.location == want.location and got.bbox_xyxy == want.bbox_xyxy
        assert got.p_only == pytest.approx(want.p_only, abs=1e-4)
        assert got.p_removed == pytest.approx(want.p_removed, abs=1e-4)
