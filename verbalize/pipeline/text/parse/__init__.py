"""Parse what an LLM says about its own prediction into a label, a confidence and one score per token.

Three stages, one module each: `literals` reads Python/JSON literals tolerantly, `parser` picks the
prediction and attribution candidates (with regular-expression fallbacks), `align` puts each cited
score on a token. See `parser` for the whole story. `structured` reads answers given under a JSON
schema (``--structured``).
"""

from verbalize.pipeline.text.parse.parser import ParsedSelfExplanation, parse_self_explanation
from verbalize.pipeline.text.parse.structured import parse_structured

__all__ = ["ParsedSelfExplanation", "parse_self_explanation", "parse_structured"]
