"""The optional LLM claim extractor (`verification.extractor: llm`, `verbalize verify --extractor llm`).

Any configured backend reads a text into structured claims (a JSON list, validated here; a malformed
answer gets the backend's one repair turn). A backend with structured output (``json_schema`` in its
capabilities: OpenAI json_schema, llama.cpp json_object + schema, lm-format-enforcer for the local model,
as the study's ``--structured`` path uses them) is held to `claims_schema` while it decodes. The model never sees the fact sheet's numbers: the same
deterministic rules as the rule-based extractor then check each claim against exactly the fact it names
(the hedges' tolerances of `verbalize.core.claims`). A claim the model places in the text is anchored at
its quote; one whose quote is not in the text is kept, at the start of the text, and marked unverifiable.
The rule-based extractor stays the default: it runs offline and is deterministic.
"""

from __future__ import annotations

import json
from typing import Any, Literal, get_args

from pydantic import BaseModel, ValidationError

from verbalize.core.claims import quantities
from verbalize.core.types import Claim, Verification
from verbalize.pipeline.image.types import FactSheet
from verbalize.pipeline.image.verify import fact_ids

PROMPT = "verify_extract_claims"
FACT_HELP = {
    "p_label": "the probability of the predicted class", "p_class": "the probability of a named class",
    "p_only": "the probability with only the object kept", "p_removed": "the probability with the object removed",
    "saliency_in_segment": "the share of the saliency on the object", "segment_area": "the object's share of the image",
    "deletion_auc": "the deletion AUC", "insertion_auc": "the insertion AUC",
    "label": "the class the model predicts", "runner_up": "the second most likely class",
}
_RELATION_WORD = {"exact": "", "about": "about ", "nearly": "nearly ", "over": "over ", "under": "under "}


class ExtractedClaim(BaseModel):
    """One claim as the LLM extractor must return it (the JSON schema of its answer)."""

    quote: str
    fact: Literal["p_label", "p_class", "p_only", "p_removed", "saliency_in_segment", "segment_area",
                  "deletion_auc", "insertion_auc", "label", "runner_up"]
    value: str | None = None
    relation: Literal["exact", "about", "nearly", "over", "under"] = "exact"
    negated: bool = False
    class_: str | None = None

    model_config = {"populate_by_name": True, "extra": "ignore"}

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> ExtractedClaim:
        """Structured answers say "" for no class or value; free answers say null."""
        return cls.model_validate({**obj, "class_": obj.get("class") or None, "value": obj.get("value") or None})


MAX_CLAIMS = 12
"""The schema's bound on claims per answer: a small model under constrained decoding cannot loop for ever."""


def claims_schema() -> dict[str, Any]:
    """The JSON schema a backend with structured output (OpenAI json_schema, llama.cpp json_object + schema,
    lm-format-enforcer for the local model) holds the answer to: ``{"claims": [claim, …]}``.

    The top level is an object because OpenAI's structured output takes no top-level array; "class" and
    "value" are strings ("" for none), since not every enforcer takes a type list with null.
    """
    fields = ExtractedClaim.model_fields
    claim = {"type": "object", "additionalProperties": False,
             "required": ["quote", "fact", "class", "value", "relation", "negated"],
             "properties": {
                 "quote": {"type": "string", "maxLength": 200},
                 "fact": {"type": "string", "enum": list(get_args(fields["fact"].annotation))},
                 "class": {"type": "string", "maxLength": 80},
                 "value": {"type": "string", "maxLength": 24},
                 "relation": {"type": "string", "enum": ["exact", "about", "nearly", "over", "under"]},
                 "negated": {"type": "boolean"}}}
    return {"type": "object", "additionalProperties": False, "required": ["claims"],
            "properties": {"claims": {"type": "array", "items": claim, "maxItems": MAX_CLAIMS}}}


def parse_answer(answer: str) -> list[ExtractedClaim]:
    """The claims of a JSON answer: a list (fenced or not), or the structured form ``{"claims": [...]}``;
    raises ValueError when it is neither."""
    s = answer.strip()
    if s.startswith("{"):
        try:
            obj = json.loads(s)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict) and isinstance(obj.get("claims"), list):
            s = json.dumps(obj["claims"])
    start, end = s.find("["), s.rfind("]")
    if start < 0 or end < start:
        raise ValueError("no JSON list in the answer")
    data = json.loads(s[start : end + 1])
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValueError("the answer must be a JSON list of objects")
    try:
        return [ExtractedClaim.parse(d) for d in data]
    except ValidationError as e:
        raise ValueError(f"a claim does not follow the schema: {e.errors()[0]['msg']}") from None


def _problem(answer: str) -> str | None:
    try:
        parse_answer(answer)
    except (ValueError, json.JSONDecodeError) as e:
        return str(e)
    return None


def check_extracted(text: str, claims: list[ExtractedClaim], f: FactSheet) -> Verification:
    """Check each extracted claim against the fact it names, with the rule-based tolerances."""
    ids = fact_ids(f)
    probs = {f.label.casefold(): f.probability, **{a.label.casefold(): a.probability for a in f.alternatives}}
    out: list[Claim] = []
    for c in claims:
        pos = text.find(c.quote) if c.quote else -1
        span = (pos, pos + len(c.quote)) if pos >= 0 else (0, 0)

        def add(ok: bool | None, reason: str, subject: str | None, fact: str | None,
                c: ExtractedClaim = c, found: bool = pos >= 0, span: tuple[int, int] = span) -> None:
            status = "unverifiable" if ok is None or not found else "supported" if ok else "contradicted"
            out.append(Claim(text=c.quote or c.value or c.fact, kind=f"llm:{c.fact}", start=span[0], end=span[1],
                             status=status, reason=reason if found else f"{reason} (quote not found in the text)",
                             subject=subject, fact=fact))

        if c.fact in ("label", "runner_up"):
            ranking = f.ranking()  # the prediction first, also when the sheet explains a chosen class
            want = ranking[0] if c.fact == "label" else (ranking[1] if len(ranking) > 1 else None)
            name = (c.class_ or "").casefold()
            ok = None if not name or want is None else (name.rstrip("s") == want.casefold().rstrip("s")) != c.negated
            add(ok, f"the {'prediction' if c.fact == 'label' else 'runner-up'} is {want}", c.class_, f"{c.fact} = {want}")
            continue
        qs = quantities(_RELATION_WORD[c.relation] + (c.value or ""))
        if not qs or qs[0].bare:
            add(None, f"no number in {c.value!r}", c.class_, None)
            continue
        q = qs[0]
        if c.fact == "p_class":
            name = (c.class_ or "").casefold()
            if name == f.label.casefold():
                fid = "p_label"
            elif name in probs:
                fid = f"p_alt{[a.label.casefold() for a in f.alternatives].index(name) + 1}"
            else:
                add(None, f"p({c.class_}) is not on the fact sheet", c.class_, None)
                continue
        else:
            fid = c.fact
        what, value = ids[fid]
        add(q.holds(value) != c.negated, f"{what} = {value:.4g}; {q.tolerance()}" + ("; negated" if c.negated else ""),
            c.class_ or what, f"{fid} = {value:.4g}")
    out.sort(key=lambda c: (c.start, c.end))
    return Verification(claims=out, extractor="llm")


def verify_with_llm(text: str, f: FactSheet, backend: Any, prompts_dir: str | None = None) -> Verification:
    """Extract claims with `backend` (any configured chat backend), then check them deterministically.
    A failed or unusable answer gives no claims and one unverifiable claim saying why."""
    from verbalize.prompts import load_prompt

    prompt = load_prompt(PROMPT, prompts_dir)
    messages = prompt.format(text=text, fact_ids="\n".join(f"- {k}: {v}" for k, v in FACT_HELP.items()))
    structured = "json_schema" in getattr(backend, "capabilities", ())
    params: dict[str, Any] = {"json_schema": claims_schema()} if structured else {}
    gen = backend.generate(messages, prompt_id=prompt.id, validate=_problem, **params)
    if not gen.ok:
        return Verification(claims=[Claim(text="", kind="llm", start=0, end=0, status="unverifiable",
                                          reason=f"the LLM extractor gave no usable answer: {gen.error}")],
                            extractor="llm")
    return check_extracted(text, parse_answer(gen.text), f)
