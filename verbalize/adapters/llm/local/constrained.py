"""Constrained decoding for the local backend: a JSON schema the generated text must follow.

`lm-format-enforcer` walks the schema character by character and, at each step, tells which
vocabulary tokens keep the text a valid prefix; `transformers` masks every other token
(``prefix_allowed_tokens_fn``). Its own transformers integration imports a module transformers 5
removed, so the vocabulary table it needs is built here (the same recipe, ~2 s for SmolLM2's 49k
tokens, once per backend).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lmformatenforcer import CharacterLevelParserConfig, JsonSchemaParser, TokenEnforcer
from lmformatenforcer.tokenenforcer import TokenEnforcerTokenizerData


def tokenizer_data(tokenizer: Any) -> TokenEnforcerTokenizerData:
    """Every regular token's text, and whether it starts a word (decoded after "0" to see the space)."""
    zero = tokenizer.encode("0", add_special_tokens=False)[-1]
    special = set(tokenizer.all_special_ids)
    regular = []
    for i in range(len(tokenizer)):
        if i in special:
            continue
        after_zero = tokenizer.decode([zero, i])[1:]
        regular.append((i, after_zero, len(after_zero) > len(tokenizer.decode([i]))))

    def decode(ids: list[int]) -> str:
        return str(tokenizer.decode(ids)).rstrip("\ufffd")

    return TokenEnforcerTokenizerData(regular, decode, tokenizer.eos_token_id, False, len(tokenizer))


def schema_constraint(data: TokenEnforcerTokenizerData, schema: dict[str, Any]) -> Callable[[int, Any], list[int]]:
    """A ``prefix_allowed_tokens_fn`` for `generate`: JSON following `schema`, fields in the schema's
    order, at most one whitespace character in a row (no runs of blank lines to the token limit)."""
    config = CharacterLevelParserConfig(max_consecutive_whitespaces=1, force_json_field_order=True)
    enforcer = TokenEnforcer(data, JsonSchemaParser(schema, config))

    def allowed(batch_id: int, sequence: Any) -> list[int]:
        return list(enforcer.get_allowed_tokens(sequence.tolist()).allowed_tokens)

    return allowed
