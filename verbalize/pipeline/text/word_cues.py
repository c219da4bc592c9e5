"""The fallback reader of statements about one word (issue 10): a clause that names one word (or one list of words)
and that no frame of `word_patterns` read is decided by its strongest cue word ("'plot' sits at the tail end" →
least important). This is what reads an unseen phrasing; comparisons, conditionals, questions, negated clauses
and ranks within a subset are left unread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from verbalize.core.claims import sentence_spans, split_spans
from verbalize.core.types import Claim
from verbalize.pipeline.text.asides import LOW_IMPORTANCE, NOT_SUPERLATIVE, no_rank_blanked
from verbalize.pipeline.text.attribution import NOT_IDIOM, Attribution, core
from verbalize.pipeline.text.word_patterns import MORE_WORDS, PAT_SCORE, QUOTED, SUBSET, cited_lists
from verbalize.pipeline.text.word_rules import Stats, judge, scores_of, word_claim


def _any(*phrases: str) -> str:
    return r"\b(?:" + "|".join(phrases) + r")\b"


_NOT_SUPERLATIVE = "|".join(sorted(NOT_SUPERLATIVE))
_CUES: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(p, re.I)) for kind, p in [
    ("second", _any(r"second(?!\s+(?:half|clause|sentence|part|line|paragraph|time|look|thought|glance|film|movie|"
                    r"(?:word|token|term) (?:of|in) the (?:review|text|sentence)))", r"2nd", r"ranks? #2",
                    r"rank(?:ed)? (?:#|no\. ?|number )?2", r"runner[- ]up", r"number[- ]two", r"no\. ?2", "silver",
                    "one (?:rung|step|notch|place) "
                    "(?:below|beneath|under|behind|down from) the top",
                    r"next[- ](?:most|in line|in importance|strongest|biggest|highest|heaviest|largest)", "trails? only",
                    "only (?:surpassed|outranked|beaten|topped|exceeded|outdone|eclipsed|bested|outscored) by",
                    "(?:surpassed|outranked|beaten|topped|exceeded|outdone|eclipsed|bested|outscored) only by",
                    "(?:below|beneath|under|behind|after) the (?:top|leader|leading (?:word|token)|front-?runner|first|winner)")
                + r"|(?<![\w#])#\s?2\b"),
    ("least", _any("least", "lowest", "smallest", "weakest", "faintest", "slightest", "tiniest", "lightest", "feeblest",
                   "mildest", "softest", "quietest", "thinnest", "slimmest", "dimmest", "bottom", "last", "rear", "tail end",
                   "minimal", "afterthought", "lowest priority", "caboose",
                   rf"most (?:{'|'.join(sorted(LOW_IMPORTANCE))})",
                   "(?:trails?|trailing|behind|below) (?:all|every|everything|the (?:rest|pack|field|others))")),
    ("none", _any(r"no (?:real )?(?:bearing|effect|influence|impact|role|part|weight|attribution|importance|say|"
                  r"contribution|sway|pull|signal|relevance)", "nothing(?! (?:more|else|less|but|short))", "zero", r"ignor\w+",
                  r"disregard\w*", r"overlook\w*",
                  "irrelevant", "neutral", "inert", "no (?:real )?difference", "zero weight", "(?:exactly |just )?(?:where|as) it was",
                  "intact", "unmoved", "indifferent", "null", "dead weight", "unchanged", "untouched", "unaffected",
                  r"(?:not|\w*n't) (?:use|used|matter|count|register|factor|move the needle|make a difference|affect|influence|change|alter|"
                  r"move|shift|impact)",
                  r"no (?:attention|credit|heed|notice|weight at all)")),
    ("minor", _any("barely", "hardly", "scarcely", "tiny", "teeny", "minuscule", "negligible")),
    ("top", _any("most", r"ranks? #1", r"rank(?:ed)? (?:#|no\. ?|number )?1", r"top-1",
                 "(?<!a )(?<!an )(?:key|main|primary|chief|dominant) (?:driver|factor|feature|contributor|signal)(?=s?:)",
                 r"tops?", "topping", "topped", "highest", "largest", "greatest", "biggest", "strongest", "heaviest",
                 "dominant", r"dominat\w+", "first", r"(?:leads?|leading)(?! to\b)", "leader", "heads", r"number[- ]one",
                 r"no\. ?1", "foremost", "pride of place", "(?:at )?the head of",
                 "the (?:decisive|pivotal|deciding|determining|key|main|central|principal)", r"chief(?:ly)?", r"primar(?:y|ily)",
                 r"principal(?:ly)?", r"predominant(?:ly)?", "above all", "above (?:everything|anything|all) else", "hardest",
                 r"edges? out", "(?:ahead of|above|outranks|outweighs|beats|eclipses|dwarfs|overshadows) (?:all|every|everything|"
                 "the (?:rest|pack|field|others))", r"front-?runner",
                 "the (?:star|linchpin|lynchpin|cornerstone|centre ?piece|center ?piece|mainstay|anchor)", "heavy lifting",
                 "lion's share", "paramount", "head and shoulders", "the crux", "driving force", "prime", "carries the day",
                 "calls the shots", "the backbone", "the heart of", rf"(?!(?:{_NOT_SUPERLATIVE})\b)\w{{3,}}est")
            + r"|(?<![\w#])#\s?1\b"),
    ("weak_pos", _any(r"weak(?:ly|er|est|ish)?", "small", r"slight\w*", "minor", r"modest(?:ly)?", r"marginal\w*", "a little",
                      "little",
                      r"mild\w*", "faint", "limited", "low", "a bit", "somewhat",
                      "an? (?:sliver|touch|hint|tad|trace|smidgen|modicum|whisper)", "slender", "slim", "gentle", "meagre",
                      "meager", "scant")),
    ("some", _any("noticeable", "appreciable", "measurable", "meaningful", r"real (?:effect|impact|influence|weight)",
                  r"non-?zero", r"some (?:effect|influence|impact|weight|role)")),
    ("strong_pos", _any(r"strong\w*", "large", "major", r"substantial\w*", r"heav\w+", "high", "a lot of", r"hard(?! to\b)",
                        "big", r"powerful(?:ly)?", r"significant\w*", "sizeable", "sizable", "pronounced", r"considerabl\w+",
                        r"firm\w*", "hefty",
                        r"forceful\w*", "heavyweight", "potent", "weighty", "robust", "outsized",
                        r"marked(?:ly)?", r"dramatic\w*", r"massive\w*", r"huge(?:ly)?", r"enormous(?:ly)?", "highly",
                        "a great deal", "packs? a punch", "crucial", r"critical(?:ly)?", "vital",
                        "an? (?:key|central|crucial|critical|leading|primary|prime) (?:contributor|driver|factor|player|signal|cue)")),
]]
"""Cue words of a statement about one word, strongest reading first: what an unseen phrasing of "X is the
least important word" still contains. Used only for a clause no pattern has read. The lists are a small
thesaurus of how explanations rank and size a word (kept broad on purpose: they read wordings no frame was
written for); what they must not read is guarded below (comparisons, conditionals, subsets, negations)."""
_SUPPORT = re.compile(_any(
    r"support\w*", r"bolster\w*", r"reinforc\w*", r"strengthen\w*", r"backs?(?: up)?", r"backed", r"backing", r"boost\w*",
    r"favou?r\w*", r"sides? with", r"sided with", r"siding with", r"lends? (?:\w+ ){0,2}?(?:support|weight|credence)",
    r"(?:push|pull|nudg|steer|tip|lean|tilt|point|sway|mov|driv|draw|shift)\w* (?:[\w']+ ){0,4}?(?:towards?|in the [\w-]+ direction)",
    r"(?:push|pull|nudg|steer|tip|lean|tilt|point|sway|mov|driv|draw|shift)\w* (?:[\w']+ ){0,4}?(?:to|into|onto) the [\w-]+ side",
    r"driv(?:es|e|ing)",
    "in the [\\w-]+ direction", r"argues? for", r"votes? for", r"evidence (?:for|of)", r"signal\w*", r"indicat\w*",
    r"suggest\w*", r"points? to", r"consistent with", r"aligns? with", r"in line with", r"contribut\w* to",
    r"adds? to the case", r"aids?", r"helps?", r"feeds? into", r"adds? to", r"in support of"), re.I)
"""A word's direction towards the label named with it ("'great' bolsters the positive reading")."""
_OPPOSE = re.compile(_any(
    r"against", r"away from", r"undercut\w*", r"undermin\w*", r"weaken\w*", r"counter(?:s|ed|ing|act\w*)?", r"oppos\w*",
    r"contradict\w*", r"detract\w*", r"drag\w* (?:down|away)", r"temper\w*", r"dampen\w*", r"erod\w*", r"hurt\w*",
    r"brake", r"the other way", r"works? against", r"cuts? against", r"counterbalanc\w*", r"offset\w*",
    r"soften\w*", r"mitigat\w*", r"pushes back", r"cuts? into", r"cancel\w* out"), re.I)
"""A word's direction away from the label named with it ("'story' undercuts the positive verdict")."""
_HOW_IT_READS = re.compile(r"\b(?:connotations?|overtones?|undertones?|sounds?|sounding|reads? as|on (?:its|the) (?:face|surface)|"
                           r"to (?:a|the|any) (?:human|reader|person|customer))\b", re.I)
"""A clause about how the word reads to a person ("'bad' has a slight negative connotation"): its cue words size
the word's meaning, not its score."""
_NOT_THE = re.compile(r"\b(?:is|was)(?:\s+not|n't)\s+(?:actually\s+|really\s+)?the\s+(?:most|least|top|second|biggest|"
                      r"strongest|weakest|highest|lowest|main|key)\b", re.I)
"""A rank denied with a copula ("X is not the most important word"): read as the rank, negated."""
_SET_ASIDE = re.compile(r"\W*(?:(?:right|just|directly|immediately|close|closely)\s+)?(?:after|behind|apart from|besides|"
                        r"other than|except(?: for)?|aside from|next to|beyond)\s+(?:the (?:word|token)\s+)?[\"'“‘»*]*"
                        r"(?P<w>[\w-]+(?:'\w+)?)", re.I)
"""A clause that opens by setting a word aside: "After 'mess', …", "Apart from not, …"."""
_RANKED_BELOW = re.compile(r"\b(?:(?:right|just|directly|immediately|close|closely|only|a notch|one step)\s+)?(?:behind|after|below|"
                           r"beneath|under|trailing)\s+(?:the (?:word|token)\s+)?[\"'“‘»*]*(?P<w>[\w-]+(?:'\w+)?)", re.I)
"""A word a clause ranks its subject below: "Coming in second is 'disappointed', just behind 'damaged'"."""


def _against_explained(rest: str, named: str, label: str, against_words: bool) -> bool:
    """Whether a clause that names one label says its word pushes away from the explained `label`. The preposition
    before the label decides ("towards positive", "away from negative"), unless it belongs to a noun the verb governs
    ("weakens the case for positive"); else the clause's verbs ("undercuts the negative reading"). "Pulls in the
    opposite direction, toward positive" says one direction twice."""
    m = re.search(rf"\b{re.escape(named)}\b", rest, re.I)
    before = rest[max(0, m.start() - 40): m.start()] if m else ""
    if re.search(r"\b(?:case|argument|evidence|support|confidence|belief|probability|odds|chances?|likelihood) (?:for|of|in|that)"
                 r"\s+(?:an?\s+|the\s+)?$", before, re.I):
        towards = not against_words
    elif re.search(r"\b(?:towards?|to|for|in favou?r of)\s+(?:an?\s+|the\s+)?$", before, re.I):
        towards = True
    elif re.search(r"\b(?:against|away from)\s+(?:an?\s+|the\s+)?$", before, re.I):
        towards = False
    else:
        towards = not against_words
    return (named.casefold() == label.casefold()) != towards


_LEADING = re.compile(r"\W*(?:while|whereas|although|though|even though|unlike|compared (?:with|to)|as|since|because)\b[^,;]*,",
                      re.I)


def _with_leading_clause(text: str, clauses: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The clauses, with a leading subordinate clause cut off at its comma ("While 'loved' sets the tone, the top
    attribution goes to 'wonderful'": two clauses)."""
    out = []
    for c0, c1 in clauses:
        m = _LEADING.match(text, c0, c1)
        out += [(c0, m.end()), (m.end(), c1)] if m and m.end() < c1 else [(c0, c1)]
    return out


def _set_aside(text: str, c0: int, c1: int, att: Attribution) -> list[tuple[int, int]]:
    """The spans of the words a clause sets aside or ranks its subject below: they are no subject of its claim,
    and a top cue then means a second place."""
    leading = _SET_ASIDE.match(text, c0, c1)
    matches = [*([leading] if leading else []), *_RANKED_BELOW.finditer(text, c0, c1)]
    return sorted({(m.start("w"), m.end("w")) for m in matches
                   if m.group("w").casefold() not in _GRAMMAR and scores_of(att, m.group("w"))})


_NEGATIVE_SCORE = re.compile(r"\bnegative (?:score|attribution|weight|value|contribution|sign)\b", re.I)
_OTHER_WORD = re.compile(r"\b(?:alongside|besides|along with|together with|in addition to|as well as|after|behind|next to|like|"
                         r"unlike)\s+the (?:top|strongest|biggest|most \w+|leading|main|key|second) (?:verb|word|token|term|noun|adjective|"
                         r"adverb|one|signal|cue|contributor|driver)\b", re.I)
"""A rank that belongs to another word the clause mentions ("Alongside the top verb, 'wonderful' also …")."""
_REMOVING = re.compile(r"^\W*(?:removing|deleting|dropping|masking|occluding|omitting|leaving out|taking out|without)\b", re.I)
"""A clause that states what removing its word does: its 'would' is occlusion's measured answer, not a guess."""
_BARE_SUBJECT = re.compile(r"\b(?:the )?(?:word|token|term|adjective|adverb|noun|verb|intensifier|negation|negator|conjunction|"
                           r"connective|qualifier|modifier)\s+(?P<x>[^\s\"'“”‘’»«`,.;:!?()*]+)", re.I)
_GRAMMAR = frozenset("""
    a an the and or so as than of in on at to for by from with into is was were are be been being has have had do does
    did will would can could it its this that these those which who
""".split())
"""Words of a text that, written bare in a sentence about it, are the sentence's grammar: every other word of the
text in a clause could be the word the clause is about."""
_AFTER_WORD = frozenset("in of on at to for by from with that which who is was has had and or".split())
"""What follows 'word' as grammar, not as a name: "the leading word in the attribution", "the word with the most
weight"."""
_SKIP_CUES = re.compile(r"\b(?:slightly|a bit|a little|marginally|somewhat|well|far|clearly)\s+(?:ahead|above|more|less|higher|"
                        r"lower|stronger|weaker|bigger|smaller|larger)\b|\bthan\b|\b(?:if|whether|could|would)\b|\?|\bpenultimate\b|"
                        r"\bsecond[- ](?:to[- ]last|lowest|least|smallest|weakest|from (?:the )?(?:bottom|end))\b|"
                        r"\b(?:third|fourth|fifth|sixth|3rd|4th|5th|6th)\b|"
                        r"\b(?:one of|(?<!chief )(?<!first )(?<!foremost )(?<!top )(?:among|amongst))\s+the\s+(?!least\b|lowest\b|weakest\b|smallest\b|"
                        r"(?:attributions?|words|tokens|scores|features|inputs)\b)", re.I)
"""Clauses the cue words do not decide: comparisons, conditionals, questions, ranks below second ("the third most
important word") and memberships ("one of the most important words", "among the top words": ties aside, a
statement of the least ones holds for every word at the bottom, one of the top ones for more than the top)."""


_QUOTE_MARK = re.compile(r"[\"“”«»*`]|(?<!\w)['‘’]|['‘’](?!\w)")


def bare_subjects(text: str, c0: int, c1: int, att: Attribution, labels: set[str],
                  besides: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
    """The word a clause is about when it names it bare: the one word of the clause (grammar aside) that is a word
    of the text, either ending an inverted statement ("Last in importance is plot.") or anywhere ("The model
    disregards boring entirely."). Two such words ("The top signal is but, followed by terrible", "The first film
    is …") leave the clause unread; words in `besides` (set aside or ranked above it) are not counted."""
    if _QUOTE_MARK.search(text, c0, c1):
        return []  # a clause that quotes names its words by quoting (part of a cited phrase cut by "!")
    found = [(c0 + m.start(), c0 + m.end()) for m in re.finditer(r"[A-Za-z][\w'-]*", text[c0:c1])
             if m.group(0).casefold() not in _GRAMMAR and scores_of(att, m.group(0))
             and not any(a <= c0 + m.start() < b for a, b in besides)]
    if len(found) != 1 or core(text[found[0][0]:found[0][1]]) in labels:
        return []
    return found


def cue_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None, cited: Sequence[tuple[int, int]],
               read: Sequence[tuple[int, int]]) -> list[Claim]:
    """The fallback reading of a clause that names one word (or one list of words) and no pattern read: its
    strongest cue word decides the statement ("'plot' sits at the tail end" → least). Comparisons ("than"),
    conditionals and negated clauses are left unread."""
    lowered = {lb.casefold() for lb in labels}
    st = Stats(att)
    claims: list[Claim] = []
    groups = cited_lists(text, cited)
    for s0, s1 in sentence_spans(text):
        for c0, c1 in _with_leading_clause(text, split_spans(text, _CUE_CLAUSE, s0, s1) or [(s0, s1)]):
            if any(c0 <= a < c1 for a, _ in read):
                continue
            asides = _set_aside(text, c0, c1, att)  # "After 'mess', …", "…, just behind 'damaged'": words ranked above
            aside = bool(asides)
            start = asides[0][1] if asides and asides[0][0] - c0 < 40 and _SET_ASIDE.match(text, c0, c1) else c0
            subjects = [(a, b) for a, b in cited if start <= a < c1 and core(text[a:b]) not in lowered
                        and not any(x <= a < y for x, y in asides)]
            if any(" " not in text[a:b].strip() for a, b in subjects):  # "'not' in 'not nearly as boring'": the phrase is
                subjects = [(a, b) for a, b in subjects if " " not in text[a:b].strip()]  # context, the word the subject
            subjects += [(m.start("x"), m.end("x")) for m in _BARE_SUBJECT.finditer(text, start, c1)
                         if not any(a <= m.start("x") < b for a, b in [*subjects, *asides]) and core(m.group("x")) not in lowered
                         and m.group("x").casefold() not in _AFTER_WORD | _GRAMMAR and scores_of(att, m.group("x"))]
            if not subjects and not any(start <= a < c1 for a, _ in cited):
                subjects = bare_subjects(text, start, c1, att, lowered, asides)
            if not subjects or (len(subjects) > 1 and not any(set(subjects) == set(g) for g in groups)):
                continue
            chars = list(text[c0:c1])
            for a, b in [*subjects, *asides]:  # the named words are no cue words ("'least' is the top word")
                chars[a - c0: b - c0] = " " * (b - a)
            rest = no_rank_blanked(QUOTED.sub(" ", "".join(chars)))
            if _REMOVING.search(rest):
                rest = re.sub(r"\b(?:would|will|could)\b", " ", rest)  # "removing X would leave …": occlusion, not a guess
            rest = _OTHER_WORD.sub(lambda m: " " * len(m.group(0)), rest)  # "alongside the top verb": another word's rank
            kind, rest = _than_all(rest)
            if _SKIP_CUES.search(rest) or SUBSET.search(rest) or _HOW_IT_READS.search(rest):
                continue
            kind = kind or next((k for k, cue in _CUES if cue.search(rest)), None)
            against = bool(re.search(r"\bagainst\b|\baway\b|\bother way\b", rest, re.I) or _OPPOSE.search(rest))
            named = [lb for lb in labels if re.search(rf"\b{re.escape(lb)}\b(?!\s+{PAT_SCORE})", rest, re.I)]
            if named and label is not None and len(named) == 1:
                against = _against_explained(rest, named[0], label, against)
            if kind is None and label is not None and len(named) == 1 and (_SUPPORT.search(rest) or _OPPOSE.search(rest)):
                kind = "neg" if against else "pos"  # "'story' undercuts the positive verdict" (a sign)
            if aside and kind == "top":
                kind = "second"  # the first place set aside, the most important of the rest is second
            elif aside and kind == "least":
                continue  # "after 'mess', 'but' matters least": a rank among the rest, not among all words
            if len(subjects) > 1 and kind in ("top", "second"):
                continue  # "the star words are 'loved' and 'wonderful'": a place shared by a list is no rank of each
            if kind in ("weak_pos", "strong_pos") and _NEGATIVE_SCORE.search(rest):
                kind = "weak_neg" if kind == "weak_pos" else "strong_neg"  # "a small negative score": the size of a negative one
            elif kind == "strong_pos" and against:
                kind = "strong_neg"  # "argues strongly against negative"
            elif kind in ("top", "second", "least", "weak_pos") and against:
                continue  # "speaks against it most": a rank among the words that push away, not among all words
            negated = False
            if kind in ("top", "second", "least") and len(_NEGATION_ANY.findall(rest)) == 1 and _NOT_THE.search(rest):
                negated = True  # "'terrible' is not the most important word": the rank, denied
            elif kind is None or _NEGATION_ANY.search(_cue_blanked(rest, kind) if kind == "none" else rest):
                continue
            for a, b in subjects:
                x = text[a:b]
                xs = scores_of(att, x)
                if xs:
                    ok, rule = judge(kind, x, xs, st)
                    claims.append(word_claim(text, a, b, x, kind, xs, ok != negated, rule + " (read from the clause's cue words)",
                                             negated))
    return claims


_THAN_ALL = re.compile(
    r"\b(?P<cmp>more|greater|larger|higher|stronger|bigger|heavier|weightier|less|smaller|lower|weaker|fewer|lighter)\b"
    r"[^.;]{0,40}?\bthan (?:on |for |to |with |in )?(?:any(?:thing|one)?(?: other| else)?|all(?: the)?(?: other| remaining)?|every(?:thing)?(?: other| else)?|"
    r"the (?:rest|others)|each of the others)\b(?![^.;]*\b(?:except|apart from|besides|but for|other than|save for|after)\b)",
    re.I)
"""A comparison with every other word is a rank: "contributes more than any other word" (top), "weighs less than all
the others" (least); "... except 'mess'" is a second place, left unread."""
_MOST_NEG = re.compile(r"\b(?:most|largest|biggest|strongest|highest|greatest) negative (?:score|attribution|weight|value|"
                       r"contribution)|\bmost negative (?:word|token|term)\b|\b(?:most|largest|biggest|strongest|greatest) (?:negative|against)\b"
                       r"(?!\s+(?:contributor|signal|cue|driver|evidence|indicator|word|token|term|feature|predictor|sentiment|"
                       r"class|label|prediction)s?\b)", re.I)
""""The most negative score": the lowest signed score, not the top one ("the strongest negative contributor" is the
strongest contributor to the label negative)."""


def _than_all(rest: str) -> tuple[str | None, str]:
    """The rank a comparison with all other words states, and the clause without it (its 'than' is no comparison
    between two named words); a clause about the most negative score is read as such."""
    if _MOST_NEG.search(rest):
        return "most_neg", _MOST_NEG.sub(lambda m: " " * len(m.group(0)), rest)
    m = _THAN_ALL.search(rest)
    if m is None:
        return None, rest
    kind = "top" if m.group("cmp").lower() in MORE_WORDS else "least"
    return kind, rest[:m.start()] + " " * (m.end() - m.start()) + rest[m.end():]


def _cue_blanked(rest: str, kind: str) -> str:
    """The clause without its cue words, where a negation left over negates the cue ("does not ignore 'mess'"),
    while the cue's own ("no bearing", "not used") does not."""
    cue = dict(_CUES)[kind]
    return cue.sub(lambda m: " " * len(m.group(0)), rest)


_CUE_CLAUSE = re.compile(r";|,\s+(?:while|whereas|but|and|so(?! to speak| far\b| much\b)|since|because|given that|although|though|"
                         r"even though)\s|"
                         r"\s(?:but|whereas|while|because|since)\s|\s[—–]\s", re.I)
_NEGATION_ANY = re.compile(rf"\b(?:not\b{NOT_IDIOM}|never|no(?!\.\s*\d)|n't|neither|nor)\b|n't\b", re.I)
