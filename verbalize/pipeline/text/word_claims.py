"""Statements about words of the text, quoted or bare (issue 10): rank ("the most / second most /
least important word is mess"), comparison ("X outweighs Y"), sign and direction ("X pushes towards
negative"), strength in words ("a strong positive score", "no influence"), a score stated for a
word, and a probability bound to the label named with it.

LLMs write these in many shapes, so each statement is a small family of patterns around the word it
is about; a list of cited words ("'food', 'service' and 'plot' hardly matter") puts each member in
the list's place in turn. The rules and thresholds: bench/verifier/README.md, "Text (token
attributions)". A pattern that finds no token of the text for its word gives no claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from verbalize.core.claims import quantities, sentence_spans, split_spans
from verbalize.core.types import Claim
from verbalize.pipeline.text.asides import (
    appositive_variants,
    as_people_see_it,
    no_rank_blanked,
    pronoun_positions,
)
from verbalize.pipeline.text.attribution import NEGATION, NOT_IDIOM, Attribution, core

# Rules and thresholds: bench/verifier/README.md, "Text (token attributions)".

_W = r"(?:the (?:word|token)\s+)?(?:\*\*)?[\"'“‘»]?(?P<{n}>[^\s\"'“”‘’»«,.;:!?()*]+)[\"'”’«]?(?:\*\*)?"
"""A word as LLMs write it: bare, quoted, curly-quoted or in markdown bold."""
_X, _Y, _X2 = _W.format(n="x"), _W.format(n="y"), _W.format(n="x2")
_WORD = r"(?:\s+(?:word|token))?"
_SCORE = r"(?:score|attribution|importance|weight|contribution|value|impact|influence|effect)"

_IMP = r"(?:important|influential|relevant|salient|decisive|significant)"
_HAS = r"(?:has|have|had|gets|get|got|receives|receive|received|carries|carry|carried|shows|holds|hold)"
_IS = r"(?:is|are|was|were|turns out to be|appears to be|seems to be|stands out as|emerges as|remains)"
_BIG = r"(?:highest|largest|biggest|greatest|strongest|top)"
_WEIGHS = (r"\b(?:weighs|weighed|weights|weighted|values|valued|rates|rated|ranks|ranked|favou?rs|favou?red|"
           r"prioriti[sz]es|prioriti[sz]ed|emphasi[sz]es|emphasi[sz]ed|counts|counted)")
_SMALL = r"(?:lowest|smallest|weakest|least)"
_FRAMES: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(p, re.I)) for kind, p in [
    ("second", rf"\bsecond[- ](?:most {_IMP}|{_BIG}(?:[- ]scoring)?|strongest){_WORD}\s+(?:is|was)\s+{_X}"),
    ("second", rf"{_X}{_WORD}\s+(?:is|was|ranks|ranked|comes|came|places|placed|follows)\s+(?:ranked\s+)?(?:in\s+)?(?:the\s+)?"
               rf"(?:second[- ]most {_IMP}|second(?:[- ]{_BIG}(?:[- ]scoring)?)?|runner-up|next most {_IMP})\b"),
    ("second", rf"{_X}{_WORD}\s+{_HAS} the second[- ]{_BIG} {_SCORE}"),
    ("second", rf"{_X}{_WORD}\s+(?:takes|took|is in|was in|holds|comes in) second place"),
    ("second", rf"\bsecond[- ](?:{_BIG}|most {_IMP})(?:[- ]scoring)? (?:word|token)\s+(?:is|was)\s+{_X}"),
    ("second", rf"\b(?:runner-up among the words|second place among the words) (?:is|was)\s+{_X}"),
    ("least", rf"\bleast {_IMP}{_WORD}\s+(?:is|was)\s+{_X}"),
    ("least", rf"{_X}{_WORD}\s+(?:is|was|ranks?)\s+(?:the|one of the|among the)\s+least {_IMP}"),
    ("least", rf"{_X}{_WORD}\s+(?:matters?|counts?|contributes?) (?:the )?least\b"),
    ("least", rf"{_X}{_WORD}\s+(?:is|was)\s+(?:the|one of the|among the)\s+(?:least (?!{_IMP})\w+|weakest|"
              rf"lowest-ranked|lowest-ranking)\b"),
    ("least", rf"\b(?:least (?!{_IMP})\w+|weakest|lowest-ranked)(?:\s+(?:word|token))?\s+(?:is|was)\s+{_X}"),
    ("least", rf"{_X}{_WORD}\s+(?:ranks|ranked|comes|came|is|was)(?: ranked)? last\b"),
    ("least", rf"{_X}{_WORD}\s+{_HAS} (?:the|one of the) {_SMALL} (?:absolute )?(?:{_SCORE}|influence|impact|effect)s?"),
    ("least", rf"\b(?:word|token) with the {_SMALL} (?:absolute )?{_SCORE} (?:is|was)\s+{_X}"),
    ("top", rf"(?<!second )(?<!second-)(?<!least )\b(?:most {_IMP}|strongest|highest-scoring|top|key|decisive)"
            rf"{_WORD}\s+(?:is|was)\s+{_X}"),
    ("top", rf"\bthe (?:word|token) that (?:matters|counts|contributes) most (?:is|was)\s+{_X}"),
    ("top", rf"\b(?:word|token) with the {_BIG} {_SCORE} (?:is|was)\s+{_X}"),
    ("top", rf"{_X}{_WORD}\s+(?:is|was)\s+the\s+(?:single\s+)?(?:most {_IMP}|strongest|highest-scoring|top|key)\b"
            rf"(?! (?:\w+ )?(?:than|after|behind))"),
    ("top", rf"{_X}{_WORD}\s+(?:is|was)\s+the (?:word|token) that [^.;]{{0,40}}?\bmost\b"),
    ("top", rf"{_X}{_WORD}\s+(?:matters?|counts?|contributes?|weighs?) (?:the )?most\b"),
    ("top", rf"{_X}{_WORD}\s+{_HAS} the {_BIG} (?:{_SCORE}|influence|impact|effect)\b(?! (?:\w+ )?than)"),
    ("top", rf"{_X}{_WORD}\s+(?:ranks|ranked|comes|came|is|was)(?: ranked)? first\b"),
    ("top", rf"{_X}{_WORD}\s+(?:drives|drove|influences|influenced|affects|affected|shapes|moves|sways|changes)(?: the "
            rf"(?:prediction|model|decision|output|classifier|score))? (?:the )?most\b"),
    ("top", rf"\bremoving {_X}{_WORD}\s+(?:changes|changed|affects|moves|shifts|lowers)(?: the (?:prediction|output|"
            rf"score|probability))? (?:the )?most\b"),
    ("more", rf"{_X}{_WORD}\s+(?:outweighs|outweighed|outranks|outranked|beats|dominates|"
             rf"(?:matters|mattered|counts|counted|weighs|weighed|contributes|contributed) more than|"
             rf"(?:is|was) (?:more {_IMP}|weightier|stronger) than|{_HAS} (?:an? )?(?:larger|higher|bigger|greater|stronger)"
             rf" {_SCORE} than|{_HAS} more (?:influence|weight|impact) than|scores? (?:higher than|above)|"
             rf"ranks? (?:higher than|above)|(?:is|was) ahead of|carries more weight than|counts for more than|"
             rf"(?:is|was) weighted more (?:heavily )?than|{_HAS} more (?:influence|weight|impact) than)\s+"
             rf"(?:the (?:word|token)\s+)?{_Y}"),
    ("more", rf"{_X}'s {_SCORE} (?:is|was) (?:higher|larger|bigger|greater|stronger) than (?:that of |the {_SCORE} of )?"
             rf"{_Y}"),
    ("less", rf"{_X}'s {_SCORE} (?:is|was) (?:lower|smaller|weaker) than (?:that of |the {_SCORE} of )?{_Y}"),
    ("less", rf"{_X}{_WORD}\s+(?:(?:matters|mattered|counts|counted|weighs|weighed|contributes|contributed) less than|"
             rf"(?:is|was) less {_IMP} than|{_HAS} (?:an? )?(?:smaller|lower|weaker) {_SCORE} than|"
             rf"{_HAS} less (?:influence|weight|impact) than|scores? (?:lower than|below)|ranks? (?:lower than|below)|"
             rf"(?:is|was) (?:outweighed|outranked) by|(?:is|was) behind)\s+(?:the (?:word|token)\s+)?{_Y}"),
    ("strong_pos", rf"{_X}{_WORD}\s+{_HAS} an? (?:very )?(?:strong|strongly|large|high|big|substantial|sizable)"
                   rf"(?:ly)? positive {_SCORE}"),
    ("strong_pos", rf"{_X}{_WORD}\s+(?:is|was) (?:very |strongly )positive"),
    ("strong_to", rf"{_X}{_WORD}\s+(?:is|was) strongly attributed (?:towards|to)\s+(?:the\s+)?(?P<l>[\w-]+)"),
    ("strong_to", rf"{_X}{_WORD}\s+(?:(?:pushes|pulls|contributes|points) strongly|strongly (?:pushes|pulls|points))"
                  rf"(?: the (?:prediction|model|classifier))? (?:towards|toward|to)\s+(?:the\s+)?(?P<l>[\w-]+)"),
    ("weak_pos", rf"{_X}{_WORD}\s+(?:only\s+)?{_HAS} (?:only )?an? (?:weak|weakly|small|slight|slightly|low|modest|minor)"
                 rf" positive {_SCORE}"),
    ("weak_pos", rf"{_X}{_WORD}\s+(?:is|was) (?:only )?(?:weakly|slightly|mildly) (?:positive|attributed)"),
    ("strong_neg", rf"{_X}{_WORD}\s+(?:strongly (?:pushes|pulls|speaks|argues|counts|works) against|{_HAS} an? "
                   rf"(?:strong|large|high|big|substantial)(?:ly)? negative {_SCORE}|(?:is|was) strongly negative)"),
    ("none", rf"{_X}{_WORD}\s+(?:has|had) no (?:influence|effect|impact|weight|role|attribution)"),
    ("none", rf"{_X}{_WORD}\s+(?:has|had|gets|got) (?:a )?(?:zero|null) (?:{_SCORE}|attribution)"),
    ("none", rf"{_X}{_WORD}\s+(?:does|did) not (?:affect|influence|change|matter|move)\b"),
    ("none", rf"{_X}{_WORD}\s+(?:plays|played) no (?:role|part)"),
    ("none", rf"{_X}{_WORD}\s+(?:is|was) neutral\b"),
    ("none", rf"{_X}{_WORD}\s+{_HAS} an? neutral {_SCORE}"),
    ("none", rf"{_X}{_WORD}\s+(?:is|was) irrelevant"),
    ("none", rf"{_X}{_WORD}\s+contributes nothing"),
    ("none", rf"\bremoving {_X}{_WORD}\s+(?:changes|changed) nothing"),
    ("pos", rf"\b{_SCORE} (?:for|of) {_X}{_WORD}\s+is positive"),
    ("neg", rf"\b{_SCORE} (?:for|of) {_X}{_WORD}\s+is negative"),
    ("pos", rf"{_X}(?:'s)?{_WORD}\s+{_SCORE} is positive"),
    ("pos", rf"{_X}{_WORD}\s+{_HAS} an? positive {_SCORE}"),
    ("pos", rf"{_X}{_WORD}\s+(?:scores|scored) positive(?:ly)?"),
    ("pos", rf"{_X}{_WORD}\s+(?:is|was) positively (?:attributed|weighted|scored)"),
    ("pos", rf"{_X}{_WORD}\s+contributes positively"),
    ("neg", rf"{_X}(?:'s)?{_WORD}\s+{_SCORE} is negative"),
    ("neg", rf"{_X}{_WORD}\s+{_HAS} an? negative {_SCORE}"),
    ("neg", rf"{_X}{_WORD}\s+(?:scores|scored) negative(?:ly)?"),
    ("neg", rf"{_X}{_WORD}\s+(?:is|was) negatively (?:attributed|weighted|scored)"),
    ("neg", rf"{_X}{_WORD}\s+contributes negatively"),
    # round 2: the shapes LLM explanations give these statements (issue 10)
    ("top", rf"\b(?:word|token) that (?:matters|counts|contributes|weighs)\s+(?:the )?most\b[^.;]{{0,40}}?\b(?:is|was)\s+{_X}"),
    ("top", rf"(?<!second )(?<!second-)\b(?:key|main|primary|biggest|strongest|largest) (?:driver|factor|signal|contributor|"
            rf"cue|indicator|evidence)\b[^.;\"'“”*]{{0,40}}?\b(?:is|was|comes from|came from)\s+{_X}"),
    ("top", rf"(?<!second )(?<!second-)\b{_BIG} (?:{_SCORE}|importance)(?: score)? (?:goes to|went to|belongs to|is assigned to|"
            rf"is given to|falls on|is held by)\s+{_X}"),
    ("top", rf"\b(?:hinges|relies|depends|rests|focuses|draws)\s+(?:above all|most heavily|most strongly|most)\s+on\s+{_X}"),
    ("top", rf"\babove all\b[^.;\"'“”*]{{0,40}}?\b(?:attends|looks|focuses|relies)\s+(?:to|on|at)\s+{_X}"),
    ("top", rf"{_X}{_WORD}\s+{_IS}\s+(?:clearly\s+|by far\s+)?the\s+(?:single\s+)?(?:dominant|strongest|biggest|largest|"
            rf"most important|most influential|main)\b(?! (?:\w+ )?(?:than|after|behind))"),
    ("top", rf"{_X}{_WORD}\s+{_IS}\s+the (?:word|token) (?:that )?(?:the (?:model|classifier) )?[^.;]{{0,30}}?\bmost\b"),
    ("top", rf"{_X}{_WORD}\s+{_HAS} the (?:top|highest|largest|biggest|strongest) (?:importance|attribution|{_SCORE})"),
    ("least", rf"\bleast (?:{_IMP}|relevant)\s+(?:word|token)s?\b[^.;\"'“”*]{{0,30}}?\b(?:is|are|was|were)\s+{_X}"),
    ("least", rf"{_X}{_WORD}\s+{_IS}\s+(?:one of |among )?the (?:words?|tokens?) (?:that )?(?:matters?|counts?|contributes?)"
              rf" (?:the )?least"),
    ("least", rf"{_X}{_WORD}\s+{_HAS} the (?:least|lowest|smallest) (?:weight|importance|attention|influence|attribution|"
              rf"impact|effect)"),
    ("least", rf"{_X}{_WORD}\s+{_HAS} the (?:smallest|lowest) (?:absolute )?(?:{_SCORE})s?"),
    ("least", rf"\b(?:pays|paid|gives|gave|pay|give) the least (?:attention|weight|importance) to\s+{_X}"),
    ("least", rf"\bbottom of the (?:importance )?ranking (?:sits|is|comes|are)\s+{_X}"),
    ("least", rf"{_X}{_WORD}\s+{_IS}\s+(?:one of |among )?the least {_IMP}"),
    ("second", rf"\bsecond[- ](?:{_BIG}|most {_IMP})\b[^.;\"'“”*]{{0,30}}?\b(?:comes from|came from|belongs to|goes to|"
               rf"is|was)\s+{_X}"),
    ("second", rf"\b(?:right |just |directly |immediately )?behind {_Y}{_WORD}(?: in (?:importance|the ranking))?,?\s+"
               rf"(?:is|comes|sits|follows|was|came)\s+{_X}"),
    ("second", rf"\bnext most {_IMP}(?: (?:word|token))?(?: after {_Y})?\s+(?:is|was)\s+{_X}"),
    ("second", rf"\btwo most {_IMP} (?:words|tokens) (?:are|were)\s+{_Y}\s*,?\s*(?:and|followed by)\s+{_X}"),
    ("second", rf"\bsecond in (?:importance|the ranking|rank)\s+(?:comes?|is|was|sits|stands)\s+{_X}"),
    ("second", rf"{_X}{_WORD}\s+{_IS}\s+second\b"),
    ("second", rf"\brunner-up (?:word|token) (?:is|was)\s+{_X}"),
    ("more", rf"\b(?:relies|rely|relied|depends|depend|focuses|draws) more (?:heavily |strongly )?on {_X}{_WORD}\s+than "
             rf"(?:on\s+)?{_Y}"),
    ("more", rf"\bcompared (?:with|to)\s+{_Y}{_WORD},?\s+{_X}{_WORD}\s+(?:\w+\s+){{0,3}}?(?:more|larger|bigger|greater)\b"),
    # round 5: the word as the object of a weighing verb ("the model weighs X more heavily than Y")
    ("more", rf"{_WEIGHS}\s+{_X}{_WORD}\s+(?:far |much )?(?:more|higher)(?: heavily| strongly| highly)?\s+than\s+"
             rf"(?:the (?:word|token)\s+)?{_Y}"),
    ("less", rf"{_WEIGHS}\s+{_X}{_WORD}\s+(?:far |much )?(?:less|lower)(?: heavily| strongly| highly)?\s+than\s+"
             rf"(?:the (?:word|token)\s+)?{_Y}"),
    ("less", rf"\bcompared (?:with|to)\s+{_Y}{_WORD},?\s+{_X}{_WORD}\s+(?:\w+\s+){{0,3}}?(?:less|smaller|lower)\b"),
    ("less", rf"{_X}{_WORD}\s+(?:is|was|are|were) (?:overshadowed|eclipsed|dwarfed|outweighed|outranked|outscored) by\s+{_Y}"),
    ("weak_pos", rf"{_X}{_WORD}\s+(?:adds|makes|gives|provides|{_HAS})\s+(?:only\s+)?an? (?:slight|small|weak|marginal|minor|modest|"
                 rf"tiny|limited)(?:ly)? positive (?:{_SCORE}|contribution|push)"),
    ("strong_to", rf"{_X}{_WORD}\s+{_IS}\s+an? (?:strong|powerful) (?:indicator|signal|sign|predictor|cue) (?:of|for)\s+"
                  rf"(?:the\s+)?(?P<l>[\w-]+)"),
    ("strong_pos", rf"\bassigns?\s+{_X}{_WORD}\s+an? (?:very )?(?:high|large|strong|big) positive {_SCORE}"),
    ("none", rf"\b(?:essentially |completely |largely |simply )?ignores?\s+{_X}"),
    ("none", rf"{_X}{_WORD}\s+(?:has|have|had) no (?:influence|effect|impact|weight|role|attribution)"),
    ("none", rf"{_X}{_WORD}\s+(?:carry|carries|carried) no (?:weight|importance|influence)"),
    ("none", rf"{_X}{_WORD}\s+(?:contribute|contributes|contributed) nothing"),
    ("none", rf"{_X}{_WORD}\s+(?:play|plays|played) no (?:role|part)"),
    ("none", rf"{_X}{_WORD}\s+(?:do|does|did) not (?:affect|influence|change|matter|move)\b"),
    ("none", rf"{_X}{_WORD}\s+{_IS} (?:irrelevant|neutral)\b"),
    # round 4's shapes (issue 10)
    ("top", rf"\bit is {_X}{_WORD} that\b[^.;]{{0,40}}?\b(?:above all|the most|most)\b"),
    ("top", rf"\b(?:top|highest|first)-ranked (?:word|token)\s+(?:is|was)\s+{_X}"),
    ("second", rf"\bbehind {_Y}{_WORD},?\s+the (?:most {_IMP}|strongest|biggest|top) (?:word|token)\s+(?:is|was)\s+{_X}"),
    ("second", rf"{_X}{_WORD}\s+trails? only\s+{_Y}"),
    ("second", rf"{_X}{_WORD}\s+(?:is|was|comes|came|finishes|finished|runs|ran) an? (?:close|distant|clear) second (?:to|behind)\s+{_Y}"),
    ("second", rf"{_X}{_WORD}\s+(?:follows|followed) (?:closely |right |just |directly )?(?:behind|after)\s+{_Y}"),
    ("second", rf"{_X}{_WORD}\s+(?:ranks?|ranked|sits?|comes?|came) (?:just|right|immediately|directly) (?:below|under|after|behind)"
               rf"\s+{_Y}"),
    ("second", rf"{_Y}{_WORD}\s+(?:is|was) (?:closely )?followed by\s+{_X}"),
    ("less", rf"{_X}{_WORD}\s+(?:lags?|lagged|trails?|trailed|falls?|fell) behind\s+{_Y}"),
    ("more", rf"\b(?:influence|importance|weight|attribution|score|impact|contribution) of {_X}{_WORD}\s+(?:exceeds|exceeded|"
             rf"surpasses|surpassed|is (?:greater|larger|higher|bigger) than)\s+(?:that of\s+)?{_Y}"),
    # round 3's shapes (issue 10)
    ("none", rf"{_X}{_WORD}\s+{_IS}\s+(?:effectively |essentially |largely |completely |simply )?ignored\b"),
    ("least", rf"{_X}{_WORD}\s+(?:ranks?|ranked|sits?|is|comes?|ends up)\s+(?:at\s+)?(?:the\s+)?(?:very\s+)?bottom\b"),
    ("least", rf"{_X}{_WORD}\s+{_IS}\s+the one (?:that|which) (?:matters|counts|contributes) (?:the )?least"),
    ("least", rf"{_X}{_WORD}\s+(?:[\w']+\s+){{0,3}}?(?:less|smaller|lower|weaker)\b[^.;]{{0,30}}?\bthan (?:any|every|all) "
              rf"(?:of the )?other (?:words?|tokens?)"),
    ("top", rf"{_X}{_WORD}\s+(?:[\w']+\s+){{0,3}}?(?:more|larger|higher|greater|stronger|bigger)\b[^.;]{{0,30}}?\bthan "
            rf"(?:any|every|all) (?:of the )?other (?:words?|tokens?)"),
    ("top", rf"\b(?:nothing|no (?:other )?(?:word|token))\s+(?:weighs|matters|counts|contributes|scores)\s+more than\s+{_X}"),
    ("top", rf"{_X}{_WORD}\s+(?:leads|tops|heads|led|topped|headed) the (?:importance )?(?:ranking|list)"),
    ("second", rf"\b(?:word|token) ranked (?:second|2nd|number two)\s+(?:is|was)\s+{_X}"),
    ("second", rf"\b(?:leads?|led|tops?|heads?) the (?:importance )?(?:ranking|list)\b,?\s+(?:closely )?followed (?:closely )?"
               rf"by\s+{_X}"),
    ("second", rf"\bin second place,?\s+(?:we find|we have|we see|is|comes|sits|there is|stands)\s+{_X}"),
    ("second", rf"{_X}{_WORD}\s+(?:holds|takes|occupies|has|is in|sits in) the (?:number[- ]two|no\. 2|second|#2) "
               rf"(?:spot|place|position|rank)"),
    ("second", rf"{_X}{_WORD}\s+{_IS}\s+only (?:surpassed|outranked|beaten|topped|exceeded|outscored) by\s+{_Y}"),
    ("none", rf"{_X}{_WORD}\s+(?:get|gets|got|receive|receives|received|have|has|had)(?: an?)? (?:zero|null) (?:{_SCORE}|attribution)"),
    # round 6: a first place set aside makes a second one ("apart from 'not', no word matters more than 'great'")
    ("second", rf"\b(?:apart from|besides|except(?: for)?|other than|aside from)\s+{_Y}{_WORD},?\s+(?:nothing|no (?:other )?"
               rf"(?:word|token))\s+(?:weighs|matters|counts|contributes|scores)\s+more than\s+{_X}"),
    ("second", rf"{_X}{_WORD}\s+{_IS}\s+(?:the\s+)?(?:most {_IMP}|strongest|biggest|heaviest|top|highest-scoring)(?:\s+(?:word|token))?"
               rf",?\s+(?:after|behind|apart from|besides|other than|except(?: for)?)\s+{_Y}"),
    ("second", rf"{_X}{_WORD}\s+{_IS}\s+next(?: in (?:importance|line|the ranking|rank))?,?\s+(?:after|behind)\s+{_Y}"),
]]
_COMPARATIVE = re.compile(
    r"(?:\*\*|[\"'“‘»])(?P<x>[^\s\"'“”‘’»«,.;:!?()*]+)(?:\*\*|[\"'”’«])"
    r"(?P<mid>(?:(?!\bthan\b)[^.;:!?\"'“”‘’*»«]){0,60}?)\b(?P<cmp>more|larger|bigger|greater|higher|stronger|heavier|"
    r"weightier|less|smaller|lower|weaker)\b(?:(?!\bthan\b)[^.;:!?\"'“”‘’*»«]){0,50}?\bthan\s+"
    r"(?:on\s+|that of\s+|the (?:word|token)\s+|for\s+|does\s+|do\s+)?"
    r"(?:\*\*)?[\"'“‘»]?(?P<y>[^\s\"'“”‘’»«,.;:!?()*]+)", re.I)
"""'X plays a larger role than Y', 'X is less important to the classifier than Y': X quoted or bold, any verb
phrase around the comparative (a bare X would let any word of the sentence stand in for it)."""
_VALUE_FRAMES = [re.compile(p, re.I) for p in [
    rf"\b{_SCORE} (?:for|of) {_X}{_WORD}\s+(?:is|was|comes to|equals|of)\s+(?:about |around |roughly )?$",
    rf"{_X}(?:'s){_WORD}\s+{_SCORE} (?:is|was|comes to|equals|of)\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:has|gets|receives|carries) (?:a {_SCORE} of\s+)?(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:has|gets|receives|carries) an? {_SCORE} of\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:scores|scored)\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:is|was|sits|comes in|stands|scores) at\s+(?:about |around |roughly )?$",
    rf"{_X}{_WORD}\s+(?:contributes|contributed|adds|added)\s+(?:about |around |roughly )?$",
]]
_LABEL_P = re.compile(r"\bp\((?P<l>[^)]+)\)|\b(?:that|as) (?:the (?:review|text|sentence) (?:is|was) )?(?P<m>\w+)\b",
                      re.I)


_QUOTED = re.compile(r"\*\*[^*]*\*\*|[\"“][^\"”]*[\"”]|(?<!\w)['‘][^'’]*['’](?!\w)")
"""A quoted or bold word: the word 'not' named in a text is no negation of it."""


def _word_scores(att: Attribution, word: str) -> list[float]:
    return att.word_scores([word])


_PUSH = re.compile(
    rf"{_X}{_WORD}\s+(?:(?:clearly |strongly |also )?(?:pushes|pushed|pulls|pulled|moves|moved|nudges|nudged|drives|drove|"
    rf"steers|steered|tips|tipped|leans|leaned|points|pointed|counts|counted|speaks|spoke|argues|argued|works|worked|votes|"
    rf"voted)(?: the (?:model|prediction|classifier|decision|review|score|balance|scales|needle|outcome|output))?\s+(?P<dir>towards|toward|to|for|in favou?r of|"
    rf"against|away from)|(?:is|was) (?P<ev>evidence|a signal|a cue|a sign) (?P<dir2>for|of|against)|(?:supports|supported|favou?rs|"
    rf"favou?red|indicates|indicated|signals|signalled|suggests|suggested|reinforces|reinforced|strengthens|strengthened|"
    rf"backs|backed)(?P<sup>)|(?P<opp>weakens|weakened|undermines|undermined|hurts|opposes|opposed|contradicts|"
    rf"contradicted|counters|countered|goes against|went against))\s+(?:the\s+|a\s+)?[\"'“‘]?(?P<l>[\w-]+)", re.I)
"""'X pushes towards L', 'X is evidence for L', 'X counts against L', 'X supports L', 'X weakens the L prediction'
(X quoted or bare)."""


def push_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    """Towards the explained label means score > 0; towards another label (or against it) score < 0."""
    claims: list[Claim] = []
    if label is None:
        return claims
    lowered = {lb.casefold(): lb for lb in labels}
    for m in _PUSH.finditer(text):
        target = lowered.get(m.group("l").casefold())
        xs = _word_scores(att, m.group("x"))
        if target is None or not xs or m.group("x").casefold() in lowered:
            continue
        direction = (m.group("dir") or m.group("dir2") or "for").lower()
        against = direction in ("against", "away from") or m.group("opp") is not None
        want_positive = (target.casefold() == label.casefold()) != against
        negated = bool(NEGATION.search(text[m.end("x"): m.start("l")]))
        ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
        shown = ", ".join(f"{v:.4g}" for v in xs[:4])
        claims.append(Claim(text=text[m.start("x"): m.end("x")], kind="word_sign", start=m.start("x"), end=m.end("x"),
                            status="supported" if ok else "contradicted",
                            reason=f"score({m.group('x')}) = {shown} towards {label!r}; "
                                   f"{'against' if against else 'towards'} {target!r} means score "
                                   f"{'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                            subject=m.group("x"), fact=f"score({m.group('x')}) = {shown}"))
    return claims


_LIST_GAP = re.compile(r"[\"'”’«*]*\s*(?:,\s*(?:and|or)\s+|,\s*|\s+(?:and|or)\s+)[\"'“‘»*]*")
"""What stands between two members of a list of cited words: "'food', 'service' and 'plot'"."""


def _lists(text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Runs of two or more cited words separated only by commas, 'and' or 'or'."""
    groups: list[list[tuple[int, int]]] = []
    for a, b in spans:
        if groups and _LIST_GAP.fullmatch(text, groups[-1][-1][1], a):
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    return [g for g in groups if len(g) > 1]


_REMOVAL = re.compile(
    rf"\b(?:removing|deleting|dropping|masking|occluding|taking out|without)\s+{_X}{_WORD},?\s+(?:(?:would|will|could)\s+)?"
    rf"(?:[\w']+\s+){{0,5}}?(?P<dir>less|lower\w*|reduc\w*|decreas\w*|weaken\w*|more|rais\w*|increas\w*|boost\w*|"
    rf"strengthen\w*)\b(?P<tail>[^.;]{{0,60}})", re.I)
_AWAY = re.compile(
    rf"{_X}{_WORD}\s+(?:detracts|detracted|takes away|took away|subtracts|subtracted) from\s+(?:the\s+)?(?:model's\s+)?"
    rf"(?:confidence in\s+|case for\s+)?(?P<l>[\w-]+)|{_X2}{_WORD}\s+{_HAS}\s+an? (?P<eff>positive|negative) (?:effect|impact|"
    rf"influence) on the\s+(?P<l2>[\w-]+)", re.I)
"""'X detracts from the L prediction' (away from L); 'X has a positive / negative effect on the L score'."""
_LOWERS = re.compile(
    rf"{_X}{_WORD}\s+(?P<dir>lowers|lowered|reduces|reduced|decreases|decreased|weakens|weakened|raises|raised|increases|"
    rf"increased|boosts|boosted|strengthens|strengthened)\s+the (?:model's |classifier's )?(?:confidence|probability|score|"
    rf"belief|likelihood)\s+(?:in|of|for|that the review is)\s+(?:the\s+)?(?P<l>[\w-]+)", re.I)


def removal_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    """'Removing X would make the model less confident that the review is L' (occlusion: X pushes towards L) and
    'X lowers the model's confidence in L' (X pushes away from L)."""
    claims: list[Claim] = []
    if label is None:
        return claims
    lowered = {lb.casefold(): lb for lb in labels}
    for m in _AWAY.finditer(text):
        xg, lg = ("x", "l") if m.group("x") else ("x2", "l2")
        target = lowered.get(m.group(lg).casefold())
        xs = _word_scores(att, m.group(xg))
        if target is None or not xs:
            continue
        towards = m.group("eff") is not None and m.group("eff").lower() == "positive"
        want_positive = (target.casefold() == label.casefold()) == towards
        negated = bool(NEGATION.search(text[m.end(xg): m.start(lg)]))
        ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
        shown = ", ".join(f"{v:.4g}" for v in xs[:4])
        claims.append(Claim(text=text[m.start(xg): m.end(xg)], kind="word_sign", start=m.start(xg), end=m.end(xg),
                            status="supported" if ok else "contradicted",
                            reason=f"score({m.group(xg)}) = {shown} towards {label!r}; {'towards' if towards else 'away from'} "
                                   f"{target!r} means score {'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                            subject=m.group(xg), fact=f"score({m.group(xg)}) = {shown}"))
    for pattern, removal in ((_REMOVAL, True), (_LOWERS, False)):
        for m in pattern.finditer(text):
            if removal:  # the first label named after the change word
                named = next((w for w in re.findall(r"[\w-]+", m.group("tail")) if w.casefold() in lowered), None)
                target, l_start = (lowered[named.casefold()], m.end("dir")) if named else (None, 0)
            else:
                target, l_start = lowered.get(m.group("l").casefold()), m.start("l")
            xs = _word_scores(att, m.group("x"))
            if target is None or not xs or m.group("x").casefold() in lowered:
                continue
            down = m.group("dir").lower().startswith(("less", "lower", "reduc", "decreas", "weaken"))
            towards = down == removal  # removing a word that pushes towards L lowers p(L)
            want_positive = (target.casefold() == label.casefold()) == towards
            negated = bool(NEGATION.search(text[m.end("x"): max(l_start, m.start("dir"))]))
            ok = any((v > 0) if want_positive else (v < 0) for v in xs) != negated
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=text[m.start("x"): m.end("x")], kind="word_sign", start=m.start("x"),
                                end=m.end("x"), status="supported" if ok else "contradicted",
                                reason=f"score({m.group('x')}) = {shown} towards {label!r} (occlusion: the drop in "
                                       f"p({label}) without the word); so the claim needs score "
                                       f"{'>' if want_positive else '<'} 0" + ("; negated" if negated else ""),
                                subject=m.group("x"), fact=f"score({m.group('x')}) = {shown}"))
    return claims


_ZERO = re.compile(
    r"\b(?:(?:each|all|both)\s+)?(?:scoring|scored|scores?|at|with an? (?:score|attribution|weight) of|"
    r"(?:score|attribution|weight|importance)s? (?:of|is|are|at))\s+(?:exactly |essentially |practically |precisely )?zero\b|"
    r"\bwith (?:a )?zero (?:attribution|score|weight|importance)s?\b|"
    r"\b(?:attributions?|scores?|weights?|importance)\b[^.;]{0,20}?,?\s+(?:exactly|essentially|practically) zero\b", re.I)
"""A sentence that gives its cited words a score of zero: "'acting' and 'plot' hardly matter, each scoring zero"."""


def zero_claims(text: str, att: Attribution, cited: Sequence[tuple[int, int]]) -> list[Claim]:
    """Every cited word of a sentence that states a zero score must score |s| < 0.005."""
    claims: list[Claim] = []
    for s0, s1 in sentence_spans(text):
        m = _ZERO.search(text, s0, s1)
        if m is None or NEGATION.search(text[max(s0, m.start() - 30): m.start()]):
            continue
        for a, b in cited:
            xs = _word_scores(att, text[a:b]) if s0 <= a < s1 else []
            if not xs:
                continue
            ok = any(abs(v) < 0.005 for v in xs)
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=text[a:b], kind="word_none", start=a, end=b, status="supported" if ok else "contradicted",
                                reason=f"score({text[a:b]}) = {shown}; zero: |score| < 0.005", subject=text[a:b],
                                fact=f"score({text[a:b]}) = {shown}"))
    return claims


_CUES: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(p, re.I)) for kind, p in [
    ("second", r"\b(?:second|runner[- ]up|number[- ]two|silver|next (?:most|in line|in importance|strongest|biggest)|trails? only|only "
               r"(?:surpassed|outranked|beaten|topped) by)\b"),
    ("least", r"\b(?:least|lowest|smallest|weakest|faintest|slightest|tiniest|lightest|feeblest|mildest|softest|"
              r"quietest|thinnest|slimmest|dimmest|bottom|last|rear|tail end|minimal|"
              r"(?:trails?|trailing|behind|below) (?:all|every|everything|the (?:rest|pack|field|others)))\b"),
    ("none", r"\b(?:no (?:real )?(?:bearing|effect|influence|impact|role|part|weight|attribution|importance|say|"
             r"contribution)|nothing|zero|ignor\w+|disregard\w*|overlook\w*|irrelevant|neutral|not (?:use|used|matter|count))\b"),
    ("top", r"\b(?:most|top|tops|highest|largest|greatest|biggest|strongest|heaviest|dominant|dominat\w+|first|"
            r"(?:leads?|leading)(?! to\b)|leader|heads|number[- ]one|foremost|pride of place|(?:at )?the head of|"
            r"the (?:decisive|pivotal|deciding|determining|key|main|central|principal)|chief|primary|above all|hardest|edges? out|"
            r"(?:ahead of|above|outranks|outweighs|beats) (?:all|every|everything|the (?:rest|pack|field|others))|"
            r"front-?runner|(?!(?:modest|honest|interest|rest|unrest|suggest|request|protest|contest|digest|manifest|earnest|"
            r"forest|harvest|invest|arrest|attest|detest|guest|quest|chest|west|nest|test|latest|earliest|nearest|closest|"
            r"priest|ingest)\b)\w{3,}est)\b"),
    ("weak_pos", r"\b(?:weak\w*|small|slight\w*|minor|modest|marginal\w*|a little|little|mild\w*|faint|limited|low|"
                 r"a bit|somewhat)\b"),
    ("strong_pos", r"\b(?:strong\w*|large|major|substantial\w*|heav\w+|high|a lot of|hard|big|powerful|significant\w*|"
                   r"sizeable|sizable|pronounced|considerabl\w+|firm\w*)\b"),
]]
"""Cue words of a statement about one word, strongest reading first: what an unseen phrasing of "X is the
least important word" still contains. Used only for a clause no pattern above has read."""
_BARE_SUBJECT = re.compile(r"\b(?:the )?(?:word|token|term)\s+(?P<x>[^\s\"'“”‘’»«,.;:!?()*]+)", re.I)
_GRAMMAR = frozenset("""
    a an the and or so as than of in on at to for by from with into is was were are be been being has have had do does
    did will would can could it its this that these those which who
""".split())
"""Words of a text that, written bare in a sentence about it, are the sentence's grammar: every other word of the
text in a clause could be the word the clause is about."""
_AFTER_WORD = frozenset("in of on at to for by from with that which who is was has had and or".split())
"""What follows 'word' as grammar, not as a name: "the leading word in the attribution", "the word with the most
weight"."""
_SKIP_CUES = re.compile(r"\bthan\b|\b(?:if|whether|might|may|could|would)\b|\?|\b(?:third|fourth|fifth|sixth|3rd|4th|5th|"
                        r"6th)\b|\b(?:one of|among|amongst)\s+the\s+(?!least\b|lowest\b|weakest\b|smallest\b)", re.I)
"""Clauses the cue words do not decide: comparisons, conditionals, questions, ranks below second ("the third most
important word") and memberships ("one of the most important words", "among the top words": ties aside, a
statement of the least ones holds for every word at the bottom, one of the top ones for more than the top)."""


_QUOTE_MARK = re.compile(r"[\"“”«»*]|(?<!\w)['‘’]|['‘’](?!\w)")


def _bare_subjects(text: str, c0: int, c1: int, att: Attribution, labels: set[str]) -> list[tuple[int, int]]:
    """The word a clause is about when it names it bare: the one word of the clause (grammar aside) that is a word
    of the text, either ending an inverted statement ("Last in importance is plot.") or anywhere ("The model
    disregards boring entirely."). Two such words ("The top signal is but, followed by terrible", "The first film
    is …") leave the clause unread."""
    if _QUOTE_MARK.search(text, c0, c1):
        return []  # a clause that quotes names its words by quoting (part of a cited phrase cut by "!")
    found = [(c0 + m.start(), c0 + m.end()) for m in re.finditer(r"[A-Za-z][\w'-]*", text[c0:c1])
             if m.group(0).casefold() not in _GRAMMAR and _word_scores(att, m.group(0))]
    if len(found) != 1 or core(text[found[0][0]:found[0][1]]) in labels:
        return []
    return found


def cue_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None, cited: Sequence[tuple[int, int]],
               read: Sequence[tuple[int, int]]) -> list[Claim]:
    """The fallback reading of a clause that names one word (or one list of words) and no pattern read: its
    strongest cue word decides the statement ("'plot' sits at the tail end" → least). Comparisons ("than"),
    conditionals and negated clauses are left unread."""
    lowered = {lb.casefold() for lb in labels}
    st = _Stats(att)
    claims: list[Claim] = []
    groups = _lists(text, cited)
    for s0, s1 in sentence_spans(text):
        for c0, c1 in split_spans(text, _CUE_CLAUSE, s0, s1) or [(s0, s1)]:
            if any(c0 <= a < c1 for a, _ in read):
                continue
            subjects = [(a, b) for a, b in cited if c0 <= a < c1 and core(text[a:b]) not in lowered]
            subjects += [(m.start("x"), m.end("x")) for m in _BARE_SUBJECT.finditer(text, c0, c1)
                         if not any(a <= m.start("x") < b for a, b in subjects) and core(m.group("x")) not in lowered
                         and m.group("x").casefold() not in _AFTER_WORD | _GRAMMAR and _word_scores(att, m.group("x"))]
            if not subjects and not any(c0 <= a < c1 for a, _ in cited):
                subjects = _bare_subjects(text, c0, c1, att, lowered)
            if not subjects or (len(subjects) > 1 and not any(set(subjects) == set(g) for g in groups)):
                continue
            chars = list(text[c0:c1])
            for a, b in subjects:  # the named words are no cue words ("'least' is the top word")
                chars[a - c0: b - c0] = " " * (b - a)
            rest = no_rank_blanked(_QUOTED.sub(" ", "".join(chars)))
            kind, rest = _than_all(rest)
            if _SKIP_CUES.search(rest) or _SUBSET.search(rest):
                continue
            kind = kind or next((k for k, cue in _CUES if cue.search(rest)), None)
            against = bool(re.search(r"\bagainst\b|\baway\b|\bother way\b", rest, re.I))
            named = [lb for lb in labels if re.search(rf"\b{re.escape(lb)}\b(?!\s+{_SCORE})", rest, re.I)]
            if named and label is not None and len(named) == 1 and named[0].casefold() != label.casefold():
                against = not against  # "pushes hard towards positive" while explaining negative
            if kind == "strong_pos" and against:
                kind = "strong_neg"  # "argues strongly against negative"
            elif kind in ("top", "second", "least", "weak_pos") and against:
                continue  # "speaks against it most": a rank among the words that push away, not among all words
            if kind is None or _NEGATION_ANY.search(_cue_blanked(rest, kind) if kind == "none" else rest):
                continue
            for a, b in subjects:
                x = text[a:b]
                xs = _word_scores(att, x)
                if xs:
                    ok, rule = _judge(kind, x, xs, st)
                    claims.append(_word_claim(text, a, b, x, kind, xs, ok, rule + " (read from the clause's cue words)"))
    return claims


_THAN_ALL = re.compile(
    r"\b(?P<cmp>more|greater|larger|higher|stronger|bigger|heavier|weightier|less|smaller|lower|weaker|fewer|lighter)\b"
    r"[^.;]{0,40}?\bthan (?:any(?:thing|one)?(?: other| else)?|all(?: the)?(?: other| remaining)?|every(?:thing)?(?: other| else)?|"
    r"the (?:rest|others)|each of the others)\b(?![^.;]*\b(?:except|apart from|besides|but for|other than|save for|after)\b)",
    re.I)
"""A comparison with every other word is a rank: "contributes more than any other word" (top), "weighs less than all
the others" (least); "... except 'mess'" is a second place, left unread."""
_MOST_NEG = re.compile(r"\b(?:most|largest|biggest|strongest|highest|greatest) negative (?:score|attribution|weight|value|"
                       r"contribution)|\b(?:most|largest|biggest|strongest|greatest) (?:negative|against)\b", re.I)
""""The most negative score": the lowest signed score, not the top one."""


def _than_all(rest: str) -> tuple[str | None, str]:
    """The rank a comparison with all other words states, and the clause without it (its 'than' is no comparison
    between two named words); a clause about the most negative score is read as such."""
    if _MOST_NEG.search(rest):
        return "most_neg", _MOST_NEG.sub(lambda m: " " * len(m.group(0)), rest)
    m = _THAN_ALL.search(rest)
    if m is None:
        return None, rest
    kind = "top" if m.group("cmp").lower() in _MORE_WORDS else "least"
    return kind, rest[:m.start()] + " " * (m.end() - m.start()) + rest[m.end():]


def _cue_blanked(rest: str, kind: str) -> str:
    """The clause without its cue words, where a negation left over negates the cue ("does not ignore 'mess'"),
    while the cue's own ("no bearing", "not used") does not."""
    cue = dict(_CUES)[kind]
    return cue.sub(lambda m: " " * len(m.group(0)), rest)


_CUE_CLAUSE = re.compile(r";|,\s+(?:while|whereas|but|and)\s|\s(?:but|whereas|while)\s|\s[—–]\s", re.I)
_NEGATION_ANY = re.compile(rf"\b(?:not\b{NOT_IDIOM}|never|no|n't|neither|nor)\b|n't\b", re.I)


def word_frame_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None,
                      cited: Sequence[tuple[int, int]] = ()) -> list[Claim]:
    """Rank, comparison, strength and sign statements about words of the text, quoted or bare.

    A list of cited words (`cited`: their spans) stands for each of its members: the text is read once
    with each member in the list's place, and that member's claims are placed on its own span.
    """
    claims = _frame_claims(text, att, labels, label) + zero_claims(text, att, cited)
    for group in _lists(text, cited):
        a, b = group[0][0], group[-1][1]
        for ms, me in group:
            close = b + 1 if b < len(text) and text[b] in "\"'”’«*" else b
            variant = text[:a] + text[ms:me] + " " * (close - a - (me - ms)) + text[close:]
            for c in _frame_claims(variant, att, labels, label):
                if c.start == a:
                    claims.append(c.model_copy(update={"start": ms, "end": me, "text": text[ms:me]}))
    claims += _aside_claims(text, att, labels, label, cited)
    claims += cue_claims(text, att, labels, label, cited, [(c.start, c.end) for c in claims])
    seen: set[tuple[str, int, int]] = set()
    out = []
    for c in claims:
        if (c.kind, c.start, c.end) not in seen:
            seen.add((c.kind, c.start, c.end))
            out.append(c)
    return out


_MODEL_FIRST = re.compile(r"\b(?:model|classifier|network|system|explanation|attribution)\b", re.I)
"""A sentence whose subject is the model before it names the word: its 'it' is the model ("The model relies on
'mess', and it …")."""


def _aside_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None,
                  cited: Sequence[tuple[int, int]]) -> list[Claim]:
    """Statements read past an aside about a word ("'early', the last word of the review, has no influence") and
    about the word an 'it' refers back to ("'quickly' is the most loaded word here, and it has no influence"; "…,
    but the model ranks it only second"); see `asides`. Each claim sits on the word's own span."""
    claims = []
    for variant, a in appositive_variants(text, cited):
        claims += [c for c in _frame_claims(variant, att, labels, label) if c.start == a]
    for s0, s1 in sentence_spans(text):
        for p in pronoun_positions(text, s0, s1):
            before = [(a, b) for a, b in cited if s0 <= a < p and _word_scores(att, text[a:b])]
            named = before or _bare_subjects(text, s0, p, att, {lb.casefold() for lb in labels})
            if len({core(text[a:b]) for a, b in named}) != 1 or _MODEL_FIRST.search(text, s0, named[0][0]):
                continue  # 'it' stands for one word named before it, or is left unread
            a, b = named[-1]
            word = core(text[a:b])
            variant = text[:p] + word + text[p + 2:]
            shifted = [(x, y) if y <= p else (x + len(word) - 2, y + len(word) - 2) for x, y in cited if not x <= p < y]
            found = _frame_claims(variant, att, labels, label) + cue_claims(variant, att, labels, label, shifted, [])
            claims += [c.model_copy(update={"start": a, "end": b, "text": text[a:b]}) for c in found if c.start == p]
    return claims


def _matches(text: str) -> list[tuple[str, re.Match[str]]]:
    """Every (statement kind, match) of the frames and of the free comparative."""
    found = [(kind, m) for kind, pattern in _FRAMES for m in pattern.finditer(text)]
    for m in _COMPARATIVE.finditer(text):
        if re.search(r"\b(?:no|nothing|none)\b", m.group("mid"), re.I):
            continue  # "apart from 'but', no word matters more than 'terrible'": 'but' is set aside, not compared
        if not re.search(r"\b(?:than (?:any|all|every|the rest|other)|of (?:all|any))\b", text[m.start("cmp"): m.end()], re.I):
            found.append(("more" if m.group("cmp").lower() in _MORE_WORDS else "less", m))
    return found


_MORE_WORDS = {"more", "larger", "bigger", "greater", "higher", "stronger", "heavier", "weightier"}


_SUBSET = re.compile(r"\b(?:among|amongst|of)\s+(?:all\s+)?(?:the\s+|those\s+|these\s+)?(?:positive|negative|remaining|"
                     r"other|neutral|sentiment|content|negated|non-zero|\w+ly)\b[\w\s-]{0,20}?\b(?:words|tokens|ones|cues|"
                     r"signals)\b", re.I)
"""A rank within a subset of the words ("the weakest among the positive words", "of the remaining words, X matters
least"): no rank among all words, so left unread (bench/verifier/README.md, "Left out as ambiguous")."""
_NOT_FIRST = re.compile(r"\b(?:behind|after|apart from|besides|other than|except(?: for)?)\b[^.;!?]*$", re.I)


class _Stats:
    """The attribution's reference numbers every rule compares a word's score with."""

    def __init__(self, att: Attribution) -> None:
        scores = att.scores
        self.top = float(scores.max()) if scores.size else 0.0
        self.bottom = float(np.abs(scores).min()) if scores.size else 0.0
        self.max_pos = float(att.positive.max()) if scores.size else 0.0
        self.min_neg = float(scores.min()) if scores.size else 0.0
        self.distinct = {c: float(max(s for t, s in zip(att.cores, scores, strict=True) if t == c)) for c in att.cores}


def _judge(kind: str, x: str, xs: list[float], st: _Stats) -> tuple[bool, str]:
    """Whether a statement of `kind` about word `x` (its scores `xs`) holds, and the rule in words."""
    if kind == "top":
        return any(v >= st.top - 1e-12 for v in xs), f"the top score is {st.top:.4g}"
    if kind == "least":
        return any(abs(v) <= st.bottom + 1e-12 for v in xs), f"the smallest |score| is {st.bottom:.4g}"
    if kind == "second":
        return (any(sum(1 for w, s in st.distinct.items() if s > v + 1e-12 and w != core(x)) == 1 for v in xs),
                "exactly one distinct word must score higher")
    if kind == "strong_pos":
        return any(v > 0 and v >= 0.5 * st.max_pos for v in xs), f"strong: ≥ half the top positive {st.max_pos:.4g}"
    if kind == "weak_pos":
        return any(0 < v < 0.5 * st.max_pos for v in xs), f"weak: below half the top positive {st.max_pos:.4g}"
    if kind == "strong_neg":
        return any(v < 0 and v <= 0.5 * st.min_neg for v in xs), f"strong: ≤ half the most negative {st.min_neg:.4g}"
    if kind == "none":
        return any(abs(v) < 0.005 for v in xs), "no influence: |score| < 0.005"
    if kind == "most_neg":
        return any(v < 0 and v <= st.min_neg + 1e-12 for v in xs), f"the most negative score is {st.min_neg:.4g}"
    return any((v > 0) if kind == "pos" else (v < 0) for v in xs), f"should score {'>' if kind == 'pos' else '<'} 0"


def _word_claim(text: str, a: int, b: int, x: str, kind: str, xs: list[float], ok: bool, rule: str,
                negated: bool = False) -> Claim:
    shown = ", ".join(f"{v:.4g}" for v in xs[:4])
    return Claim(text=text[a:b], kind=f"word_{kind}", start=a, end=b, status="supported" if ok else "contradicted",
                 reason=f"score({x}) = {shown}; {rule}" + ("; negated" if negated else ""), subject=x,
                 fact=f"score({x}) = {shown}")


def _frame_claims(text: str, att: Attribution, labels: Sequence[str], label: str | None) -> list[Claim]:
    claims: list[Claim] = push_claims(text, att, labels, label) + removal_claims(text, att, labels, label)
    st = _Stats(att)
    found = _matches(text)
    # the words the statements are about are no negation of them ("Not leads the ranking, followed by 'easily'")
    masked = list(text)
    for _, m in found:
        for g in ("x", "y"):
            if g in m.re.groupindex and m.group(g):
                masked[m.start(g): m.end(g)] = " " * (m.end(g) - m.start(g))
    plain = "".join(masked)
    sentences = sentence_spans(text)
    for kind, m in found:
        x = m.group("x")
        if x.casefold() in ("the", "a", "an", "this") and re.match(r"\s+(?:word|token)\b", text[m.end("x"):], re.I):
            continue  # "The word ranked second is X": the article is no claim's subject
        xs = _word_scores(att, x)
        if not xs or core(x) in {lb.casefold() for lb in labels}:
            continue
        negated = bool(NEGATION.search(_QUOTED.sub(" ", plain[max(0, m.start() - 30): m.start()])))
        if kind in ("top", "second", "least") and any(s0 <= m.start() < s1 and _SUBSET.search(text, s0, s1)
                                                      for s0, s1 in sentences):
            continue  # a rank among some of the words only
        if kind in ("top", "least") and as_people_see_it(text, m.start(), m.end()):
            continue  # "the strongest word for a human reader": how the word reads, not its attribution
        if kind == "top" and _NOT_FIRST.search(text[max(0, m.start() - 50): m.start()]):
            continue  # "behind 'mess', the most important word is 'but'": a second place, read by its own pattern
        if kind in ("more", "less"):
            ys = _word_scores(att, m.group("y"))
            if not ys:
                continue
            ok = max(xs) > max(ys) if kind == "more" else max(xs) < max(ys)
            rule = f"score({m.group('y')}) = {max(ys):.4g}"
        elif kind == "strong_to":
            target = m.group("l").casefold()
            if label is None or target not in {lb.casefold() for lb in labels}:
                continue
            if target == label.casefold():
                ok, rule = _judge("strong_pos", x, xs, st)
            else:
                ok, rule = (any(v < 0 and v <= 0.5 * st.min_neg for v in xs),
                            f"strongly towards the other label: ≤ half the most negative {st.min_neg:.4g}")
        else:
            ok, rule = _judge(kind, x, xs, st)
        claims.append(_word_claim(text, m.start("x"), m.end("x"), x, kind, xs, ok != negated, rule, negated))
    return claims


def word_value_claims(text: str, att: Attribution) -> list[Claim]:
    """A score stated for a named word ("the attribution of not is -0.14"), quoted or bare."""
    claims = []
    for q in quantities(text):
        if q.bare or q.fraction or (q.percent and not q.text.lower().endswith("zero")):
            continue
        after = re.match(rf"\s+(?:for|to)\s+{_X}", text[q.end: q.end + 60], re.I)
        if after and re.search(rf"\b{_SCORE}\s+of\s+(?:about |around |roughly )?$", text[max(0, q.start - 40): q.start], re.I):
            xs = _word_scores(att, after.group("x"))
            if xs:
                ok = any(q.holds(v) for v in xs)
                shown = ", ".join(f"{v:.4g}" for v in xs[:4])
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                    status="supported" if ok else "contradicted",
                                    reason=f"score({after.group('x')}) = {shown}; {q.tolerance()}",
                                    subject=after.group("x"), fact=f"score({after.group('x')}) = {shown}"))
                continue
        before = text[max(0, q.start - 80): q.start]
        for pattern in _VALUE_FRAMES:
            m = pattern.search(before)
            if m is None:
                continue
            x = m.group("x")
            xs = _word_scores(att, x)
            if not xs:
                break
            ok = any(q.holds(v) for v in xs)
            shown = ", ".join(f"{v:.4g}" for v in xs[:4])
            claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                status="supported" if ok else "contradicted",
                                reason=f"score({x}) = {shown}; {q.tolerance()}", subject=x, fact=f"score({x}) = {shown}"))
            break
    return claims


def probability_claims(text: str, sentences: list[tuple[int, int]], labels: Sequence[str], predicted: str | None,
                       probability: float | None) -> list[Claim]:
    """A percentage (digits or words) bound to the label named in its sentence: p(predicted) is
    `probability`; with two labels, p(other) = 1 − `probability`."""
    claims = []
    lowered = {lb.casefold(): lb for lb in labels}
    for s0, s1 in sentences:
        sentence = text[s0:s1]
        about_p = bool(re.search(r"\b(probab\w*|confiden\w*|sure|certain|likel\w*|p\()", sentence, re.I)) and not \
            re.search(r"\b(score|attribution|weight|importance)\b", sentence, re.I)
        for q in quantities(text, s0, s1):
            if not q.percent and not (about_p and not q.bare and not q.fraction and q.value >= 0):
                continue
            if q.text.lower().endswith("zero") and not about_p:
                continue  # "scoring zero", "zero attribution": a score (see zero_claims), not a probability
            if probability is None or predicted is None:
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end, status="unverifiable",
                                    reason="a percentage, and no probability was given"))
                continue
            named = [(m.start(), lowered[w.casefold()]) for m in re.finditer(r"[\w-]+", text[s0:s1])
                     if (w := m.group(0)).casefold() in lowered]
            subject = predicted
            if named:
                subject = min(named, key=lambda n: abs(s0 + n[0] - q.start))[1]
            if subject.casefold() == predicted.casefold():
                value = probability
            elif len(labels) == 2:
                value = 1 - probability
            else:
                claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end, status="unverifiable",
                                    reason=f"p({subject}) is not known", subject=subject))
                continue
            ok = q.holds(value)
            claims.append(Claim(text=q.text, kind="number", start=q.start, end=q.end,
                                status="supported" if ok else "contradicted",
                                reason=f"p({subject}) = {value:.4g}; {q.tolerance()}", subject=subject,
                                fact=f"p({subject}) = {value:.4g}"))
    return claims
