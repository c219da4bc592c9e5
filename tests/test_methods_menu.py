"""The seeds' attribution menu (issue 14): gradient methods with recorded baselines, Smooth Grad-CAM++,
LRP, `--method best` chosen by faithfulness, and localisation metrics checked against Quantus."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn

from verbalize.adapters.vision import ImageClassifier
from verbalize.core.config import Config
from verbalize.core.errors import UserError
from verbalize.eval.localization import box_mask, pointing_game, relevance_mass
from verbalize.pipeline.image.explainer import ImageExplainer
from verbalize.pipeline.image.samples import sample_path
from verbalize.pipeline.image.verify import verify_text

CAT_BOX = [150, 0, 451, 300]  # chelsea: the cat's half of the picture


@pytest.fixture(scope="module")
def explainer() -> ImageExplainer:
    return ImageExplainer(Config())


def run(explainer: ImageExplainer, **overrides: object):  # type: ignore[no-untyped-def]
    cfg = explainer.config.with_overrides(**overrides)
    return ImageExplainer(cfg, classifier=explainer.classifier).explain(sample_path("chelsea"), box=CAT_BOX)


def test_integrated_gradients_adds_up_and_records_its_baseline(explainer: ImageExplainer) -> None:
    black = run(explainer, **{"saliency.method": "ig", "saliency.integrated-gradients.steps": 32,
                              "scorer.batch_size": 8})
    att = black.explanation.attribution
    assert att.method == "integrated-gradients" and att.params["baseline"] == "black"
    assert att.params["baselines_used"] == ["black"]
    # Completeness: IG's map sums to logit(view) - logit(black picture), up to the path's discretisation.
    clf = explainer.classifier
    view = clf.geometry(451, 300).view(Image.open(sample_path("chelsea")).convert("RGB"))
    with torch.no_grad():
        logits = clf.model(clf.to_tensor(np.stack([view, np.zeros_like(view)])))
    target = black.explanation.prediction.class_index
    gap = float(logits[0, target] - logits[1, target])
    total = float(np.asarray(att.params.get("map_sum", 0.0)))
    assert abs(total - gap) < 0.1 * abs(gap), (total, gap)
    # IG's 32 path points in batches of 8: 4 forward passes, counted.
    assert att.params["forward_passes"] == 4 and att.forward_passes == 4
    mean = run(explainer, **{"saliency.method": "integrated-gradients", "saliency.integrated-gradients.baseline": "mean",
                             "saliency.integrated-gradients.steps": 8})
    assert mean.explanation.attribution.params["baselines_used"] == ["black", "blur", "noise"]
    assert np.corrcoef(mean.saliency.ravel(), black.saliency.ravel())[0, 1] < 0.99  # the baseline changes the map


def test_smoothgrad_copies_go_through_in_batches(explainer: ImageExplainer) -> None:
    r = run(explainer, **{"saliency.method": "smoothgrad", "saliency.smoothgrad.samples": 8, "scorer.batch_size": 4})
    att = r.explanation.attribution
    assert att.params["samples"] == 8 and att.forward_passes == 2
    assert r.saliency.min() < 0 < r.saliency.max()  # signed, as gradients are


@pytest.mark.parametrize("method", ["smoothgradcam++", "lrp", "fullgrad"])
def test_backprop_and_smoothed_cam_maps_peak_on_the_cat(explainer: ImageExplainer, method: str) -> None:
    r = run(explainer, **{"saliency.method": method, "saliency.smoothgradcam++.samples": 4})
    loc = r.explanation.localization
    assert loc is not None and loc.pointing_game, loc
    assert loc.relevance_mass > loc.area  # more of the evidence on the cat than its share of the picture


def test_lrp_refuses_a_model_without_rules_in_one_line() -> None:
    class TinyViTish(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 16, stride=16)
            self.norm = nn.LayerNorm(8)
            self.head = nn.Linear(8, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            t = self.conv(x).flatten(2).transpose(1, 2)
            return self.head(self.norm(t).mean(1))

    model = TinyViTish()
    clf = ImageClassifier(model=model, name="tiny-vit", labels=["a", "b", "c"], crop=32, resize=32,
                          target_layer=model.conv, target_layer_name="conv")
    cfg = Config().with_overrides(**{"saliency.method": "lrp"})
    with pytest.raises(UserError, match="LRP supports CNNs only; norm is a LayerNorm") as e:
        ImageExplainer(cfg, classifier=clf).explain(np.full((32, 32, 3), 128, np.uint8))
    assert "\n" not in str(e.value)


def test_best_keeps_the_most_faithful_map_and_says_so_checkably(explainer: ImageExplainer) -> None:
    r = run(explainer, **{"saliency.method": "best", "saliency.candidates": ["gradcam", "saliency", "gradcam++"]})
    ex = r.explanation
    ranking = ex.facts.method_ranking
    assert [m.method for m in ranking] == [x["method"] for x in ex.attribution.params["ranking"]]
    assert {m.method for m in ranking} == {"gradcam", "saliency", "gradcam++"}
    assert [m.score for m in ranking] == sorted((m.score for m in ranking), reverse=True)
    assert ex.facts.method == ranking[0].method == ex.attribution.params["chosen"]
    # The kept map is the winner's: its AUCs in the fact sheet equal its ranking entry.
    assert (ex.facts.insertion_auc, ex.facts.deletion_auc) == (ranking[0].insertion_auc, ranking[0].deletion_auc)
    template = ex.verbalizations[0]
    assert f"{ranking[0].title} gave the most faithful map here" in template.text
    assert template.verification.fidelity == 1.0
    assert sum(c.kind == "ranking" for c in template.verification.claims) == 6
    loser = ranking[-1]
    wrong = f"{loser.title} gave the most faithful map here (insertion AUC {ranking[0].insertion_auc + 0.2:.2f})."
    marks = [(c.text, c.status) for c in verify_text(wrong, ex.facts).claims if c.kind == "ranking"]
    assert marks == [(loser.title, "contradicted"), (f"{ranking[0].insertion_auc + 0.2:.2f}", "contradicted")]
    assert json.loads(ex.model_dump_json())["facts"]["method_ranking"][0]["method"] == ranking[0].method


def test_localisation_metrics_match_quantus_on_the_same_maps(explainer: ImageExplainer) -> None:
    import quantus  # installed by `make install-test` (without its deps, see the Makefile)
    maps, masks = [], []
    for method, box in (("gradcam", CAT_BOX), ("gradcam", [0, 0, 150, 300]), ("layercam", [200, 50, 400, 250]),
                        ("eigencam", [0, 0, 451, 100])):
        r = run(explainer, **{"saliency.method": method})
        maps.append(r.saliency)
        masks.append(box_mask(box, r.saliency.shape))
    x = np.zeros((len(maps), 3, *maps[0].shape), np.float32)
    a = np.stack(maps)[:, None].astype(np.float32)
    s = np.stack(masks)[:, None].astype(np.float32)
    y = np.zeros(len(maps), int)
    pg = quantus.PointingGame(disable_warnings=True, display_progressbar=False)(
        model=None, x_batch=x, y_batch=y, a_batch=a, s_batch=s, channel_first=True)
    rma = quantus.RelevanceMassAccuracy(disable_warnings=True, display_progressbar=False)(
        model=None, x_batch=x, y_batch=y, a_batch=a, s_batch=s, channel_first=True)
    assert [bool(v) for v in pg] == [pointing_game(m, k) for m, k in zip(maps, masks, strict=True)]
    assert np.allclose(rma, [relevance_mass(m, k) for m, k in zip(maps, masks, strict=True)], atol=1e-6)
    assert any(pg) and not all(pg)  # the boxes were chosen so that some hit and some miss


def test_box_on_the_command_line_and_in_a_batch_manifest(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "verbalize.cli"]
    out = tmp_path / "one"
    done = subprocess.run([*cli, "explain", "--sample", "chelsea", "--box", "150,0,451,300", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    loc = json.loads((out / "explanation.json").read_text())["localization"]
    assert loc["box_xyxy"] == [150, 0, 451, 300] and loc["pointing_game"] is True and "pointing game hit" in done.stdout
    bad = subprocess.run([*cli, "explain", "--sample", "chelsea", "--box", "10,10,5"], capture_output=True, text=True,
                         timeout=120)
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0 and "x0,y0,x1,y1" in bad.stderr
    manifest = tmp_path / "photos.jsonl"
    manifest.write_text(json.dumps({"path": str(sample_path("chelsea")), "box": "150,0,451,300"}) + "\n"
                        + json.dumps({"path": str(sample_path("coffee")), "box": [0, 0, 60, 60]}) + "\n")
    run_dir = tmp_path / "run"
    config = tmp_path / "c.yaml"  # a new method, with its own section, in a batch run
    config.write_text("saliency:\n  method: smoothgradcam++\n  smoothgradcam++: {samples: 2}\nfacts: {curve_steps: 4}\n")
    done = subprocess.run([*cli, "batch", str(manifest), "--out", str(run_dir), "--config", str(config)],
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*cli, "report", str(run_dir), "--export", "csv"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    html = (run_dir / "report.html").read_text()
    assert "saliency (smoothgradcam++)" in html  # the batch ran the new method from its config section
    assert "pointing game" in html and "relevance mass" in html
    csv = (run_dir / "results.csv").read_text().splitlines()
    header = csv[0].split(",")
    assert "pointing_game" in header and "relevance_mass" in header


# --------------------------------------------------------------------------- texts


@pytest.fixture(scope="module")
def smollm2():  # type: ignore[no-untyped-def]
    from verbalize.adapters.llm import make_backend
    from verbalize.adapters.text import LLMClassifier

    return LLMClassifier(make_backend("local", cache=False), ["negative", "positive"])


TOKENS = "the movie was not bad at all , truly great".split()


@pytest.mark.parametrize("method", ["saliency", "inputxgradient", "integrated-gradients"])
def test_text_gradient_methods_score_every_word_on_the_local_llm(smollm2, method: str) -> None:  # type: ignore[no-untyped-def]
    from verbalize.pipeline.text.methods import attribute_text

    a = attribute_text(method, smollm2, TOKENS, 1, params={"steps": 8} if method == "integrated-gradients" else None)
    assert len(a.scores) == len(TOKENS) and np.isfinite(a.scores).all() and np.abs(a.scores).sum() > 0
    assert a.params["forward_passes"] >= 1 and a.params["model_tokens"] > len(TOKENS)  # the prompt is scored too
    if method == "saliency":
        assert min(a.scores) >= 0  # a gradient norm has no sign


def test_text_gradient_methods_refuse_models_without_gradients_in_one_line() -> None:
    from verbalize.adapters.text import VaderClassifier
    from verbalize.pipeline.text.methods import attribute_text

    with pytest.raises(UserError, match="gradient methods need a local model") as e:
        attribute_text("integrated-gradients", VaderClassifier(), TOKENS, 1)
    assert "\n" not in str(e.value)


def test_text_best_keeps_the_most_faithful_method_from_the_cli(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "verbalize.cli", "explain-text", "not bad at all, truly great fun",
                           "--model", "vader", "--methods", "best", "--lime-samples", "40", "--shap-max-evals", "40",
                           "--json"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    att = json.loads(done.stdout)["attributions"][0]
    ranking = att["params"]["ranking"]
    assert att["method"] == "best" and {r["method"] for r in ranking} == {"occlusion", "lime", "shap"}
    assert att["params"]["chosen"] == ranking[0]["method"]
    assert [r["score"] for r in ranking] == sorted((r["score"] for r in ranking), reverse=True)
    for r in ranking:
        assert r["score"] == pytest.approx(r["comprehensiveness"] - r["sufficiency"], abs=2e-4)


def test_text_methods_are_chosen_for_batch_runs_in_the_config_study_section() -> None:
    from types import SimpleNamespace

    from verbalize.pipeline.batch.kinds import processor_factory
    from verbalize.pipeline.text.study import study_options

    assert study_options(Config(study={"methods": ["best", "ig"]})).methods == ["best", "integrated-gradients"]
    with pytest.raises(UserError, match="invalid config at 'study.methods'") as e:
        study_options(Config(study={"methods": ["no-such"]}))
    assert "\n" not in str(e.value)
    config = Config(study={"methods": ["inputxgradient"], "strategies": ["predict-only"], "max_tokens": 8})
    process = processor_factory("text")(config)  # what `verbalize batch reviews.txt --config …` runs per text
    result, _ = process(SimpleNamespace(item_key="line:1", input={"text": "a truly great film"}, label=None))
    names = [e["name"] for e in result["explanations"]]
    assert names == ["inputxgradient"] and len(result["explanations"][0]["scores"]) == 4
