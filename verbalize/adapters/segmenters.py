"""Segmenters: an image plus prompts taken from a saliency map in, one object mask out.

Two back ends behind one small protocol (`Segmenter`):

- `SamSegmenter` runs Segment Anything through the `segment_anything` package. It is only ever
  used with a real checkpoint (or a model a caller built, as the tests do), and its output says
  `method="sam"`.
- `GrabCutSegmenter` is OpenCV's GrabCut seeded from the saliency map: the default when no SAM
  checkpoint exists (offline machines). Its output says `method="grabcut"` and carries no score:
  it is never passed off as SAM.

Coordinates, everywhere in this module: points are (x, y) = (column, row) in pixels of the
*original* image; boxes are [x0, y0, x1, y1] with x1, y1 one past the last pixel (slicing
convention, as in `pipeline/facts.py`). SAM gets the raw uint8 RGB image and original-pixel
prompts; its predictor does its own resizing (ResizeLongestSide). VALE's scripts swapped rows and
columns and fed SAM a normalised tensor; both mistakes are tested against here.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np
import torch

from verbalize.core.errors import UserError

SAM_MISSING_HINT = "run `verbalize models pull sam-vit-b` or set VERBALIZE_SAM_CHECKPOINT"


@dataclass(frozen=True)
class Prompts:
    """What the saliency map tells a segmenter: where the object surely is, and roughly how big.

    `threshold` is the share of the map's maximum above which a pixel counts as salient; it is
    carried here so that prompts and GrabCut's seeds come from the same cut.
    """

    points_xy: np.ndarray  # (n, 2) int, columns x then y
    box_xyxy: np.ndarray | None  # (4,) int, x1/y1 exclusive; None when boxes are off
    threshold: float = 0.5
    negative_xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), np.int64))  # (m, 2): surely background
    refine_rounds: int = 1  # rounds at most; round k > 1 feeds round k-1's mask back
    refine_iou: float = 0.95  # stop when two rounds' masks overlap at least this much


@dataclass
class MaskResult:
    """A segmenter's answer at the original resolution, with what it took into account."""

    mask: np.ndarray  # bool, H x W
    score: float | None
    used_box: bool
    note: str | None = None  # e.g. which fallback produced the mask
    details: dict[str, Any] = field(default_factory=dict)
    rounds: int = 1  # refinement rounds actually run
    stop_reason: str = "single round"  # 'single round', 'converged' or 'round limit'
    round_ious: list[float] = field(default_factory=list)  # IoU of each round's mask with the one before


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks; two empty masks are identical (1.0)."""
    union = int(np.logical_or(a, b).sum())
    return 1.0 if union == 0 else float(np.logical_and(a, b).sum()) / union


def refine(first: np.ndarray, step: Callable[[int, np.ndarray], np.ndarray], prompts: Prompts,
           ) -> tuple[np.ndarray, int, str, list[float]]:
    """The refinement loop every segmenter shares: (mask, rounds, stop reason, IoUs between rounds).

    `step(k, previous_mask)` runs round k (2, 3, …) and returns its mask; the back end feeds the
    previous round's output back in (SAM: its low-resolution logits as `mask_input`; GrabCut: its
    label image). The loop stops at `prompts.refine_rounds` or as soon as a round changes the mask
    so little that the IoU with the previous one reaches `prompts.refine_iou`.
    """
    mask, ious = first, list[float]()
    if prompts.refine_rounds <= 1:
        return mask, 1, "single round", ious
    for k in range(2, prompts.refine_rounds + 1):
        new = step(k, mask)
        ious.append(round(mask_iou(mask, new), 4))
        mask = new
        if ious[-1] >= prompts.refine_iou:
            return mask, k, "converged", ious
    return mask, prompts.refine_rounds, "round limit", ious


class Segmenter(Protocol):
    @property
    def method(self) -> Literal["sam", "sam2", "grabcut"]:
        """What `Segment.method` will say: which algorithm really produced the mask."""
        ...

    @property
    def name(self) -> str:
        """Model and settings, recorded as `Segment.model`."""
        ...

    def segment(self, image_rgb: np.ndarray, saliency: np.ndarray, prompts: Prompts) -> MaskResult: ...


# --- mask choice -------------------------------------------------------------------------------


def saliency_agreement(masks: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """Soft IoU between each mask and the positive saliency map scaled to [0, 1].

    agreement = (saliency mass inside the mask) / (mask area + saliency mass outside it).
    It is 1 only for a mask that covers exactly the pixels at the map's maximum, and it falls
    both for masks that miss salient pixels (mass outside grows) and for masks that take in
    non-salient ones (area grows). The plain share of mass inside would always prefer the
    largest mask, since a mask of the whole image holds 100 % of the mass.
    """
    pos = np.clip(np.nan_to_num(np.asarray(saliency, dtype=np.float64)), 0.0, None)
    peak = float(pos.max()) if pos.size else 0.0
    masks = np.asarray(masks, dtype=bool)
    if peak <= 0:
        return np.zeros(len(masks))
    w = pos / peak
    total = float(w.sum())
    out = np.empty(len(masks))
    for i, m in enumerate(masks):
        inside = float(w[m].sum())
        union = float(m.sum()) + (total - inside)
        out[i] = inside / union if union > 0 else 0.0
    return out


def mask_choice_scores(masks: np.ndarray, iou_predictions: np.ndarray, saliency: np.ndarray) -> np.ndarray:
    """SAM's predicted IoU x `saliency_agreement`: the rule that picks one of SAM's masks.

    SAM's score says whether a mask is a clean object; the agreement says whether it is the
    object the classifier looked at. A product needs both to be high. With no positive saliency
    at all the agreement is uninformative, and SAM's own score decides.
    """
    scores = np.asarray(iou_predictions, dtype=np.float64)
    agreement = saliency_agreement(masks, saliency)
    if not agreement.any():
        return scores.copy()
    return scores * agreement


# --- SAM ---------------------------------------------------------------------------------------


def infer_model_type(path: Path) -> str:
    """vit_b / vit_l / vit_h from the file name (`sam_vit_b_01ec64.pth`), else from its size.

    The official files are ~375 MB (vit_b), ~1.25 GB (vit_l) and ~2.56 GB (vit_h); fine-tunes keep
    the architecture and so the size, which is why size is a fair second guess.
    """
    m = re.search(r"vit[_-]?([blh])(?![a-z])", path.name.lower())
    if m:
        return f"vit_{m.group(1)}"
    size = path.stat().st_size
    return "vit_b" if size < 800_000_000 else "vit_l" if size < 1_900_000_000 else "vit_h"


def load_sam(checkpoint: str | Path, model_type: str = "auto", device: str = "cpu") -> tuple[torch.nn.Module, str]:
    """Build `sam_model_registry[model_type]` and load the checkpoint; return (model, model_type).

    The state dict is loaded here with `map_location` (the registry's own `torch.load` has none,
    so a checkpoint saved from a GPU would not open on a CPU-only machine) and `weights_only=True`
    (a checkpoint is data; it must not run code).
    """
    from segment_anything import sam_model_registry

    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise UserError(f"{path}: SAM checkpoint not found ({SAM_MISSING_HINT})")
    mt = infer_model_type(path) if model_type == "auto" else model_type
    if mt not in ("vit_b", "vit_l", "vit_h"):
        raise UserError(f"{path}: unknown SAM model type '{mt}' (use vit_b, vit_l or vit_h)")
    try:
        state = torch.load(path, map_location=device, weights_only=True)  # before building: fail fast
        model = sam_model_registry[mt](checkpoint=None)
        model.load_state_dict(state)
    except Exception as e:  # corrupt file, wrong architecture, not a checkpoint at all
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise UserError(f"{path}: cannot load as a SAM {mt} checkpoint ({first})") from None
    return model.to(device).eval(), mt


class PromptedSam:
    """What SAM, SAM 2 and Hugging Face's SamModel share: prompts in, mask choice, refinement rounds.

    A subclass implements `_predict(image, prompts, mask_input)` -> (bool masks k x H x W at the
    original size, predicted IoUs, low-resolution logits) and `_feed(logits_of_one_mask)` (the
    shape its library takes back as a mask prompt). Each image is embedded once: `_embed_once`
    keys the embedding by a hash of the pixels, so several masks on one image (or a copy of it)
    run the expensive image encoder once. A lock makes one instance safe to share between
    threads (the service), because the predictors are stateful.
    """

    _name: str

    def __init__(self) -> None:
        self._image_key: str | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return self._name

    def _embed_once(self, image: np.ndarray, embed: Callable[[], None]) -> None:
        key = hashlib.blake2b(image.tobytes(), digest_size=16).hexdigest() + str(image.shape)
        if key != self._image_key:
            self._image_key = None  # stays unset if the encoder fails half-way
            embed()
            self._image_key = key

    def _predict(self, image: np.ndarray, prompts: Prompts, mask_input: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        raise NotImplementedError

    def _feed(self, logits: Any) -> Any:
        raise NotImplementedError

    def candidates(self, image_rgb: np.ndarray, prompts: Prompts) -> tuple[np.ndarray, np.ndarray]:
        """The model's three masks (bool, 3 x H x W at the original size) and predicted IoUs for the prompts."""
        with self._lock, torch.inference_mode():
            masks, scores, _ = self._predict(_check_image(image_rgb), prompts, None)
        return masks, scores

    def segment(self, image_rgb: np.ndarray, saliency: np.ndarray, prompts: Prompts) -> MaskResult:
        """Three candidates, the one the choice rule prefers, then refinement rounds from its logits.

        With a mask prompt the model returns a single mask, as SAM's authors advise for that case.
        """
        image = _check_image(image_rgb)
        with self._lock, torch.inference_mode():
            masks, scores, logits = self._predict(image, prompts, None)
            choice = mask_choice_scores(masks, scores, saliency)
            best = int(np.argmax(choice))
            last: list[Any] = [self._feed(logits[best]), float(scores[best])]

            def step(_k: int, _previous: np.ndarray) -> np.ndarray:
                m, sc, lg = self._predict(image, prompts, last[0])
                last[:] = [self._feed(lg[0]), float(sc[0])]
                return np.asarray(m[0], dtype=bool)

            mask, rounds, reason, ious = refine(masks[best], step, prompts)
        return MaskResult(
            mask=mask, score=float(last[1]), used_box=prompts.box_xyxy is not None,
            details={"candidate_iou_predictions": [round(float(v), 4) for v in scores],
                     "candidate_choice_scores": [round(float(v), 4) for v in choice], "chosen": best},
            rounds=rounds, stop_reason=reason, round_ious=ious)


def sam_points(prompts: Prompts) -> tuple[np.ndarray, np.ndarray]:
    """Positive then negative points as float32 (n, 2) x, y, and their labels (1, then 0)."""
    positive = np.asarray(prompts.points_xy, dtype=np.float32).reshape(-1, 2)
    negative = np.asarray(prompts.negative_xy, dtype=np.float32).reshape(-1, 2)
    labels = np.concatenate([np.ones(len(positive), np.int64), np.zeros(len(negative), np.int64)])
    return np.concatenate([positive, negative]), labels


def sam_box(prompts: Prompts) -> np.ndarray | None:
    """The prompt box as SAM-family models read it: corners are pixel indices (they add 0.5 to
    reach pixel centres), so the last pixel, not one past it."""
    if prompts.box_xyxy is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in prompts.box_xyxy)
    return np.array([x0, y0, x1 - 1, y1 - 1], dtype=np.float32)


class PredictorSam(PromptedSam):
    """SAM and SAM 2: both predictors take `set_image(image)` and `predict(point_coords, point_labels,
    box, mask_input, multimask_output)` with (x, y) points and boxes in original-image pixels."""

    method: Literal["sam", "sam2"]
    predictor: Any  # segment_anything.SamPredictor or sam2's SAM2ImagePredictor
    label = "SAM"
    hint = SAM_MISSING_HINT

    def _adopt(self, model: torch.nn.Module | None, checkpoint: str | Path | None, device: str,
               name: str | None) -> torch.nn.Module:
        """The model given, or the checkpoint loaded; sets the name recorded on every `Segment`."""
        super().__init__()
        if model is None:
            if checkpoint is None:
                raise UserError(f"segmenter: {self.label} checkpoint not found ({self.hint})")
            model, detail = self._load(checkpoint, device)
            self._name = name or f"{self.method} {detail} ({Path(checkpoint).name})"
            return model
        self._name = name or f"{self.method} ({type(model).__name__} given in memory)"
        return model.to(device).eval()

    def _load(self, checkpoint: str | Path, device: str) -> tuple[torch.nn.Module, str]:
        raise NotImplementedError

    def _set_image(self, image: np.ndarray) -> None:
        self.predictor.set_image(image)

    def _predict(self, image: np.ndarray, prompts: Prompts, mask_input: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        self._embed_once(image, lambda: self._set_image(image))
        points, labels = sam_points(prompts)
        masks, scores, logits = self.predictor.predict(
            point_coords=points if len(points) else None, point_labels=labels if len(points) else None,
            box=sam_box(prompts), mask_input=mask_input, multimask_output=mask_input is None)
        return np.asarray(masks) > 0.5, np.asarray(scores, dtype=np.float64), np.asarray(logits, np.float32)

    def _feed(self, logits: Any) -> Any:
        return logits[None]  # 1 x 256 x 256


class SamSegmenter(PredictorSam):
    """Segment Anything (`segment_anything.SamPredictor`) with prompts from the saliency map."""

    method: Literal["sam"] = "sam"

    def __init__(self, model: torch.nn.Module | None = None, *, checkpoint: str | Path | None = None,
                 model_type: str = "auto", device: str = "cpu", name: str | None = None) -> None:
        from segment_anything import SamPredictor

        self.model_type = model_type
        self.predictor = SamPredictor(self._adopt(model, checkpoint, device, name))

    def _load(self, checkpoint: str | Path, device: str) -> tuple[torch.nn.Module, str]:
        return load_sam(checkpoint, self.model_type, device)

    def _set_image(self, image: np.ndarray) -> None:
        self.predictor.set_image(image, image_format="RGB")


# --- SAM 2 through the `sam2` package --------------------------------------------------------

SAM2_MISSING_HINT = ("run `verbalize models pull sam2.1-hiera-tiny` or set VERBALIZE_SAM2_CHECKPOINT or "
                     "segmenter.sam2_checkpoint")

SAM2_CONFIGS = {  # file-name fragment -> the config the `sam2` package ships for that architecture
    "hiera_tiny": "hiera_t", "hiera_t": "hiera_t", "hiera_small": "hiera_s", "hiera_s": "hiera_s",
    "hiera_base_plus": "hiera_b+", "hiera_b+": "hiera_b+", "hiera_large": "hiera_l", "hiera_l": "hiera_l",
}


def sam2_config_for(path: Path) -> str:
    """The `sam2` package's config for a checkpoint file name: sam2.1_hiera_small.pt -> configs/sam2.1/sam2.1_hiera_s.yaml."""
    name = path.name.lower()
    version = "sam2.1" if name.startswith("sam2.1") else "sam2"
    for fragment, arch in sorted(SAM2_CONFIGS.items(), key=lambda kv: len(kv[0]), reverse=True):
        if fragment in name:
            return f"configs/{version}/{version}_{arch}.yaml"
    raise UserError(f"{path}: cannot tell the SAM 2 architecture from the file name "
                    "(keep the official name, e.g. sam2.1_hiera_tiny.pt, or set segmenter.sam2_config)")


def load_sam2(checkpoint: str | Path, config: str | None = None, device: str = "cpu",
              overrides: list[str] | None = None) -> tuple[torch.nn.Module, str]:
    """`sam2.build_sam.build_sam2` with the checkpoint (loaded there with weights_only=True); (model, config)."""
    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise UserError(f"{path}: SAM 2 checkpoint not found ({SAM2_MISSING_HINT})")
    cfg = config or sam2_config_for(path)
    from sam2.build_sam import build_sam2

    try:
        model = build_sam2(cfg, str(path), device=device, hydra_overrides_extra=list(overrides or []))
    except Exception as e:  # corrupt file, wrong architecture, missing keys
        raise UserError(f"{path}: cannot load as a SAM 2 checkpoint with {cfg} ({_first_line(e)})") from None
    return model.eval(), cfg


class Sam2Segmenter(PredictorSam):
    """SAM 2 / SAM 2.1 through the `sam2` package's `SAM2ImagePredictor`: same prompts, choice and refinement as SAM.

    The predictor resizes the image and normalises the (x, y) points and the box itself; negative
    points get label 0; refinement rounds feed the chosen low-resolution logits back as `mask_input`.
    """

    method: Literal["sam2"] = "sam2"
    label = "SAM 2"
    hint = SAM2_MISSING_HINT

    def __init__(self, model: torch.nn.Module | None = None, *, checkpoint: str | Path | None = None,
                 config: str | None = None, device: str = "cpu", name: str | None = None) -> None:
        from sam2.sam2_image_predictor import SAM2ImagePredictor

        self.config = config
        self.predictor = SAM2ImagePredictor(self._adopt(model, checkpoint, device, name))

    def _load(self, checkpoint: str | Path, device: str) -> tuple[torch.nn.Module, str]:
        model, config = load_sam2(checkpoint, self.config, device)
        return model, Path(config).stem


# --- Hugging Face SamModel from a local folder ------------------------------------------------

HF_MISSING_HINT = ("give a folder holding config.json, the weights and preprocessor_config.json, e.g. made where "
                   "there is internet by `huggingface-cli download facebook/sam-vit-base --local-dir DIR`")


class HFSamSegmenter(PromptedSam):
    """SAM or SAM 2 through Hugging Face transformers (`SamModel` / `Sam2Model` and their processors), local files only.

    Same prompts, mask choice and refinement as `SamSegmenter`: the processor resizes the image and
    scales the (x, y) points and the box itself; negative points get label 0; refinement feeds the
    chosen low-resolution mask logits back as `input_masks`. `method` is 'sam' or 'sam2' after the
    folder's `model_type`.
    """

    method: Literal["sam", "sam2"]

    def __init__(self, path: str | Path | None = None, *, model: Any = None, processor: Any = None,
                 device: str = "cpu", name: str | None = None) -> None:
        super().__init__()
        if model is None or processor is None:
            if path is None:
                raise UserError(f"segmenter hf: no model folder given ({HF_MISSING_HINT})")
            model, processor = load_hf_sam(path, device)
            self._name = name or f"hf {type(model).__name__} ({Path(path).expanduser().name})"
        else:
            self._name = name or f"hf {type(model).__name__} (given in memory)"
        self.model = model.to(device).eval()
        self.method = "sam2" if model.config.model_type == "sam2" else "sam"
        self.processor = processor
        self.device = device
        self._embeddings: Any = None

    def _predict(self, image: np.ndarray, prompts: Prompts, mask_input: Any) -> tuple[np.ndarray, np.ndarray, Any]:
        points, labels = sam_points(prompts)
        box = sam_box(prompts)
        kwargs: dict[str, Any] = {}
        if len(points):  # nesting: image > mask (object) > point > (x, y), for both processors
            kwargs["input_points"] = [[points.astype(np.float64).tolist()]]
            kwargs["input_labels"] = [[labels.tolist()]]
        if box is not None:
            kwargs["input_boxes"] = [[box.astype(np.float64).tolist()]]
        inputs = self.processor(images=image, return_tensors="pt", **kwargs)

        def embed() -> None:
            self._embeddings = self.model.get_image_embeddings(inputs["pixel_values"].to(self.device))

        self._embed_once(image, embed)
        extra = {k: inputs[k].to(self.device) for k in ("input_points", "input_labels", "input_boxes") if k in inputs}
        out = self.model(image_embeddings=self._embeddings, input_masks=mask_input,
                         multimask_output=mask_input is None, **extra)
        sizes = [inputs["original_sizes"]] + ([inputs["reshaped_input_sizes"]] if "reshaped_input_sizes" in inputs else [])
        masks = self.processor.post_process_masks(out.pred_masks.cpu(), *sizes)[0][0]
        return (np.asarray(masks, dtype=bool), out.iou_scores[0, 0].float().cpu().numpy().astype(np.float64),
                out.pred_masks[0, 0])

    def _feed(self, logits: Any) -> Any:
        return logits[None, None]  # 1 x 1 x 256 x 256


def load_hf_sam(path: str | Path, device: str = "cpu") -> tuple[Any, Any]:
    """`SamModel` / `Sam2Model` and the matching processor from a local folder; never the network. Errors are one line."""
    p = Path(path).expanduser()
    if not (p / "config.json").is_file():
        raise UserError(f"{p}: Hugging Face SAM model not found ({HF_MISSING_HINT})")
    from transformers import AutoConfig, Sam2Model, Sam2Processor, SamModel, SamProcessor

    try:
        kind = AutoConfig.from_pretrained(p, local_files_only=True).model_type
    except Exception as e:
        raise UserError(f"{p}: cannot read config.json ({_first_line(e)})") from None
    classes: dict[str, tuple[Any, Any]] = {"sam": (SamModel, SamProcessor), "sam2": (Sam2Model, Sam2Processor)}
    if kind not in classes:
        raise UserError(f"{p}: a '{kind}' model; hf: takes SamModel or Sam2Model folders (model_type 'sam' or 'sam2')")
    try:
        model: Any = classes[kind][0].from_pretrained(p, local_files_only=True)
        processor = classes[kind][1].from_pretrained(p, local_files_only=True)
    except Exception as e:  # missing weights or preprocessor_config.json, corrupt files
        raise UserError(f"{p}: cannot load as a Hugging Face SAM model ({_first_line(e)})") from None
    return model.to(device).eval(), processor


def _first_line(e: BaseException) -> str:
    return (str(e).strip().splitlines() or [type(e).__name__])[0][:200]


# --- GrabCut -----------------------------------------------------------------------------------


class GrabCutSegmenter:
    """OpenCV GrabCut, seeded from the saliency map instead of a user's rectangle.

    Seeds, with t = threshold and the positive map scaled to [0, 1]:
    definite foreground where the map is >= (1 + t) / 2 and in small discs at the prompt points;
    definite background in small discs at the negative prompt points (the same ones SAM gets);
    probable foreground where it is >= t; probable background elsewhere; definite background
    outside the prompt box grown by `margin` of the image's longer side (GrabCut's classic
    rectangle, loosened because saliency maps are coarser than objects). GrabCut then moves the
    probable pixels by colour. Big images are cut on a copy whose longer side is `max_side` and
    the mask is scaled back, because GrabCut's cost grows with the pixel count.
    Only connected pieces that touch the definite foreground are kept: the salient object, not
    every patch of similar colour. If GrabCut keeps nothing, or cannot run (no background left to
    learn from), the thresholded saliency region is used and the result says so in `note`.
    Refinement rounds (`prompts.refine_rounds` > 1) continue from the last round's labels and
    colour models with one more GrabCut iteration each (`GC_EVAL`), until the mask stops changing.
    """

    method: Literal["grabcut"] = "grabcut"

    def __init__(self, *, iterations: int = 3, max_side: int = 320, margin: float = 0.1, seed: int = 0) -> None:
        self.iterations = iterations
        self.max_side = max_side
        self.margin = margin
        self.seed = seed

    @property
    def name(self) -> str:
        return f"opencv grabcut {cv2.__version__} ({self.iterations} iterations, longer side <= {self.max_side} px)"

    def seeds(self, saliency: np.ndarray, prompts: Prompts, scale: float = 1.0) -> np.ndarray:
        """The GrabCut label image (cv2.GC_*) for a saliency map already at the working size."""
        h, w = saliency.shape
        pos = np.clip(np.nan_to_num(saliency.astype(np.float32)), 0.0, None)
        peak = float(pos.max())
        s = pos / peak if peak > 0 else pos
        t = prompts.threshold
        seeds = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
        if prompts.box_xyxy is not None:
            pad = self.margin * max(h, w)
            x0, y0, x1, y1 = (np.asarray(prompts.box_xyxy, dtype=np.float64) * scale).tolist()
            keep = np.zeros((h, w), bool)
            keep[max(0, int(y0 - pad)) : int(np.ceil(y1 + pad)), max(0, int(x0 - pad)) : int(np.ceil(x1 + pad))] = True
            seeds[~keep] = cv2.GC_BGD
        seeds[s >= t] = cv2.GC_PR_FGD
        seeds[s >= (1 + t) / 2] = cv2.GC_FGD
        radius = max(1, round(0.01 * max(h, w)))
        for x, y in np.asarray(prompts.points_xy, dtype=np.float64).reshape(-1, 2) * scale:
            cv2.circle(seeds, (int(x), int(y)), radius, int(cv2.GC_FGD), thickness=-1)
        for x, y in np.asarray(prompts.negative_xy, dtype=np.float64).reshape(-1, 2) * scale:
            cv2.circle(seeds, (int(x), int(y)), radius, int(cv2.GC_BGD), thickness=-1)
        return seeds

    def segment(self, image_rgb: np.ndarray, saliency: np.ndarray, prompts: Prompts) -> MaskResult:
        image = _check_image(image_rgb)
        h, w = image.shape[:2]
        scale = min(1.0, self.max_side / max(h, w))
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(image, size, interpolation=cv2.INTER_AREA) if scale < 1 else image
        sal = np.nan_to_num(np.asarray(saliency, dtype=np.float32))
        sal_small = cv2.resize(sal, size, interpolation=cv2.INTER_AREA) if scale < 1 else sal
        seeds = self.seeds(sal_small, prompts, scale)
        used_box = prompts.box_xyxy is not None
        is_fg = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD))
        if not is_fg.any() or is_fg.all():
            return self._fallback(saliency, prompts, used_box, "grabcut had no background to learn from")
        cv2.setRNGSeed(self.seed)  # GrabCut's GMM initialisation draws from OpenCV's RNG
        bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
        labels = seeds.copy()
        work = np.ascontiguousarray(small)
        cv2.grabCut(work, labels, None, bgd, fgd, self.iterations, cv2.GC_INIT_WITH_MASK)  # type: ignore[call-overload]

        def current() -> np.ndarray:
            fg = _components_touching(np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)), seeds == cv2.GC_FGD)
            if scale < 1:
                fg = cv2.resize(fg.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) >= 0.5
            return np.asarray(fg, dtype=bool)

        def step(_k: int, _previous: np.ndarray) -> np.ndarray:
            cv2.grabCut(work, labels, None, bgd, fgd, 1, cv2.GC_EVAL)  # type: ignore[call-overload]
            return current()

        fg, rounds, reason, ious = refine(current(), step, prompts)
        if not fg.any():
            return self._fallback(saliency, prompts, used_box, "grabcut kept nothing")
        return MaskResult(mask=fg, score=None, used_box=used_box, details={"working_scale": round(scale, 4)},
                          rounds=rounds, stop_reason=reason, round_ious=ious)

    def _fallback(self, saliency: np.ndarray, prompts: Prompts, used_box: bool, why: str) -> MaskResult:
        mask = thresholded_region(saliency, prompts.threshold, prompts.points_xy)
        return MaskResult(mask=mask, score=None, used_box=used_box,
                          note=f"{why}; fell back to the thresholded saliency region")


# --- shared helpers ----------------------------------------------------------------------------


def thresholded_region(saliency: np.ndarray, threshold: float, points_xy: np.ndarray) -> np.ndarray:
    """Pixels >= threshold x max, restricted to the connected pieces that hold the prompt points.

    With no points (or no positive saliency) every piece above the threshold counts.
    """
    pos = np.clip(np.nan_to_num(np.asarray(saliency, dtype=np.float64)), 0.0, None)
    peak = float(pos.max()) if pos.size else 0.0
    if peak <= 0:
        return np.zeros(pos.shape, bool)
    above = pos >= threshold * peak
    seeds = np.zeros_like(above)
    for x, y in np.asarray(points_xy, dtype=np.int64).reshape(-1, 2):
        seeds[y, x] = True
    return _components_touching(above, seeds) if seeds.any() else above


def _components_touching(mask: np.ndarray, seeds: np.ndarray) -> np.ndarray:
    """The 8-connected pieces of `mask` that contain at least one `seeds` pixel."""
    n, labels = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 1 or not seeds.any():
        return mask.astype(bool)
    hit = np.unique(labels[seeds & mask])
    hit = hit[hit > 0]
    return np.isin(labels, hit)


def _check_image(image_rgb: np.ndarray) -> np.ndarray:
    """H x W x 3 uint8, contiguous. Anything else is a programming error, not a user's."""
    image = np.asarray(image_rgb)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"segmenters need an H x W x 3 uint8 RGB image, got {image.shape} {image.dtype}")
    return np.ascontiguousarray(image)
