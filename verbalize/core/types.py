"""The data model: every object that crosses a boundary (JSON files, HTTP, the store).

Arrays (saliency maps, masks) ride along on the objects for the pipeline's use but are kept out
of the JSON: a map is summarised (shape, peak, extent) and written as a picture instead, because
a 224x224 float map in JSON helps nobody and bloats every stored result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, computed_field


class Model(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True, protected_namespaces=())


class ClassScore(Model):
    label: str
    class_index: int
    probability: float


class Prediction(Model):
    """The model's top class and the runners-up, with softmax probabilities."""

    label: str
    class_index: int
    probability: float
    alternatives: list[ClassScore] = Field(default_factory=list, description="top-5 after the winner")
    model: str = ""


class Attribution(Model):
    """A saliency map (image: H x W at the original resolution) or a score per token (text).

    `scores` is excluded from JSON for images (see `summary`); for text it is the explanation
    itself and is kept.
    """

    method: str
    target: int = Field(description="class index (image) or label index (text) explained")
    target_label: str
    scores: Any = Field(default=None, exclude=True)
    tokens: list[str] | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    forward_passes: int = 0
    seconds: float = 0.0
    source: str = Field(default="model", description="'model' for computed maps; 'self' for an LLM's own words")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def summary(self) -> dict[str, Any]:
        a = np.asarray(self.scores, dtype=float) if self.scores is not None else None
        if a is None or a.size == 0:
            return {}
        peak = np.unravel_index(int(np.argmax(a)), a.shape)
        out: dict[str, Any] = {
            "shape": list(a.shape),
            "min": float(a.min()),
            "max": float(a.max()),
            "positive_mass": float(a[a > 0].sum()),
        }
        if a.ndim == 2:
            out["peak_xy"] = [int(peak[1]), int(peak[0])]
        else:
            out["values"] = [float(v) for v in a]
        return out




ClaimStatus = Literal["supported", "contradicted", "unverifiable"]


class Claim(Model):
    text: str
    kind: str = Field(description="number, label, location, object, comparison, word")
    start: int
    end: int
    status: ClaimStatus
    reason: str = ""
    subject: str | None = Field(default=None, description="what the claim is about: a class, the object, a region")
    fact: str | None = Field(default=None, description="the fact it was checked against, e.g. 'p_removed = 0.003'")


class Verification(Model):
    claims: list[Claim] = Field(default_factory=list)
    extractor: str = Field(default="rules", description="which extractor read the claims: 'rules' or 'llm'")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def supported(self) -> int:
        return sum(c.status == "supported" for c in self.claims)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def contradicted(self) -> int:
        return sum(c.status == "contradicted" for c in self.claims)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unverifiable(self) -> int:
        return sum(c.status == "unverifiable" for c in self.claims)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def fidelity(self) -> float | None:
        """supported / (supported + contradicted); None when nothing checkable was said."""
        checked = self.supported + self.contradicted
        return self.supported / checked if checked else None


class Verbalization(Model):
    verbalizer: str
    text: str
    ok: bool = True
    error: str | None = None
    raw: str | None = Field(default=None, description="the model's raw output when it could not be used")
    model: str | None = None
    prompt: str | None = Field(default=None, description="prompt name@version")
    verification: Verification | None = None
    seconds: float = 0.0



class Provenance(Model):
    model: str
    method: str
    params: dict[str, Any] = Field(default_factory=dict)
    segmenter: str | None = None
    seed: int
    forward_passes: dict[str, int] = Field(default_factory=dict)
    llm_calls: list[dict[str, Any]] = Field(default_factory=list)
    versions: dict[str, str] = Field(default_factory=dict)
    config: dict[str, Any] = Field(default_factory=dict)
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

