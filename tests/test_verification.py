"""Claim-by-claim verification on hand-written texts with known true, false and unverifiable claims."""

from __future__ import annotations

import pytest

from verbalize.core.types import ClassScore
from verbalize.pipeline.image.types import FactSheet
from verbalize.pipeline.image.verbalize import template_verbalization
from verbalize.pipeline.image.verify import verify_text


@pytest.fixture
def facts() -> FactSheet:
    return FactSheet(
        label="Egyptian cat", class_index=285, probability=0.7992,
        alternatives=[ClassScore(label="tiger cat", class_index=282, probability=0.0841),
                      ClassScore(label="tabby", class_index=281, probability=0.083)],
        saliency_region="centre",
        saliency_grid=[[0.05, 0.10, 0.05], [0.10, 0.45, 0.10], [0.05, 0.05, 0.05]],
        saliency_bbox_xyxy=[45, 0, 374, 255], saliency_peak_xy=[288, 149], segment_method="grabcut",
        saliency_in_segment=0.7992, segment_area=0.6677, p_segment_only=0.8417, p_segment_removed=0.0047,
        fill="blur", deletion_auc=0.2713, insertion_auc=0.6058, image_width=451, image_height=300)


def marks(text: str, facts: FactSheet) -> dict[str, str]:
    return {c.text: c.status for c in verify_text(text, facts, ["Egyptian cat", "tabby", "tiger cat", "golden retriever"]).claims}


def test_true_claims_are_supported(facts: FactSheet) -> None:
    text = ('The model is 80% sure this is an "Egyptian cat", and the runner-up is "tiger cat". '
            "Most of the saliency lies on the object, which covers 67% of the image. "
            "Removing the object makes the probability drop to 0.5 percent. Its deletion AUC is 0.27.")
    m = marks(text, facts)
    assert m["80%"] == m["Egyptian cat"] == m["tiger cat"] == m["67%"] == "supported"
    assert m["0.5 percent"] == m["0.27"] == m["drop"] == "supported"
    assert m["Most"] == "supported"  # most (> 50%) of the saliency lies in the segment (80%)
    assert verify_text(text, facts).fidelity == 1.0


def test_false_claims_are_contradicted(facts: FactSheet) -> None:
    text = ('The model predicts "tabby" with 95% probability. It focused on the upper left corner. '
            'Removing the object raises the probability. It might also be a "golden retriever".')
    m = marks(text, facts)
    assert m["tabby"] == "contradicted"  # a prediction clause naming a runner-up
    assert m["95%"] == "contradicted"
    assert m["upper left"] == "contradicted"  # 5% of the saliency, not the region
    assert m["raises"] == "contradicted"  # p drops from 0.80 to 0.005 without the object
    assert m["golden retriever"] == "contradicted"  # not in the model's top 6
    v = verify_text(text, facts, ["golden retriever"])
    assert (v.supported, v.contradicted) == (0, 5) and v.fidelity == 0


def test_unverifiable_claims_do_not_count(facts: FactSheet) -> None:
    text = "The cat has 2 ears and 4 whiskers visible; its fur is striped."
    v = verify_text(text, facts)
    assert [c.status for c in v.claims] == ["unverifiable", "unverifiable"]
    assert v.fidelity is None


def test_rounding_follows_printed_precision(facts: FactSheet) -> None:
    assert marks("The probability is 79.9%.", facts)["79.9%"] == "supported"
    assert marks("The probability is 79.8%.", facts)["79.8%"] == "contradicted"
    assert marks("The probability is 0.8.", facts)["0.8"] == "supported"


def test_numbers_are_checked_against_the_right_kind_of_fact(facts: FactSheet) -> None:
    # 67% is the segment's area, not a probability: in a probability clause it is contradicted.
    assert marks("The model is 67% confident.", facts)["67%"] == "contradicted"
    assert marks("The object covers 67% of the image.", facts)["67%"] == "supported"


def test_template_scores_one(facts: FactSheet) -> None:
    v = template_verbalization(facts)
    result = verify_text(v.text, facts)
    assert result.fidelity == 1.0 and result.contradicted == 0 and result.supported >= 8
