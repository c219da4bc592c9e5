"""The image journey, top to bottom: classify, attribute, segment, fact sheet, words, checks.

`ImageExplainer` loads the models once (classifier, segmenter, language models) so many images
reuse them; `explain` runs one image (`prepare`, then `finish`), `explain_many` several with the
model's passes shared between them (explain_images, the service's micro-batches); `explain_image`
is the one-call API.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from verbalize.adapters.vision import Geometry, ImageClassifier, as_classifier, load_classifier
from verbalize.core.config import Config
from verbalize.core.scoring import ProgressFn, Scorer
from verbalize.core.types import Attribution, Prediction, Provenance
from verbalize.core.versions import library_versions
from verbalize.pipeline.image.facts import build_fact_sheet, fact_sheet_inputs
from verbalize.pipeline.image.io import ImageSource, load_image
from verbalize.pipeline.image.localize import GroundTruthMask, localize
from verbalize.pipeline.image.methods import attribute_image, check_sections, method_entry, method_params
from verbalize.pipeline.image.methods.cam import cam_maps
from verbalize.pipeline.image.render import (
    arrays_npz,
    mask_png,
    overlay,
    png_bytes,
    segments_picture,
    signed_overlay,
)
from verbalize.pipeline.image.segmentation import make_segmenter, segment_salient_objects
from verbalize.pipeline.image.types import Explanation, ImageInfo, MethodScore, Segment
from verbalize.pipeline.image.verbalize import IMAGE_VERBALIZERS, VerbalizerContext
from verbalize.pipeline.image.verify import verify_text

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

    from verbalize.adapters.llm import ChatBackend

log = logging.getLogger(__name__)

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

    signed: bool = False
    """Draw overlay.png signed: red for the class, blue against (shap's and captum's `sign="all"`)."""

    def overlay_png(self) -> bytes:
        return png_bytes(signed_overlay(self.image, self.saliency) if self.signed else overlay(self.image, self.saliency))

    def segment_png(self) -> bytes:
        """Every segment's outline with its prompt points (negatives as red crosses), box and rounds."""
        e = self.explanation
        return png_bytes(segments_picture(self.image, e.segments or [e.segment]))

    def arrays_npz(self) -> bytes:
        """The saliency map (float32, original resolution, signed) and the mask (bool) as one `.npz`."""
        return arrays_npz(self.saliency, self.mask)

    def artifacts(self) -> dict[str, bytes]:
        """Every file of an explanation but the JSON: the pictures, the mask, the arrays, the curves."""
        return {"overlay.png": self.overlay_png(), "segment.png": self.segment_png(), "mask.png": mask_png(self.mask),
                "arrays.npz": self.arrays_npz(), "curves.json": json.dumps(self.curves).encode()}

    def write(self, out_dir: str | Path) -> Path:
        """Write explanation.json and `artifacts()`; all or nothing (temp dir, then rename)."""
        out = Path(out_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}."))
        try:
            (tmp / "explanation.json").write_text(self.explanation.model_dump_json(indent=2))
            for name, data in self.artifacts().items():
                (tmp / name).write_bytes(data)
            if out.exists():
                shutil.rmtree(out)
            tmp.rename(out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return out


@dataclass
class Prepared:
    """One image half-way through the journey (`ImageExplainer.prepare`): up to its segments."""

    info: ImageInfo
    image: np.ndarray
    geometry: Geometry
    view: np.ndarray
    scorer: Scorer[np.ndarray]
    prediction: Prediction
    explained: Prediction
    method: str
    attribution: Attribution
    view_map: np.ndarray
    saliency: np.ndarray
    segments: list[Segment]
    box: Sequence[int] | None
    mask: GroundTruthMask | None
    timings: dict[str, float]
    t_all: float
    shared: dict[str, int] = field(default_factory=dict)
    """What this image shared with others (`explain_many`), for the provenance's forward passes."""


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

    def warm_up(self) -> float:
        """Pay the method's first-call cost now, not on the first image; the seconds it took.

        A single-pass method's first call imports its library (pytorch-grad-cam pulls in torchvision,
        torch._dynamo and scikit-learn: 3-6 s, ~3x the whole warm explanation) and runs torch's first
        backward. Long-lived workers (batch, service) call this while loading their models, so every
        image costs the same. It runs the method once on a grey view; perturbation methods are left
        alone (their warm-up would cost a full run). A failure here is the first image's to report.
        """
        t0 = time.perf_counter()
        entry = method_entry(self.config.saliency.method)
        if not entry.perturbs:
            crop = self.classifier.crop
            view = np.full((crop, crop, 3), 0.5, np.float32)
            try:
                attribute_image(self.classifier, view, 0, method=entry.name, scorer=self.classifier.scorer(1),
                                config=self.config.saliency, seed=self.config.seed)
            except Exception:  # noqa: BLE001 - the same error reaches the first image, where it is reported
                log.debug("warm-up of %s failed", entry.name, exc_info=True)
        return time.perf_counter() - t0

    def explain(self, source: ImageSource, *, progress: ProgressFactory | None = None, name: str | None = None,
                target: int | str | None = None, box: Sequence[int] | None = None,
                mask: GroundTruthMask | None = None, probabilities: np.ndarray | None = None,
                precomputed: tuple[np.ndarray, dict[str, Any]] | None = None,
                loaded: tuple[PILImage, ImageInfo] | None = None) -> ImageResult:
        """Explain one image; `target` (a class index or name) picks the class explained, default the
        prediction. With `box` ([x0, y0, x1, y1] in original pixels) or `mask` (an H x W array or a
        mask image file), also score how well the map points at that region (`localization`).
        `probabilities`: the view's class probabilities when they were computed already (explain_images
        predicts all its images in shared batches). `precomputed`: the saliency map over the view and its
        parameters, when a batch of images shared the method's passes (explain_images, batchable CAMs).
        `loaded`: what `load_image(source)` returned, when the caller has read the image already."""
        return self.finish(self.prepare(source, progress=progress, name=name, target=target, box=box, mask=mask,
                                        probabilities=probabilities, precomputed=precomputed, loaded=loaded))

    def prepare(self, source: ImageSource, *, progress: ProgressFactory | None = None, name: str | None = None,
                target: int | str | None = None, box: Sequence[int] | None = None,
                mask: GroundTruthMask | None = None, probabilities: np.ndarray | None = None,
                precomputed: tuple[np.ndarray, dict[str, Any]] | None = None,
                loaded: tuple[PILImage, ImageInfo] | None = None) -> Prepared:
        """The journey up to the fact sheet (load, predict, attribute, segment); `finish` does the rest.

        Two halves so that `explain_many` can score the fact sheets' perturbations of several images
        in shared batches between them (see `fact_sheet_inputs`)."""
        cfg = self.config
        timings: dict[str, float] = {}
        t_all = time.perf_counter()

        t0 = time.perf_counter()
        rgb, info = loaded if loaded is not None else load_image(source, max_pixels=cfg.max_image_pixels, name=name)
        image = np.asarray(rgb)
        geometry = self.classifier.geometry(info.width, info.height)
        view = geometry.view(rgb)
        timings["load"] = time.perf_counter() - t0

        scorer = self.classifier.scorer(cfg.scorer.batch_size)
        if probabilities is not None:
            scorer.remember([view], np.asarray(probabilities)[None])
        t0 = time.perf_counter()
        probs = scorer([view])[0]
        prediction = self.classifier.prediction(probs)
        index = prediction.class_index if target is None else self.classifier.class_index(target)
        explained = prediction if index == prediction.class_index else self.classifier.focus(probs, index)
        timings["predict"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        method = method_entry(cfg.saliency.method).name
        if precomputed is not None:
            view_map, used = precomputed
            attribution = Attribution(method=method, target=explained.class_index,
                                      target_label=self.classifier.labels[explained.class_index], params=used)
        else:
            attribution, view_map = attribute_image(
                self.classifier, view, explained.class_index, method=method, scorer=scorer, config=cfg.saliency,
                seed=cfg.seed, progress=progress(method) if progress else None)
        saliency = geometry.to_original(view_map)
        attribution.scores = saliency
        timings["attribution"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        segments = segment_salient_objects(image, saliency, cfg.segmenter, segmenter=self.segmenter)
        timings["segmentation"] = time.perf_counter() - t0
        return Prepared(info=info, image=image, geometry=geometry, view=view, scorer=scorer, prediction=prediction,
                        explained=explained, method=method, attribution=attribution, view_map=view_map,
                        saliency=saliency, segments=segments, box=box, mask=mask, timings=timings, t_all=t_all)

    def fact_sheet_inputs(self, p: Prepared) -> list[np.ndarray]:
        """The perturbed views `finish` will score for `p`'s fact sheet (to score them ahead, shared)."""
        cfg = self.config
        return fact_sheet_inputs(view=p.view, view_map=p.view_map, geometry=p.geometry, fill=cfg.facts.fill,
                                 curve_steps=cfg.facts.curve_steps, segments=p.segments)

    def finish(self, p: Prepared) -> ImageResult:
        """The fact sheet, the words and their checks, the provenance: the journey after `prepare`."""
        cfg = self.config
        timings, scorer, segments, explained = p.timings, p.scorer, p.segments, p.explained
        segment = segments[0]
        t0 = time.perf_counter()
        passes_before_facts = scorer.stats.forward_passes
        facts, curves = build_fact_sheet(
            prediction=explained, saliency=p.saliency, segment=segment, view=p.view, view_map=p.view_map,
            geometry=p.geometry, scorer=scorer, fill=cfg.facts.fill, curve_steps=cfg.facts.curve_steps,
            threshold=cfg.segmenter.threshold, predicted=explained is p.prediction, segments=segments)
        facts.method = p.attribution.params.get("chosen", p.method)
        if p.attribution.params.get("ranking"):  # --method best: the candidates, most faithful first
            facts.method_ranking = [MethodScore.model_validate(r) for r in p.attribution.params["ranking"]]
        timings["facts"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        context = VerbalizerContext(config=cfg, image=p.image, saliency=p.saliency,
                                    mask=np.asarray(segment.mask, dtype=bool), backend=lambda: self.llm)
        verbalizations = [IMAGE_VERBALIZERS.get(kind).obj(facts, context) for kind in cfg.verbalizers]
        for v in verbalizations:
            if v.ok:
                v.verification = verify_text(v.text, facts, self.classifier.labels)
        timings["verbalization"] = time.perf_counter() - t0
        timings["total"] = time.perf_counter() - p.t_all

        provenance = Provenance(
            model=self.classifier.name, method=p.method, params=p.attribution.params, segmenter=segment.method,
            seed=cfg.seed,
            forward_passes={"total": scorer.stats.forward_passes, "attribution": p.attribution.forward_passes,
                            "facts": scorer.stats.forward_passes - passes_before_facts,
                            "inputs_scored": scorer.stats.inputs_scored,
                            "duplicates_removed": scorer.stats.duplicates_removed + scorer.stats.memo_hits,
                            "batch_size": scorer.batch_size, **p.shared},
            llm_calls=[c.model_dump() if hasattr(c, "model_dump") else c for c in (self._llm.calls if self._llm is not None else [])],
            versions=library_versions(*_VERSIONED, *method_entry(p.method).libraries), config=self._config_record())
        explanation = Explanation(image=p.info, prediction=p.prediction, attribution=p.attribution, segment=segment,
                                  segments=segments if len(segments) > 1 else [],
                                  facts=facts, verbalizations=verbalizations,
                                  timings={k: round(v, 4) for k, v in timings.items()}, provenance=provenance,
                                  localization=localize(p.saliency, box=p.box, mask=p.mask), pixels=p.image)
        return ImageResult(explanation=explanation, image=p.image, saliency=p.saliency,
                           mask=np.asarray(segment.mask, dtype=bool), curves=curves)

    def explain_many(self, sources: Sequence[ImageSource], *, names: Sequence[str | None] | None = None,
                     target: int | str | None = None) -> list[ImageResult | Exception]:
        """Explain several images with the model's passes shared between them: one result or error each.

        The predictions, a batchable CAM's forward/backward pass (one target per image) and the fact
        sheets' perturbations of all images run as shared batches of `scorer.batch_size`; loading,
        segmentation and the words run image by image, in this one thread, so no two images' hooks
        are ever in the model at once. An image that fails (unreadable, …) gets its exception and
        the others go on; if a shared pass fails, every image runs alone instead.
        """
        cfg = self.config
        n = len(sources)
        labels = list(names) if names is not None else [None] * n
        out: list[ImageResult | Exception | None] = [None] * n
        views: dict[int, np.ndarray] = {}
        read: dict[int, tuple[PILImage, ImageInfo]] = {}  # each image read once, here
        for i, (source, name) in enumerate(zip(sources, labels, strict=True)):
            try:
                rgb, info = read[i] = load_image(source, max_pixels=cfg.max_image_pixels, name=name or f"image {i + 1}")
                views[i] = self.classifier.geometry(info.width, info.height).view(rgb)
            except Exception as e:  # noqa: BLE001 - the image's own error, handed back as its result
                out[i] = e
        ready = list(views)
        try:
            probabilities = dict(zip(ready, self.classifier.scorer(cfg.scorer.batch_size)([views[i] for i in ready]),
                                     strict=True)) if ready else {}
            precomputed = self._shared_cams(ready, views, probabilities, target)
        except Exception:  # noqa: BLE001 - a shared pass failed: let each image meet its own error
            probabilities, precomputed = {}, {}
        prepared: dict[int, Prepared] = {}
        for i in ready:
            try:
                prepared[i] = self.prepare(sources[i], name=labels[i], target=target, loaded=read[i],
                                           probabilities=probabilities.get(i), precomputed=precomputed.get(i))
            except Exception as e:  # noqa: BLE001
                out[i] = e
        if len(prepared) > 1:
            self._shared_fact_sheets(list(prepared.values()))
        for i, p in prepared.items():
            try:
                out[i] = self.finish(p)
            except Exception as e:  # noqa: BLE001
                out[i] = e
        return cast(list[ImageResult | Exception], out)  # every image got its result or its error above

    def _shared_cams(self, ready: list[int], views: dict[int, np.ndarray], probabilities: dict[int, np.ndarray],
                     target: int | str | None) -> dict[int, tuple[np.ndarray, dict[str, Any]]]:
        """A batchable CAM (Grad-CAM, LayerCAM, …) of all `ready` views from shared forward/backward passes."""
        entry = method_entry(self.config.saliency.method)
        if not entry.meta.get("batch_class") or len(ready) < 2:
            return {}
        targets = [int(np.argmax(probabilities[i])) if target is None else self.classifier.class_index(target)
                   for i in ready]
        maps, used, _ = cam_maps(self.classifier, [views[i] for i in ready], targets, entry.meta["batch_class"],
                                 method_params(self.config.saliency, entry.name), self.config.scorer.batch_size)
        return {i: (np.nan_to_num(m), {**used, "shared_by_images": len(ready)}) for i, m in zip(ready, maps, strict=True)}

    def _shared_fact_sheets(self, prepared: list[Prepared]) -> None:
        """Score every image's fact-sheet perturbations in shared passes and seed each image's scorer
        with its rows; if that fails, each sheet scores its own (nothing is lost but the sharing)."""
        try:
            inputs = [self.fact_sheet_inputs(p) for p in prepared]
            shared = self.classifier.scorer(self.config.scorer.batch_size)
            rows = shared([x for xs in inputs for x in xs])
        except Exception:  # noqa: BLE001
            return
        start = 0
        for p, xs in zip(prepared, inputs, strict=True):
            p.scorer.remember(xs, rows[start : start + len(xs)])
            start += len(xs)
            p.shared = {"shared_by_images": len(prepared), "shared_facts_passes": shared.stats.forward_passes}

    def _config_record(self) -> dict[str, Any]:
        """The config as provenance records it, naming the classifier actually used (a user's module too)."""
        record = self.config.model_dump(mode="json")
        record["model"].update(name=self.classifier.name, target_layer=self.classifier.target_layer_name)
        return record

    @property
    def llm(self) -> ChatBackend:
        """The chat backend of the LLM/VLM verbalizers, loaded on first use from `config.llm`."""
        if self._llm is None:
            from verbalize.adapters.llm import make_backend

            self._llm = make_backend(self.config.llm)
        return self._llm


def explain_image(image: ImageSource, *, model: Any = None, labels: Sequence[str] | dict[int, str] | None = None,
                  target: int | str | None = None, layer: str | Any = None, transform: Any = None,
                  config: Config | None = None) -> Explanation:
    """Explain one image, with the embedded offline model or your own.

    image: a path, a PIL image, an H x W x 3 numpy array (uint8, or float in [0, 1]) or a
    3 x H x W torch tensor (values in [0, 1]). model: any `nn.Module` returning logits (torchvision,
    timm, Hugging Face or your own), an `ImageClassifier`, or a name as `--model` takes. labels:
    the class names. target: the class to explain, an index or a name (default: the prediction).
    layer: the CAM layer, a dotted name or the module (default: found). transform: the
    preprocessing (default: the model's known one, else 224 x 224 and ImageNet normalisation).
    """
    return explain_images([image], model=model, labels=labels, target=target, layer=layer, transform=transform,
                          config=config)[0]


def explain_images(images: Sequence[ImageSource] | Any, *, model: Any = None,
                   labels: Sequence[str] | dict[int, str] | None = None, target: int | str | None = None,
                   layer: str | Any = None, transform: Any = None, config: Config | None = None) -> list[Explanation]:
    """Explain several images (a list, or an N x 3 x H x W tensor) with one loaded model; a list back.

    The model and segmenter load once; the predictions of all images run in shared batches of
    `scorer.batch_size` (one forward pass for up to that many images), and so do the CAMs that are
    computed per sample from one forward/backward pass (Grad-CAM, Grad-CAM++, LayerCAM, …). Other
    methods run image by image, every perturbation inside an image batched (see the scorer).
    """
    cfg = config or Config()
    classifier = as_classifier(model if model is not None else cfg.model.name, labels=labels,
                               layer=layer if layer is not None else cfg.model.target_layer, transform=transform,
                               device=cfg.model.device if model is None or isinstance(model, str) else None)
    explainer = ImageExplainer(cfg, classifier=classifier)
    items = list(images) if not hasattr(images, "ndim") or images.ndim == 4 else [images]
    results = explainer.explain_many(items, target=target)
    for r in results:
        if isinstance(r, Exception):
            raise r
    return [r.explanation for r in results if isinstance(r, ImageResult)]
