"""Occlusion, LIME and SHAP on text through the shared scorer, on VADER (where the answer is known),
and the `explain-text` command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from verbalize.adapters.text import VaderClassifier
from verbalize.cli import app as verbalize_app
from verbalize.core.errors import UserError
from verbalize.core.scoring import Scorer
from verbalize.pipeline.text.methods import attribute_text

TOKENS = "The movie was great , but the ending was awful .".split()
GREAT, AWFUL = TOKENS.index("great"), TOKENS.index("awful")


@pytest.fixture(scope="module")
def vader() -> VaderClassifier:
    return VaderClassifier()


class Recording:
    """A scorer forward that remembers every token sequence the model was asked about."""

    def __init__(self, clf: VaderClassifier) -> None:
        self.clf = clf
        self.seen: list[tuple[str, ...]] = []

    def __call__(self, batch: list[tuple[str, ...]]) -> np.ndarray:
        self.seen.extend(tuple(b) for b in batch)
        return self.clf.forward(batch)


def is_subsequence(kept: tuple[str, ...], tokens: list[str]) -> bool:
    it = iter(tokens)
    return all(any(k == t for t in it) for k in kept)


@pytest.mark.parametrize("method", ["occlusion", "lime", "shap"])
def test_attribution_fields_and_deletion_convention(vader: VaderClassifier, method: str) -> None:
    rec = Recording(vader)
    scorer: Scorer = Scorer(forward=rec, batch_size=16, key=vader.join)
    a = attribute_text(method, scorer, TOKENS, 1, seed=0, lime_samples=60, labels=vader.labels)
    assert a.method == method and a.source == "model" and a.target == 1 and a.target_label == "positive"
    assert a.tokens == TOKENS and len(a.scores) == len(TOKENS) and all(isinstance(s, float) for s in a.scores)
    assert a.forward_passes == scorer.stats.forward_passes > 0 and a.seconds >= 0
    assert a.params["units"] == "probability" and a.params["masking"] == "delete" and a.params["seed"] == 0
    # Every perturbation reached the model as kept tokens in their order: no placeholder words.
    assert rec.seen and all(is_subsequence(s, TOKENS) for s in rec.seen)
    assert not any("UNKWORDZ" in s or "..." in s for s in rec.seen)
    assert json.loads(a.model_dump_json())["tokens"] == TOKENS


def test_lime_and_shap_agree_in_sign_with_occlusion(vader: VaderClassifier) -> None:
    scorer = vader.scorer(32)
    results = {m: attribute_text(m, scorer, TOKENS, 1, seed=0, labels=vader.labels) for m in ("occlusion", "lime", "shap")}
    for m, a in results.items():
        assert a.scores[GREAT] > 0, m
        assert a.scores[AWFUL] < 0, m
    assert results["lime"].params["samples"] == 10 * len(TOKENS)  # Huang et al.'s default
    assert scorer.stats.memo_hits > 0  # the shared scorer scored the unperturbed text once


def test_lime_is_reproducible_with_a_seed(vader: VaderClassifier) -> None:
    a = attribute_text("lime", vader, TOKENS, 1, seed=3, lime_samples=50)
    b = attribute_text("lime", vader, TOKENS, 1, seed=3, lime_samples=50)
    c = attribute_text("lime", vader, TOKENS, 1, seed=4, lime_samples=50)
    assert a.scores == b.scores
    assert a.scores != c.scores


def test_shap_values_add_up_to_the_prediction(vader: VaderClassifier) -> None:
    a = attribute_text("shap", vader, TOKENS, 1, seed=0)
    p_text = vader.forward([TOKENS])[0, 1]
    # Owen values are efficient: they sum to v(text) - v(empty text), and the empty text is 1/2.
    assert sum(a.scores) == pytest.approx(p_text - 0.5, abs=1e-9)
    assert a.params["base_value"] == pytest.approx(0.5)
    again = attribute_text("shap", vader, TOKENS, 1, seed=0)
    assert again.scores == a.scores


def test_occlusion_scores_repeated_words_once_each_text(vader: VaderClassifier) -> None:
    tokens = "very very good".split()
    scorer = vader.scorer(8)
    a = attribute_text("occlusion", scorer, tokens, 1, labels=vader.labels)
    assert a.scores[0] == a.scores[1] > 0  # deleting either "very" reads the same
    assert scorer.stats.inputs_scored == 3 and scorer.stats.duplicates_removed == 1


def test_log_probability_units(vader: VaderClassifier) -> None:
    a = attribute_text("occlusion", vader, TOKENS, 0, units="log-probability")
    p = vader.forward([TOKENS] + [TOKENS[:i] + TOKENS[i + 1 :] for i in range(len(TOKENS))])[:, 0]
    assert a.scores == pytest.approx(list(np.log(p[0]) - np.log(p[1:])))
    assert a.target_label == "negative"


def test_bad_requests_are_user_errors(vader: VaderClassifier) -> None:
    with pytest.raises(UserError, match="unknown text attribution method"):
        attribute_text("gradcam", vader, TOKENS, 1)
    with pytest.raises(UserError, match="no tokens"):
        attribute_text("occlusion", vader, [], 1)
    with pytest.raises(UserError, match="out of range"):
        attribute_text("occlusion", vader, TOKENS, 2)


# --------------------------------------------------------------------------- the command


@pytest.fixture(scope="module")
def cli() -> typer.Typer:
    return verbalize_app


def test_explain_text_json_and_out_dir(cli: typer.Typer, tmp_path: Path) -> None:
    text = "The movie was great but the ending was awful"
    result = CliRunner().invoke(cli, ["explain-text", text, "--model", "vader", "--methods", "occlusion,lime",
                                      "--target", "positive", "--json", "--out", str(tmp_path), "--lime-samples", "40"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["prediction"]["label"] == "negative" and data["target_label"] == "positive"
    assert [a["method"] for a in data["attributions"]] == ["occlusion", "lime"]
    occ = dict(zip(data["tokens"], data["attributions"][0]["scores"], strict=False))
    assert occ["great"] > 0 > occ["awful"]
    written = json.loads((tmp_path / "text_explanation.json").read_text())
    assert written == data


def test_explain_text_table_and_errors(cli: typer.Typer, tmp_path: Path) -> None:
    ok = CliRunner().invoke(cli, ["explain-text", "what a great day", "--model", "vader", "--methods", "occlusion"])
    assert ok.exit_code == 0 and "great" in ok.stdout and "occlusion" in ok.stdout
    bad = CliRunner().invoke(cli, ["explain-text", "text", "--model", str(tmp_path / "missing")])
    assert isinstance(bad.exception, UserError)
    bad_target = CliRunner().invoke(cli, ["explain-text", "text", "--model", "vader", "--target", "neutral"])
    assert isinstance(bad_target.exception, UserError)
