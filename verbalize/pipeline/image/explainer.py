"""The image journey, top to bottom: classify, attribute, segment, fact sheet, words, checks.

`ImageExplainer` loads the models once (classifier, segmenter, language models) so many images
reuse them; `explain_image` is the one-call API.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from verbalize.adapters.vision import ImageClassifier, load_classifier
from verbalize.core.config import Config
from verbalize.core.scoring import ProgressFn
from verbalize.core.types import Provenance
from verbalize.core.versions import library_versions
from verbalize.pipeline.image.facts import build_fact_sheet
from verbalize.pipeline.image.io import ImageSource, load_image
from verbalize.pipeline.image.localize import GroundTruthMask, localize
from verbalize.pipeline.image.methods import attribute_image, check_sections, method_entry
from verbalize.pipeline.image.render import overlay, png_bytes, segments_picture
from verbalize.pipeline.image.segmentation import make_segmenter, segment_salient_objects
from verbalize.pipeline.image.types import Explanation, MethodScore
from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS, VerbalizerContext
from verbalize.pipeline.image.verify import verify_text

if TYPE_CHECKING:
    from verbalize.adapters.llm import ChatBackend

ProgressFactory = Callable[[str], ProgressFn | None]

_VERSIONED = ("torch", "torchvision", "segment-anything", "numpy", "opencv-python-headless")


@dataclass
class ImageResult:
    """An `Explanation` plus the arrays behind it, for writing pictures and reports."""

    explanation: Explanation
    image: np.ndarray
    saliency: np.ndarray
    mask: np.ndarray
    curves: dict[str, Any] = field(default_factory=dict)

    def overlay_png(self) -> bytes:
        return png_bytes(overlay(self.image, self.saliency))

    def segment_png(self) -> bytes:
        """Every segment's outline with its prompt points (negatives as red crosses), box and rounds."""
        e = self.explanation
        return png_bytes(segments_picture(self.image, e.segments or [e.segment]))

    def write(self, out_dir: str | Path) -> Path:
        """Write explanation.json, overlay.png and segment.png; all or nothing (temp dir, then rename)."""
        out = Path(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
        try:
            (tmp / "explanation.json").write_text(self.explanation.model_dump_json(indent=2))
            (tmp / "overlay.png").write_bytes(self.overlay_png())
            (tmp / "segment.png").write_bytes(self.segment_png())
            (tmp / "curves.json").write_text(json.dumps(self.curves))
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out


class ImageExplainer:
    """Holds the loaded models; `explain()` runs the journey for one image."""

    def __init__(self, config: Config | None = None, *, classifier: ImageClassifier | None = None,
                 llm: ChatBackend | None = None) -> None:
        self.config = config or Config()
        method_entry(self.config.saliency.method)  # fail on a bad method or section before loading anything
        check_sections(self.config.saliency)
        for kind in self.config.verbalizers:
            IMAGE_VERBALIZERS.get(kind)
        self.classifier = classifier or load_classifier(self.config.model.name, device=self.config.model.device,
                                                        target_layer=self.config.model.target_layer)
        self.segmenter = make_segmenter(self.config.segmenter, device=self.config.model.device, seed=self.config.seed)
        self._llm = llm

    def explain(self, source: ImageSource, *, progress: ProgressFactory | None = None, name: str | None = None,
                box: Sequence[int] | None = None, mask: GroundTruthMask | None = None) -> ImageResult:
        """Explain one image; with `box` ([x0, y0, x1, y1] in original pixels) or `mask` (an H x W array
        or a mask image file), also score how well the map points at that region (`localization`)."""
        cfg = self.config
        timings: dict[str, float] = {}
        t_all = time.perf_counter()

        t0 = time.perf_counter()
        rgb, info = load_image(source, max_pixels=cfg.max_image_pixels, name=name)
        image = np.asarray(rgb)
        geometry = self.classifier.geometry(info.width, info.height)
        view = geometry.view(rgb)
        timings["load"] = time.perf_counter() - t0

        scorer = self.classifier.scorer(cfg.scorer.batch_size)
        t0 = time.perf_counter()
        probs = scorer([view])[0]
        prediction = self.classifier.prediction(probs)
        timings["predict"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        method = method_entry(cfg.saliency.method).name
        attribution, view_map = attribute_image(
            self.classifier, view, prediction.class_index, method=method, scorer=scorer, config=cfg.saliency,
            seed=cfg.seed, progress=progress(method) if progress else None)
        saliency = geometry.to_original(view_map)
        attribution.scores = saliency
        timings["attribution"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        segments = segment_salient_objects(image, saliency, cfg.segmenter, segmenter=self.segmenter)
        segment = segments[0]
        timings["segmentation"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        passes_before_facts = scorer.stats.forward_passes
        facts, curves = build_fact_sheet(
            prediction=prediction, saliency=saliency, segment=segment, view=view, view_map=view_map,
            geometry=geometry, scorer=scorer, fill=cfg.facts.fill, curve_steps=cfg.facts.curve_steps,
            threshold=cfg.segmenter.threshold, segments=segments)
        facts.method = attribution.params.get("chosen", method)
        if attribution.params.get("ranking"):  # --method best: the candidates, most faithful first
            facts.method_ranking = [MethodScore.model_validate(r) for r in attribution.params["ranking"]]
        timings["facts"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        context = VerbalizerContext(config=cfg, image=image, saliency=saliency,
                                    mask=np.asarray(segment.mask, dtype=bool), backend=lambda: self.llm)
        verbalizations = [IMAGE_VERBALIZERS.get(kind).obj(facts, context) for kind in cfg.verbalizers]
        for v in verbalizations:
            if v.ok:
                v.verification = verify_text(v.text, facts, self.classifier.labels)
        timings["verbalization"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - t_all

        provenance = Provenance(
            model=self.classifier.name, method=method, params=attribution.params, segmenter=segment.method,
            seed=cfg.seed,
            forward_passes={"total": scorer.stats.forward_passes, "attribution": attribution.forward_passes,
                            "facts": scorer.stats.forward_passes - passes_before_facts,
                            "inputs_scored": scorer.stats.inputs_scored,
                            "duplicates_removed": scorer.stats.duplicates_removed + scorer.stats.memo_hits,
                            "batch_size": scorer.batch_size},
            llm_calls=[c.model_dump() if hasattr(c, "model_dump") else c for c in (self._llm.calls if self._llm is not None else [])],
            versions=library_versions(*_VERSIONED, *method_entry(method).libraries), config=cfg.model_dump(mode="json"))
        explanation = Explanation(image=info, prediction=prediction, attribution=attribution, segment=segment,
                                  segments=segments if len(segments) > 1 else [],
                                  facts=facts, verbalizations=verbalizations,
                                  timings={k: round(v, 4) for k, v in timings.items()}, provenance=provenance,
                                  localization=localize(saliency, box=box, mask=mask))
        return ImageResult(explanation=explanation, image=image, saliency=saliency,
                           mask=np.asarray(segment.mask, dtype=bool), curves=curves)

    @property
    def llm(self) -> ChatBackend:
        """The chat backend of the LLM/VLM verbalizers, loaded on first use from `config.llm`."""
        if self._llm is None:
            from verbalize.adapters.llm import make_backend

            self._llm = make_backend(self.config.llm)
        return self._llm


def explain_image(image_or_path: ImageSource, config: Config | None = None) -> Explanation:
    """Explain one image with the given (or default, embedded and offline) configuration."""
    return ImageExplainer(config).explain(image_or_path).explanation
