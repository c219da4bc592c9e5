"""What a sentence says about a word besides its attribution rank (issue 10, round 6).

LLMs describe a word as people see it ("'terrible', perhaps the most obvious sentiment word, …", "the
clearest case of sarcasm", "the last word of the review") in the same sentence as a statement about its
attribution ("… pushes the prediction towards negative"), and refer back to it ("…, and it has no
influence"). Reading every superlative as a rank turns those asides into false "X is the top word"
claims; not reading past them leaves the real statement unread. This module finds both, as text
operations only: which superlatives and position words are no rank, where an aside sits between a word
and its verb, and which "it" stands for the word named before it. `word_claims` reads the statements.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_RANK_NOUN = (r"(?:signals?|cues?|weights?|contribut\w+|scores?|attributions?|importance|influence|effects?|impacts?|"
              r"drivers?|factors?|indicators?|evidence|predictors?|say|role|pull|push|share|attention|spot|position|"
              r"place|rank\w*|sway|bearing|relevance|emphasis|focus|weighting|value|magnitude)")
"""Nouns of attribution: a superlative that qualifies one of them ("the clearest signal") states a rank."""
_RANK_SUP = frozenset("""strongest biggest largest greatest highest heaviest weightiest weakest smallest lowest lightest hardest
    faintest slightest tiniest""".split())
"""Superlatives of magnitude: a rank even next to 'word' ("the strongest word")."""
_IMPORTANCE = frozenset("""important influential relevant salient decisive significant impactful weighty consequential
    predictive informative weighted""".split())
"""What 'most' / 'least' make a rank of ("the most influential token")."""
LOW_IMPORTANCE = frozenset("""negligible insignificant unimportant inconsequential marginal trivial peripheral dispensable
    immaterial""".split())
"""What 'most' makes a bottom rank of ("the most negligible token" is the least important one)."""
NOT_SUPERLATIVE = frozenset("""modest honest interest rest unrest suggest request protest contest digest manifest earnest forest
    harvest invest arrest attest detest guest quest chest west nest test priest ingest latest earliest nearest
    closest""".split())
_WINDOW = r"(?P<next>(?:[\s-]+[\w'-]+){0,3})"

_MOST = re.compile(rf"\b(?:most|least)\s+(?P<adj>[a-z][\w-]*){_WINDOW}", re.I)
_EST = re.compile(rf"\b(?P<adj>[a-z]{{3,}}est)(?P<suf>-(?:sounding|looking|seeming|feeling))?\b{_WINDOW}", re.I)
_PERCEPTION = re.compile(r"\b(?:for|to) (?:a |the |any |most )?(?:human|reader|people|humans|us|listener|customer|"
                         r"person)s?\b|\b(?:sounding|on the surface|emotionally|semantically|to the eye|in tone)\b", re.I)
"""How a person, not the model, sees the word: every superlative of the clause is then about the word itself."""
_POSITION = re.compile(r"\b(?:very\s+)?(?:first|last|final|opening|closing)\s+(?:word|token|term|adjective|adverb|noun|verb)"
                       r"\b(?!\s+(?:in|of)\s+(?:the\s+)?(?:importance|ranking|list|order|attribution)\b)", re.I)
"""'the last word of the review' is a place in the text, not in the ranking ('the last word in the ranking' is)."""


def as_people_see_it(text: str, start: int, end: int) -> bool:
    """Whether the clause of a superlative at text[start:end] says how a person sees the word ("the strongest
    word for a human reader"), not how the model weighs it."""
    stop = re.compile(r"[,;.!?]|\s(?:but|yet|while|whereas)\s")
    m = stop.search(text, end)
    return bool(_PERCEPTION.search(text, start, m.start() if m else len(text)))


def _blank(text: str, spans: Sequence[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def no_rank_blanked(clause: str) -> str:
    """The clause without its superlatives and position words that state no attribution rank: 'most' or '-est'
    with an adjective that is no importance ('the most emotional word', 'the clearest case of sarcasm') unless an
    attribution noun follows ('the clearest signal'), every superlative of a clause about how a person sees the
    word ('the strongest word for a human reader'), and places in the text ('the very last word')."""
    human = bool(_PERCEPTION.search(clause))
    spans = [m.span() for m in _POSITION.finditer(clause)]
    for m in _MOST.finditer(clause):
        adj = m.group("adj").lower()
        if adj in _IMPORTANCE | LOW_IMPORTANCE or adj.endswith("ly") or not re.match(r"[a-z]", adj) or len(adj) < 3:
            continue  # "most important", "most heavily", "weighs most" (no adjective follows)
        if adj in {"of", "to", "on", "in", "for", "with", "the", "and", "but", "than", "here", "there", "from", "by", "about",
                   "over", "at", "as", "when", "after", "overall", "among", "upon", "towards", "toward"}:
            continue
        if human or not re.search(rf"\b{_RANK_NOUN}\b", f"{adj} {m.group('next')}", re.I):
            spans.append((m.start(), m.end("adj")))
    for m in _EST.finditer(clause):
        adj = m.group("adj").lower()
        if adj in NOT_SUPERLATIVE:
            continue
        about_word = m.group("suf") is not None or human
        if about_word or (adj not in _RANK_SUP and not re.search(rf"\b{_RANK_NOUN}\b", m.group("next"), re.I)):
            spans.append((m.start(), m.end("suf") if m.group("suf") else m.end("adj")))
    return _blank(clause, spans)


_APPOSITIVE = re.compile(r"[\"'”’«*`]*,\s+(?:perhaps |arguably |probably |maybe |possibly |likely |easily )?"
                         r"(?:(?:the|a|an|one of|which|who|what)\b[^,.;:!?\"'“”‘’*]{1,80}|(?:which|who|that)\s[^,.;:!?]{1,80}),(?=\s)",
                         re.I)
"""', the last word of the review,' or ', which intensifies 'mess',' between a word and its verb."""


def appositive_variants(text: str, cited: Sequence[tuple[int, int]]) -> list[tuple[str, int]]:
    """For each cited word followed by an aside in commas, the text with the aside blanked (so 'X, the last word of
    the review, has no influence' reads as 'X has no influence'), with where the word starts."""
    out = []
    for a, b in cited:
        m = _APPOSITIVE.match(text, b)
        if m is not None:
            close = b + len(re.match(r"[\"'”’«*`]*", text[b:]).group(0))  # type: ignore[union-attr]
            out.append((_blank(text, [(close, m.end())]), a))
    return out


_IT = re.compile(r"(?:[,;]|\b(?:and|but|yet|so|though|although|while|whereas))\s+(?:(?:and|but|yet|so)\s+)?"
                 r"(?:still\s+|also\s+)?(?P<s>it)\b(?!\s+(?:is|was)\s+\S+\s+that\b)(?!'(?!s\b))(?!’(?!s\b))"
                 r"(?!(?:'s|’s|\s+is|\s+was)\s+(?:\w+\s+)?(?:hard|easy|difficult|tempting|fair|worth|clear|unclear|possible|"
                 r"impossible|tricky|safe|important)\b)|"
                 r"\b(?:ranks?|ranked|weighs?|weighed|rates?|rated|places?|placed|puts|treats?|treated|scores?|scored|"
                 r"considers?|considered|counts?|counted)\s+(?P<o>it)\b", re.I)
"""'…, and it has no influence', '…, yet it pushes …', 'the model ranks it only second': 'it' as the subject of a
new clause or the object of a ranking verb ('it is X that …' is a cleft, not a pronoun)."""


def pronoun_positions(text: str, s0: int, s1: int) -> list[int]:
    """Where a sentence refers back with 'it' to what it named before."""
    return [m.start("s") if m.group("s") else m.start("o") for m in _IT.finditer(text, s0, s1)]
