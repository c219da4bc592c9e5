"""The self-explanation study (Huang et al. 2023) end to end on the embedded SmolLM2 — a real, weak
model — plus its inputs and the `self-explain` / `verbalize-text` commands.

SmolLM2-135M rarely writes a usable attribution: that is the point of running it here. The study
must record what it said (raw text, parse status) and still score every explanation it has.
Generation on two shared CPU cores is slow, so the texts are short, answers are capped at 48
tokens, LIME and SHAP run few samples, and the CLI test reuses the answers the API test cached.
"""

from __future__ import annotations

import csv
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from verbalize.core.errors import InputError, UserError
from verbalize.eval.agreement import AGREEMENT_METRICS
from verbalize.pipeline.text.inputs import read_texts

LABELS = ["negative", "positive"]
TEXTS = [
    {"id": "warm", "text": "A warm and funny film .", "label": "positive"},
    {"id": "dull", "text": "Dull , slow and far too long .", "label": "negative"},
]
STRATEGIES = ["pe", "ep", "pe-topk", "ep-topk", "predict-only"]
EXPLANATIONS = ["pe", "ep", "pe-topk", "ep-topk", "occlusion", "lime", "shap"]
FAITHFULNESS = ["comprehensiveness", "sufficiency", "df_mit", "df_frac", "rank_del"]
OPTIONS = {"max_tokens": 32, "lime_samples": 30, "shap_max_evals": 30}

# Runs the real command.
DRIVER = "import sys; from verbalize import cli\nsys.argv[0] = 'verbalize'; cli.main()"


def cli(*args: object, timeout: float = 1500, **env_vars: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200", **env_vars}
    return subprocess.run([sys.executable, "-c", DRIVER, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


# ---------------------------------------------------------------- inputs


def test_inputs_jsonl_csv_and_txt(tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "t.jsonl", [{"text": "Great fun", "label": "Positive"}, {"text": "meh", "label": 0},
                                               {"id": "x", "text": "no label"}])
    items = read_texts(jsonl, LABELS)
    assert [(i.id, i.text, i.label) for i in items] == [
        ("row:1", "Great fun", "positive"), ("row:2", "meh", "negative"), ("x", "no label", None)]
    (tmp_path / "t.csv").write_text('id,text,label\na,"Great, really",positive\nb,awful,negative\n')
    assert [(i.id, i.text, i.label) for i in read_texts(tmp_path / "t.csv", LABELS)] == [
        ("a", "Great, really", "positive"), ("b", "awful", "negative")]
    (tmp_path / "t.txt").write_text("first text\n\n  second text  \n")
    assert [(i.id, i.text, i.label) for i in read_texts(tmp_path / "t.txt")] == [
        ("line:1", "first text", None), ("line:3", "second text", None)]


@pytest.mark.parametrize("name, content, message", [
    ("a.jsonl", '{"text": "ok"}\nnot json\n', "a.jsonl: line 2 is not JSON"),
    ("a.jsonl", '{"label": "positive"}\n', "a.jsonl: no texts in the file (line 1 has no text"),
    ("a.jsonl", '["a list"]\n', "a.jsonl: line 1 must be a JSON object"),
    ("a.jsonl", '{"text": "x", "label": "meh"}\n', "label 'meh' is not one of negative, positive"),
    ("a.jsonl", '{"id": 1, "text": "a"}\n{"id": 1, "text": "b"}\n', "id '1' appears more than once"),
    ("a.csv", "sentence,label\nhi,positive\n", "a.csv: the header needs a 'text' column (found: sentence, label)"),
    ("a.txt", "\n \n", "a.txt: no texts in the file"),
    ("a.tsv", "text\nhi\n", "unsupported file type '.tsv'"),
])
def test_bad_inputs_are_one_line_errors(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        read_texts(path, LABELS)
    assert "\n" not in str(info.value) and str(path) in str(info.value)


def test_missing_and_binary_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_texts(tmp_path / "nope.jsonl")
    (tmp_path / "b.txt").write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InputError, match="not UTF-8"):
        read_texts(tmp_path / "b.txt")


def test_bad_study_options_fail_before_any_model_loads() -> None:
    from verbalize import compare_self_explanations
    from verbalize.core.errors import UserError

    with pytest.raises(UserError, match="at least two distinct"):
        compare_self_explanations(["fine"], labels=["positive"])
    with pytest.raises(UserError, match="unknown methods gradcam"):
        compare_self_explanations(["fine"], methods=["occlusion", "gradcam"])
    with pytest.raises(UserError, match="text ids must be unique: a"):
        compare_self_explanations([{"id": "a", "text": "x"}, {"id": "a", "text": "y"}])


def test_the_text_journey_is_a_batch_kind() -> None:
    from verbalize.pipeline.batch.kinds import BATCH_KINDS, processor_factory

    assert set(BATCH_KINDS.names()) == {"image", "text"}
    assert processor_factory("text") is BATCH_KINDS.get("text").obj


# ---------------------------------------------------------------- prompts


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_prompts_carry_the_task_labels_direction_and_k(strategy: str) -> None:
    from verbalize.pipeline.text.elicit import PROMPTS, elicitation_messages
    from verbalize.prompts import load_prompt

    prompt = load_prompt(PROMPTS[strategy])
    tokens = "one two three four five six seven eight nine ten eleven".split()  # k = int(0.2 * 11) = 2
    default = elicitation_messages(prompt, tokens, LABELS, "positive")
    assert "sentiment analysis of movie reviews" in default[0]["content"]
    assert default[-1] == {"role": "user", "content": "<text> " + " ".join(tokens) + " </text>"}
    system = elicitation_messages(prompt, tokens, ["sport", "politics", "tech"], "tech",
                                  task_prompt="You sort news headlines by topic.")[0]["content"]
    assert system.startswith("You sort news headlines by topic.") and "movie" not in system
    assert "one of 'sport', 'politics', 'tech'" in system
    if strategy.endswith("-topk"):
        assert "the 2 most important words" in system and "exactly 2 tuples" in system
    if strategy in ("pe", "ep"):
        assert "every single word and punctuation token" in system or "each and every word" in system
        assert "-1 means the token pushes strongly towards 'negative', 1 means it pushes strongly towards " \
               "'positive'" in default[0]["content"]
    order = [system.find("(<label>, <confidence>)"), system.find("(<word")]
    if strategy.startswith("pe"):
        assert 0 <= order[0] < order[1]  # predict, then explain
    elif strategy.startswith("ep"):
        assert 0 <= order[1] < order[0]  # explain, then predict
    else:
        assert order[1] == -1 and "and nothing else" in system


# ---------------------------------------------------------------- the study, end to end


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory):
    """The whole study on two texts, through the public API, written to disk."""
    from verbalize import compare_self_explanations
    from verbalize.core.config import Config

    out = tmp_path_factory.mktemp("study")
    result = compare_self_explanations(TEXTS, Config(), labels=LABELS, strategies=STRATEGIES, **OPTIONS)
    paths = result.write(out)
    return result, out, paths


def test_every_text_has_every_explanation_with_faithfulness(study) -> None:
    result, _, _ = study
    assert [it.id for it in result.items] == ["warm", "dull"]
    for it in result.items:
        assert it.error is None
        assert it.tokens == it.text.split()
        assert it.explained_label == "positive" and it.explained_index == 1
        assert it.probability_source == "logits"  # the local model's own label probabilities
        assert sum(it.probabilities.values()) == pytest.approx(1.0)
        assert [e.name for e in it.explanations] == EXPLANATIONS
        for e in it.explanations:
            assert len(e.scores) == len(it.tokens) and all(math.isfinite(v) for v in e.scores)
            assert set(FAITHFULNESS) <= set(e.faithfulness)
            assert e.faithfulness["n_tokens"] == len(it.tokens)
            assert e.faithfulness["comprehensiveness"] is not None and e.faithfulness["sufficiency"] is not None
            if not e.valid:  # an unparsed self-explanation (all zeros) is not put into words
                assert e.verbalizations == []
                continue
            # verbalizations explain the model's prediction (binary: scores towards the other label, negated)
            (template,) = e.verbalizations
            assert template.verbalizer == "template" and template.label == it.predicted
            assert template.text.startswith(f"The model predicted {it.predicted}.")
            assert template.verification.contradicted == 0
        refs = [e for e in it.explanations if e.source == "model"]
        assert all(e.valid for e in refs)
        assert any(abs(v) > 0 for e in refs for v in e.scores)  # the model's probabilities moved


def test_a_notebook_gets_a_data_frame_and_html_tables(study, monkeypatch: pytest.MonkeyPatch) -> None:
    result, _, _ = study
    frame = result.to_pandas()
    per_text = sum(len(i.explanations) or 1 for i in result.items)
    assert len(frame) == per_text and {"id", "text", "explanation", "source", "valid"} <= set(frame.columns)
    assert set(frame["id"]) == {i.id for i in result.items}
    html = result._repr_html_()
    assert html.count("<table>") == 2 and "comprehensiveness" in html and "<script" not in html
    assert len(repr(result)) < 400 and f"{len(result.items)} texts" in repr(result)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(UserError, match="to_pandas\\(\\) needs pandas, which is not installed: pip install pandas"):
        result.to_pandas()


def test_parse_failures_are_recorded_with_the_raw_answer(study) -> None:
    result, _, _ = study
    for it in result.items:
        assert [o.strategy for o in it.outcomes] == STRATEGIES
        for o in it.outcomes:
            assert o.prompt.startswith(("self_explain_", "predict_only")) and o.prompt.endswith("@1")
            if o.parse_ok:
                assert o.label in LABELS and o.error is None
            else:
                assert o.error, o  # the reason, and the answer as the model wrote it
                assert isinstance(o.raw, str)
            if o.strategy.endswith("-topk"):
                assert o.k == max(1, int(0.2 * len(it.tokens)))
        for e in it.explanations:
            if e.source == "self":
                assert e.valid == it.outcome(e.name).parse_ok
                if not e.valid:
                    assert e.scores == [0.0] * len(it.tokens)
        generations = [c for c in it.llm_calls if c["kind"] == "generate"]
        assert len(generations) == len(STRATEGIES)
        assert {c["prompt_name"] for c in generations} == {
            "self_explain_pe", "self_explain_ep", "self_explain_pe_topk", "self_explain_ep_topk", "predict_only"}
        assert any(c["kind"] == "label_probabilities" for c in it.llm_calls)


def test_agreement_matrices_cover_every_pair(study) -> None:
    result, _, _ = study
    for it in result.items:
        assert set(it.agreement) == set(AGREEMENT_METRICS.names())
        for m in it.agreement.values():
            assert m.names == EXPLANATIONS and len(m.values) == len(EXPLANATIONS)
            assert all(len(row) == len(EXPLANATIONS) for row in m.values)
        fa = it.agreement["feature_agreement"]
        assert all(fa.values[i][i] == 1.0 for i in range(len(EXPLANATIONS)))
    assert set(result.summary.agreement) == set(AGREEMENT_METRICS.names())


def test_outputs_are_written_and_well_formed(study) -> None:
    result, out, paths = study
    expected = {"items.jsonl", "accuracy.csv", "faithfulness.csv", "coverage.csv", "study.json", "study.html",
                *(f"agreement_{m}.csv" for m in AGREEMENT_METRICS.names())}
    assert set(paths) == expected and {p.name for p in out.iterdir()} == expected  # no temporary leftovers

    lines = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    assert [d["id"] for d in lines] == ["warm", "dull"]
    first = lines[0]
    assert first["text"] == TEXTS[0]["text"] and first["tokens"] == TEXTS[0]["text"].split()
    assert {e["name"]: len(e["scores"]) for e in first["explanations"]} == {n: 6 for n in EXPLANATIONS}
    assert all("raw" in o and "parse_ok" in o for o in first["outcomes"])

    with (out / "accuracy.csv").open() as fh:
        acc = list(csv.DictReader(fh))
    assert [r["strategy"] for r in acc] == [*STRATEGIES, "label-probabilities"]
    for r in acc:
        assert r["texts"] == "2" and r["with_gold"] == "2"
        assert float(r["accuracy"]) == int(r["correct"]) / 2
    with (out / "faithfulness.csv").open() as fh:
        faith = list(csv.DictReader(fh))
    assert [r["explanation"] for r in faith] == EXPLANATIONS
    for r in faith:
        assert int(r["texts"]) + int(r["excluded"]) == 2
        if r["source"] == "model":
            assert r["texts"] == "2" and float(r["comprehensiveness"]) == pytest.approx(
                sum(it.explanation(r["explanation"]).faithfulness["comprehensiveness"] for it in result.items) / 2,
                abs=1e-5)
    with (out / "agreement_feature_agreement.csv").open() as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["explanation", *EXPLANATIONS] and [r[0] for r in rows[1:]] == EXPLANATIONS
    assert rows[5][5] == "1"  # occlusion with itself

    meta = json.loads((out / "study.json").read_text())
    assert meta["provenance"]["seed"] == 0 and "SmolLM2" in meta["provenance"]["model"]
    assert meta["provenance"]["params"]["prompts"]["pe"] == "self_explain_pe@1"

    html = (out / "study.html").read_text()
    assert html.count('<img src="data:image/png;base64,') == len(AGREEMENT_METRICS)
    assert html.count('class="tokens"') == 2 * len(EXPLANATIONS)
    assert "<script" not in html


def test_model_text_is_escaped_in_the_page(study) -> None:
    from verbalize.report.study import render_study

    result, _, _ = study
    evil = result.model_copy(deep=True)
    evil.items[0].outcomes[0].raw = "<script>alert(1)</script>"
    evil.items[0].text = "<img src=x onerror=alert(2)>"
    html = render_study(evil)
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img src=x" not in html


# ---------------------------------------------------------------- the commands


def test_self_explain_command(study, tmp_path: Path) -> None:
    """The command on the first text, two strategies and occlusion: the same model, prompts and
    seed as the API run, so the same answers (from the response cache) and the same numbers."""
    texts = write_jsonl(tmp_path / "texts.jsonl", TEXTS[:1])
    out = tmp_path / "out"
    proc = cli("self-explain", texts, "--llm", "local", "--labels", "negative,positive", "--strategies",
               "pe,predict-only", "--methods", "occlusion", "--out", out, "--max-tokens", OPTIONS["max_tokens"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "accuracy" in proc.stdout and "faithfulness" in proc.stdout and "feature agreement" in proc.stdout
    assert {"study.html", "items.jsonl", "accuracy.csv", "faithfulness.csv"} <= {p.name for p in out.iterdir()}
    (item,) = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    api = study[0].items[0]
    assert item["outcomes"][0]["raw"] == api.outcome("pe").raw
    assert item["outcomes"][1]["raw"] == api.outcome("predict-only").raw
    # Equal up to float32 summation order: fewer explanations here, so the scorer's batches are made
    # up differently (padding changes the order of additions by ~1e-7).
    occlusion = next(e for e in item["explanations"] if e["name"] == "occlusion")
    assert occlusion["scores"] == pytest.approx(api.explanation("occlusion").scores, abs=1e-5)
    assert occlusion["faithfulness"]["comprehensiveness"] == pytest.approx(
        api.explanation("occlusion").faithfulness["comprehensiveness"], abs=1e-5)
    with (out / "accuracy.csv").open() as fh:
        assert [r["strategy"] for r in csv.DictReader(fh)] == ["pe", "predict-only", "label-probabilities"]


@pytest.mark.parametrize("args, message", [
    (["missing.jsonl"], "missing.jsonl: file not found"),
    (["bad.jsonl"], "bad.jsonl: line 1 is not JSON"),
    (["good.jsonl", "--strategies", "pe,guess"], "unknown strategies guess"),
    (["good.jsonl", "--labels", "positive"], "at least two distinct"),
    (["good.jsonl", "--llm", "nonsense:x"], "unknown LLM backend 'nonsense:x'"),
    (["good.jsonl", "--llm", "openai:x@http://127.0.0.1:9/v1"], "Connection error"),  # nothing listens on port 9
])
def test_self_explain_bad_input_exits_2_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "bad.jsonl").write_text("{oops\n")
    write_jsonl(tmp_path / "good.jsonl", TEXTS[:1])
    proc = cli("self-explain", *[str(tmp_path / a) if a.endswith(".jsonl") else a for a in args],
               "--out", tmp_path / "o", timeout=300, VERBALIZE_LLM__MAX_RETRIES="0", OPENAI_API_KEY="test-key")
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], proc.stderr
    assert not (tmp_path / "o").exists()


def test_verbalize_text_from_a_json_attribution(tmp_path: Path) -> None:
    path = tmp_path / "att.json"
    path.write_text(json.dumps({"tokens": "good acting , dull plot".split(), "scores": [0.5, 0.5, 0.0, -0.6, 0.0],
                                "label": "positive"}))
    proc = cli("verbalize-text", path, "--verbalizer", "template", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (v,) = data["verbalizations"]
    assert v["text"].startswith("The model predicted positive. The phrase »good acting« is most important")
    assert v["verification"]["fidelity"] == 1.0 and v["coverage"]["1"] == pytest.approx(0.5)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"tokens": ["a", "b"], "scores": [1.0]}))
    proc = cli("verbalize-text", bad, timeout=300)
    assert proc.returncode == 2 and proc.stderr.strip() == f"error: {bad}: 1 scores for 2 tokens"


def test_verbalize_text_computes_occlusion_with_vader(tmp_path: Path) -> None:
    pytest.importorskip("vaderSentiment")
    proc = cli("verbalize-text", "The plot is dull but the acting is wonderful", "--model", "vader",
               "--verbalizer", "template", "--json", timeout=300)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    scores = dict(zip(data["tokens"], data["scores"], strict=True))
    assert data["label"] == "positive" and "occlusion" in data["source"]
    assert max(scores, key=scores.get) == "wonderful"  # VADER's lexicon: deleting it costs the most
    assert scores["dull"] < 0
    assert "»wonderful«" in data["verbalizations"][0]["text"] or "wonderful" in data["verbalizations"][0]["text"]
