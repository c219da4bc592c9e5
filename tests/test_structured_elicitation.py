"""`--structured`: self-explanations asked for as JSON under a schema the backend enforces.

The embedded SmolLM2-135M never writes a parseable free-text self-explanation for these prompts;
with constrained decoding every answer parses, so the study's self rows are filled for every text.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import llm_fixtures

from verbalize.adapters.llm import make_backend
from verbalize.pipeline.text.elicit import structured_messages, structured_schema
from verbalize.pipeline.text.parse import parse_structured

llama_server = llm_fixtures.llama_server

DRIVER = "import sys; from verbalize import cli\nsys.argv[0] = 'verbalize'; cli.main()"
TEXTS = [{"id": "warm", "text": "a warm , funny film", "label": "positive"},
         {"id": "dull", "text": "dull and far too long", "label": "negative"}]
SELF = ["pe", "ep", "pe-topk", "ep-topk"]


def test_schema_follows_the_strategy() -> None:
    toks = "a warm , funny film".split()
    pe = structured_schema("pe", toks, ["negative", "positive"])
    assert list(pe["properties"]) == ["label", "confidence", "scores"]
    assert pe["properties"]["scores"]["minItems"] == pe["properties"]["scores"]["maxItems"] == 5
    assert list(structured_schema("ep", toks, ["negative", "positive"])["properties"]) == ["scores", "label", "confidence"]
    topk = structured_schema("pe-topk", toks, ["negative", "positive"])["properties"]["words"]
    assert topk["maxItems"] == 1 and set(topk["items"]["properties"]["word"]["enum"]) == set(toks)


def test_structured_answers_are_placed_by_position() -> None:
    toks = "the film the end".split()
    r = parse_structured('{"label": "positive", "confidence": 0.7, "scores": [0.1, 0.5, -0.2, 3]}', toks, "pe")
    assert (r.label, r.confidence, r.parse_ok) == ("positive", 0.7, True)
    assert r.scores == [0.1, 0.5, -0.2, 1.0] and r.clipped == 1  # the second "the" keeps its own score
    # a backend that ignored the schema: read as free text, and said so
    r = parse_structured("(positive, 0.8)\n[('film', 0.6)]", toks, "pe")
    assert r.parse_ok and r.scores[1] == 0.6 and "not the schema's JSON" in r.notes[0]


def test_self_explain_structured_fills_every_self_row_offline(tmp_path: Path) -> None:
    src = tmp_path / "reviews.jsonl"
    src.write_text("".join(json.dumps(t) + "\n" for t in TEXTS))
    out = tmp_path / "out"
    env = {**os.environ, "COLUMNS": "200", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", DRIVER, "self-explain", str(src), "--llm", "local", "--structured",
                           "--methods", "occlusion", "--out", str(out), "--max-tokens", "120"],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    items = [json.loads(line) for line in (out / "items.jsonl").read_text().splitlines()]
    for it in items:
        for o in it["outcomes"]:
            assert o["elicitation"] == "structured"
            assert o["parse_ok"], (it["id"], o["strategy"], o["raw"], o["error"])
        valid = {e["name"]: e["valid"] for e in it["explanations"]}
        assert all(valid[s] for s in SELF)
    with (out / "accuracy.csv").open() as fh:
        acc = {r["strategy"]: r for r in csv.DictReader(fh)}
    for s in SELF:
        assert acc[s]["label_parse_rate"] == "1" and acc[s]["attribution_parse_rate"] == "1"
    with (out / "faithfulness.csv").open() as fh:
        faith = {r["explanation"]: r for r in csv.DictReader(fh)}
    assert all(faith[s]["texts"] == "2" and faith[s]["excluded"] == "0" for s in SELF)
    meta = json.loads((out / "study.json").read_text())
    assert meta["provenance"]["params"]["elicitation"] == "structured"
    print(proc.stdout)


def test_llama_cpp_server_answers_under_the_schema(llama_server: str) -> None:
    """llama-cpp-python's server rejects OpenAI's json_schema form; the backend switches to its
    json_object + schema form once, and the grammar-constrained answer parses."""
    toks = "a warm , funny film".split()
    backend = make_backend(f"openai:smollm2@{llama_server}")
    msgs = structured_messages([{"role": "user", "content": "Classify the sentiment of 'a warm , funny film' and "
                                                            "score each word."}], "pe", toks)
    gen = backend.generate(msgs, json_schema=structured_schema("pe", toks, ["negative", "positive"]), max_tokens=120)
    assert gen.ok, gen.error
    assert backend.schema_style == "json_object"
    r = parse_structured(gen.text, toks, "pe")
    assert r.parse_ok and r.notes[0] == "structured: scores placed by position" and len(r.scores) == 5
