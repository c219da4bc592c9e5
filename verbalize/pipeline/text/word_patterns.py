"""The pattern vocabulary of statements about words of a text (issue 10): how LLMs write a word (bare, quoted,
curly-quoted, bold), the verbs and nouns of importance, and the statement frames built from them ("the most
important word is X", "X outweighs Y", "X has a score of …"). The claim readers (`word_claims`, `word_cues`,
`word_signs`, `word_numbers`) share these so that a word is recognised the same way everywhere.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Rules and thresholds: bench/verifier/README.md, "Text (token attributions)".

CONNECTIVES = frozenset("and or which that who it then also".split())
"""Words a bare-word pattern must not take for the word it is about ("'first' is a position word and carries no weight")."""
_ROLE = (r"(?:(?:function|content|sentiment|opinion|stop|filler|negation|emotion|key) ?word|word|token|term|adjective|adverb|noun|"
         r"verb|intensifier|negation|negator|conjunction|connective|qualifier|modifier|booster|amplifier|pronoun|determiner|"
         r"article|preposition|particle|(?:contrast|discourse) marker|contrastive conjunction)")
"""What an explanation calls a word before naming it: "the intensifier total", "the contrast marker but"."""
_W = r"(?:the " + _ROLE + r"\s+)?(?:\*\*)?[\"'“‘»`]?(?P<{n}>[^\s\"'“”‘’»«`,.;:!?()*]+)[\"'”’«`]?(?:\*\*)?"
"""A word as LLMs write it: bare, quoted, curly-quoted or in markdown bold."""
PAT_X, PAT_Y, PAT_X2 = _W.format(n="x"), _W.format(n="y"), _W.format(n="x2")
PAT_NOUN = r"(?:\s+(?:word|token))?"
PAT_SCORE = r"(?:score|attribution|importance|weight|contribution|value|impact|influence|effect)"

PAT_IMP = r"(?:important|influential|relevant|salient|decisive|significant)"
PAT_HAS = (r"(?:has|have|had|gets|get|got|receives|receive|received|carries|carry|carried|shows|holds|hold|"
           r"(?:ends?|ended|winds?|wound|comes?|came) (?:up|out) with)")
PAT_IS = r"(?:is|are|was|were|turns out to be|appears to be|seems to be|stands out as|emerges as|remains)"
PAT_BIG = r"(?:highest|largest|biggest|greatest|strongest|top)"
_WEIGHS = (r"\b(?:weighs|weighed|weights|weighted|values|valued|rates|rated|ranks|ranked|favou?rs|favou?red|"
           r"prioriti[sz]es|prioriti[sz]ed|emphasi[sz]es|emphasi[sz]ed|counts|counted)")
_SMALL = r"(?:lowest|smallest|weakest|least)"
_QX = r"(?:\*\*|[\"'“‘»`])(?P<x>[^\s\"'“”‘’»«`,.;:!?()*]+)(?:\*\*|[\"'”’«`])"
"""A quoted or bold word (a frame that reaches far for its verb must not take any bare word for X)."""
_DEGREE = (r"(?:clearly|far|easily|much|slightly|comfortably|also|still|narrowly|significantly|substantially|considerably|"
           r"greatly|marginally|well|just|decisively|handily|actually|really|indeed|in fact|even|still|now|also|again)")
"""An adverb between a word and its comparison verb ("X clearly outweighs Y")."""
_WHERE = r"(?:\s+(?:in|of|for|according to|from|across|among|within|by)\b[^,.;:!?\"'“”‘’*`]{0,40}?|\s+(?:here|overall|so far))?"
"""Where a rank holds, between the rank and its copula ("the least important token according to the attribution is X")."""
_COPULA = (r"(?:is|was|appears to be|seems to be|looks to be|looks like|turns out to be|proves to be|is clearly|is probably|"
           r"is likely)")
"""'is' as explanations hedge it ("the least important word appears to be X")."""
_ON_WHAT = r"(?: on (?:the )?(?:outcome|prediction|model|decision|classifier|output|result|verdict|label))?"
"""What a word's effect is on ("a bigger effect on the outcome than Y")."""
_SIZE_WEAK = r"small|weak|slight|modest|low|minor|tiny|marginal|limited"
_SIZE_STRONG = r"large|strong|big|high|substantial|sizable|sizeable|considerable"
FRAMES: list[tuple[str, re.Pattern[str]]] = [(kind, re.compile(p, re.I)) for kind, p in [
    ("second", rf"\bsecond[- ](?:most {PAT_IMP}|{PAT_BIG}(?:[- ]scoring)?|strongest){PAT_NOUN}{_WHERE}(?:\s+{_COPULA}\s+|\s*:\s*){PAT_X}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was|ranks|ranked|comes|came|places|placed|follows)\s+(?:ranked\s+)?(?:in\s+)?(?:the\s+)?"
               rf"(?:second[- ]most {PAT_IMP}|second(?:[- ]{PAT_BIG}(?:[- ]scoring)?)?|runner-up|next most {PAT_IMP})\b"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} the second[- ]{PAT_BIG} {PAT_SCORE}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+(?:takes|took|is in|was in|holds|comes in) second place"),
    ("second", rf"\bsecond[- ](?:{PAT_BIG}|most {PAT_IMP})(?:[- ]scoring)? (?:word|token)\s+(?:is|was)\s+{PAT_X}"),
    ("second", rf"\b(?:runner-up among the words|second place among the words) (?:is|was)\s+{PAT_X}"),
    ("least", rf"\bleast {PAT_IMP}{PAT_NOUN}{_WHERE}(?:\s+{_COPULA}\s+|\s*:\s*){PAT_X}"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was|ranks?)\s+(?:the|one of the|among the)\s+least {PAT_IMP}"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+(?:matters?|counts?|contributes?) (?:the )?least\b"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was)\s+(?:the|one of the|among the)\s+(?:least (?!{PAT_IMP})\w+|weakest|"
              rf"lowest-ranked|lowest-ranking)\b"),
    ("least", rf"\b(?:least (?!{PAT_IMP})\w+|weakest|lowest-ranked)(?:\s+(?:word|token))?\s+(?:is|was)\s+{PAT_X}"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+(?:ranks|ranked|comes|came|is|was)(?: ranked)? last\b"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} (?:the|one of the) {_SMALL} (?:absolute )?(?:{PAT_SCORE}|influence|impact|effect)s?"),
    ("least", rf"\b(?:word|token) with the {_SMALL} (?:absolute )?{PAT_SCORE} (?:is|was)\s+{PAT_X}"),
    ("top", rf"(?<!second )(?<!second-)(?<!least )\b(?:most {PAT_IMP}|strongest|highest-scoring|top|key|decisive)"
            rf"{PAT_NOUN}{_WHERE}(?:\s+{_COPULA}\s+|\s*:\s*){PAT_X}"),
    ("top", rf"\bthe (?:word|token) that (?:matters|counts|contributes) most (?:is|was)\s+{PAT_X}"),
    ("top", rf"\b(?:word|token) with the {PAT_BIG} {PAT_SCORE} (?:is|was)\s+{PAT_X}"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was)\s+the\s+(?:single\s+)?(?:most {PAT_IMP}|strongest|highest-scoring|top|key)\b"
            rf"(?! (?:\w+ )?(?:than|after|behind))"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was)\s+the (?:word|token) that [^.;]{{0,40}}?\bmost\b"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:matters?|counts?|contributes?|weighs?) (?:the )?most\b"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} the {PAT_BIG} (?:{PAT_SCORE}|influence|impact|effect)\b(?! (?:\w+ )?than)"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:ranks|ranked|comes|came|is|was)(?: ranked)? first\b"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:drives|drove|influences|influenced|affects|affected|shapes|moves|sways|changes)(?: the "
            rf"(?:prediction|model|decision|output|classifier|score))? (?:the )?most\b"),
    ("top", rf"\bremoving {PAT_X}{PAT_NOUN}\s+(?:changes|changed|affects|moves|shifts|lowers)(?: the (?:prediction|output|"
            rf"score|probability))? (?:the )?most\b"),
    ("more", rf"{PAT_X}{PAT_NOUN}\s+(?:{_DEGREE}\s+)?(?:outweighs|outweighed|outranks|outranked|beats|dominates|"
             rf"(?:matters|mattered|counts|counted|weighs|weighed|contributes|contributed) more than|"
             rf"(?:is|was) (?:more {PAT_IMP}|weightier|stronger) than|{PAT_HAS} (?:an? )?(?:larger|higher|bigger|greater|stronger)"
             rf" {PAT_SCORE}{_ON_WHAT} than|{PAT_HAS} more (?:influence|weight|impact){_ON_WHAT} than|scores? (?:higher than|above)|"
             rf"ranks? (?:higher than|above)|(?:is|was) ahead of|carries more weight than|counts for more than|"
             rf"(?:is|was) weighted more (?:heavily )?than|{PAT_HAS} more (?:influence|weight|impact) than)\s+"
             rf"(?:even\s+)?(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("more", rf"{PAT_X}'s {PAT_SCORE} (?:is|was) (?:higher|larger|bigger|greater|stronger) than (?:that of |the {PAT_SCORE} of )?"
             rf"{PAT_Y}"),
    ("less", rf"{PAT_X}'s {PAT_SCORE} (?:is|was) (?:lower|smaller|weaker) than (?:that of |the {PAT_SCORE} of )?{PAT_Y}"),
    ("less", rf"{PAT_X}{PAT_NOUN}\s+(?:(?:matters|mattered|counts|counted|weighs|weighed|contributes|contributed) less than|"
             rf"(?:is|was) less {PAT_IMP} than|{PAT_HAS} (?:an? )?(?:smaller|lower|weaker) {PAT_SCORE}{_ON_WHAT} than|"
             rf"{PAT_HAS} less (?:influence|weight|impact) than|scores? (?:lower than|below)|ranks? (?:lower than|below)|"
             rf"(?:is|was) (?:outweighed|outranked) by|(?:is|was) behind)\s+(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("strong_pos", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} an? (?:very )?(?:strong|strongly|large|high|big|substantial|sizable)"
                   rf"(?:ly)? positive {PAT_SCORE}"),
    ("strong_pos", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) (?:very |strongly )positive"),
    ("strong_to", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) strongly attributed (?:towards|to)\s+(?:the\s+)?(?P<l>[\w-]+)"),
    ("strong_to", rf"{PAT_X}{PAT_NOUN}\s+(?:(?:pushes|pulls|contributes|points) strongly|strongly (?:pushes|pulls|points))"
                  rf"(?: the (?:prediction|model|classifier))? (?:towards|toward|to)\s+(?:the\s+)?(?P<l>[\w-]+)"),
    ("weak_pos", rf"{PAT_X}{PAT_NOUN}\s+(?:only\s+)?{PAT_HAS} (?:only )?an? (?:weak|weakly|small|slight|slightly|low|modest|minor)"
                 rf" positive {PAT_SCORE}"),
    ("weak_pos", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) (?:only )?(?:weakly|slightly|mildly) (?:positive|attributed)"),
    ("strong_neg", rf"{PAT_X}{PAT_NOUN}\s+(?:strongly (?:pushes|pulls|speaks|argues|counts|works) against|{PAT_HAS} an? "
                   rf"(?:strong|large|high|big|substantial)(?:ly)? negative {PAT_SCORE}|(?:is|was) strongly negative)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:has|had) no (?:influence|effect|impact|weight|role|attribution)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:has|had|gets|got) (?:a )?(?:zero|null) (?:{PAT_SCORE}|attribution)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:does|did) not (?:affect|influence|change|matter|move)\b"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:plays|played) no (?:role|part)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) neutral\b"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} an? neutral {PAT_SCORE}"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) irrelevant"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+contributes nothing"),
    ("none", rf"\bremoving {PAT_X}{PAT_NOUN}\s+(?:changes|changed) nothing"),
    # "the attribution for X is positive but small": the size decides the claim (a bare sign would read it as true)
    *[(kind, rf"{subject}\s+(?:is|was) {size}\b") for subject in (rf"\b{PAT_SCORE} (?:for|of) {PAT_X}{PAT_NOUN}",
                                                              rf"{PAT_X}(?:'s){PAT_NOUN}\s+{PAT_SCORE}")
      for kind, size in (("weak_pos", rf"(?:positive,?\s+(?:but|and|yet)\s+(?:only\s+)?(?:{_SIZE_WEAK})|(?:{_SIZE_WEAK}),?\s+"
                                      rf"(?:but\s+|and\s+|yet\s+)?positive)"),
                         ("strong_pos", rf"(?:positive,?\s+(?:and|but)\s+(?:{_SIZE_STRONG})|(?:{_SIZE_STRONG}),?\s+(?:and\s+)?"
                                        rf"positive)"))],
    ("pos", rf"\b{PAT_SCORE} (?:for|of) {PAT_X}{PAT_NOUN}\s+is positive"),
    ("neg", rf"\b{PAT_SCORE} (?:for|of) {PAT_X}{PAT_NOUN}\s+is negative"),
    ("pos", rf"{PAT_X}(?:'s)?{PAT_NOUN}\s+{PAT_SCORE} is positive"),
    ("pos", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} an? positive {PAT_SCORE}"),
    ("pos", rf"{PAT_X}{PAT_NOUN}\s+(?:scores|scored) positive(?:ly)?"),
    ("pos", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) positively (?:attributed|weighted|scored)"),
    ("pos", rf"{PAT_X}{PAT_NOUN}\s+contributes positively"),
    ("neg", rf"{PAT_X}(?:'s)?{PAT_NOUN}\s+{PAT_SCORE} is negative"),
    ("neg", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} an? negative {PAT_SCORE}"),
    ("neg", rf"{PAT_X}{PAT_NOUN}\s+(?:scores|scored) negative(?:ly)?"),
    ("neg", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was) negatively (?:attributed|weighted|scored)"),
    ("neg", rf"{PAT_X}{PAT_NOUN}\s+contributes negatively"),
    # round 2: the shapes LLM explanations give these statements (issue 10)
    ("top", rf"\b(?:word|token) that (?:matters|counts|contributes|weighs)\s+(?:the )?most\b[^.;]{{0,40}}?\b(?:is|was)\s+{PAT_X}"),
    ("top", rf"(?<!second )(?<!second-)\b(?:key|main|primary|biggest|strongest|largest) (?:driver|factor|signal|contributor|"
            rf"cue|indicator|evidence)\b[^.;\"'“”*]{{0,40}}?\b(?:is|was|comes from|came from)\s+{PAT_X}"),
    ("top", rf"(?<!second )(?<!second-)\b{PAT_BIG} (?:{PAT_SCORE}|importance)(?: score)?{_WHERE} (?:goes to|went to|belongs to|is assigned to|"
            rf"is given to|falls on|is held by)\s+{PAT_X}"),
    ("top", rf"\b(?:hinge[sd]?|rel(?:ies|ied|y)|depend(?:s|ed)?|rest(?:s|ed)?|focus(?:es|ed)?|draw(?:s|n)?|turn(?:s|ed)?|lean(?:s|ed)?)\s+"
            rf"(?:above all|most heavily|most strongly|most|mostly|mainly|largely|chiefly|primarily|principally)\s+on\s+{PAT_X}"),
    ("top", rf"\b(?:mostly|mainly|largely|chiefly|primarily|principally) (?:hinge[sd]?|rel(?:ies|ied|y)|depend(?:s|ed)?|rest(?:s|ed)?|"
            rf"focus(?:es|ed)?|lean(?:s|ed)?|turn(?:s|ed)?)\s+on\s+{PAT_X}"),
    ("top", rf"\b(?:mostly|mainly|largely|chiefly|primarily|principally) (?:because of|due to|thanks to|on account of)\s+{PAT_X}"),
    ("top", rf"\b(?:word|token|term) that (?:most|best) \w+\b[^.;]{{0,30}}?\b(?:is|was)\s+{PAT_X}"),
    ("top", rf"\bwhat (?:really |most |actually |finally )?(?:tipped|swayed|decided|drove|moved|convinced|pushed|triggered) "
            rf"(?:the (?:model|classifier|prediction|decision|scales|balance))?[^.;,]{{0,20}}?\b(?:was|is)\s+{PAT_X}"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:clearly |completely |simply )?dominates (?:the )?(?:prediction|decision|attribution|ranking|"
            rf"explanation|outcome|output|model|classifier|verdict|scores?)\b"),
    ("more", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was)\s+(?:weighted|ranked|rated|scored|placed|valued)\s+(?:far |well |clearly )?(?:above|higher than|"
             rf"over|ahead of)\s+(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("less", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was)\s+(?:weighted|ranked|rated|scored|placed|valued)\s+(?:far |well |clearly )?(?:below|lower than|"
             rf"under|behind)\s+(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("second", rf"\bsecond (?:only )?to {PAT_Y}{PAT_NOUN},?\s+(?:is|comes|sits|stands|was|came)\s+{PAT_X}"),
    ("more", rf"\b(?:favou?rs?|favou?red|prefers?|preferred|prioriti[sz]es|prioriti[sz]ed|values|valued|weights?|weighted) {PAT_X}{PAT_NOUN}"
             rf"\s+(?:far |much |clearly )?over\s+(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("top", rf"\babove all\b[^.;\"'“”*]{{0,40}}?\b(?:attends|looks|focuses|relies)\s+(?:to|on|at)\s+{PAT_X}"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+(?:clearly\s+|by far\s+)?the\s+(?:single\s+)?(?:dominant|strongest|biggest|largest|"
            rf"most important|most influential|main)\b(?! (?:\w+ )?(?:than|after|behind))"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+the (?:word|token) (?:that )?(?:the (?:model|classifier) )?[^.;]{{0,30}}?\bmost\b"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} the (?:top|highest|largest|biggest|strongest) (?:importance|attribution|{PAT_SCORE})"),
    ("least", rf"\bleast (?:{PAT_IMP}|relevant)\s+(?:word|token)s?\b[^.;\"'“”*]{{0,30}}?\b(?:is|are|was|were)\s+{PAT_X}"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+(?:one of |among )?the (?:words?|tokens?) (?:that )?(?:matters?|counts?|contributes?)"
              rf" (?:the )?least"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} the (?:least|lowest|smallest) (?:weight|importance|attention|influence|attribution|"
              rf"impact|effect)"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+{PAT_HAS} the (?:smallest|lowest) (?:absolute )?(?:{PAT_SCORE})s?"),
    ("least", rf"\b(?:pays|paid|gives|gave|pay|give) the least (?:attention|weight|importance) to\s+{PAT_X}"),
    ("least", rf"\bbottom of the (?:importance )?ranking (?:sits|is|comes|are)\s+{PAT_X}"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+(?:one of |among )?the least {PAT_IMP}"),
    ("second", rf"\bsecond[- ](?:{PAT_BIG}|most {PAT_IMP})\b[^.;\"'“”*]{{0,30}}?\b(?:comes from|came from|belongs to|goes to|"
               rf"is|was)\s+{PAT_X}"),
    ("second", rf"\b(?:right |just |directly |immediately )?behind {PAT_Y}{PAT_NOUN}(?: in (?:importance|the ranking))?,?\s+"
               rf"(?:is|comes|sits|follows|was|came)\s+{PAT_X}"),
    ("second", rf"\bnext most {PAT_IMP}(?: (?:word|token))?(?: after {PAT_Y})?\s+(?:is|was)\s+{PAT_X}"),
    ("second", rf"\btwo most {PAT_IMP} (?:words|tokens) (?:are|were)\s+{PAT_Y}\s*,?\s*(?:and|followed by)\s+{PAT_X}"),
    ("second", rf"\bsecond in (?:importance|the ranking|rank)\s+(?:comes?|is|was|sits|stands)\s+{PAT_X}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+second\b"),
    ("second", rf"\brunner-up (?:word|token) (?:is|was)\s+{PAT_X}"),
    ("more", rf"\b(?:relies|rely|relied|depends|depend|focuses|draws) more (?:heavily |strongly )?on {PAT_X}{PAT_NOUN}\s+than "
             rf"(?:on\s+)?{PAT_Y}"),
    ("more", rf"\bcompared (?:with|to)\s+{PAT_Y}{PAT_NOUN},?\s+{PAT_X}{PAT_NOUN}\s+(?:\w+\s+){{0,3}}?(?:more|larger|bigger|greater)\b"),
    # round 5: the word as the object of a weighing verb ("the model weighs X more heavily than Y")
    ("more", rf"{_WEIGHS}\s+{PAT_X}{PAT_NOUN}\s+(?:far |much )?(?:more|higher)(?: heavily| strongly| highly)?\s+than\s+"
             rf"(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("less", rf"{_WEIGHS}\s+{PAT_X}{PAT_NOUN}\s+(?:far |much )?(?:less|lower)(?: heavily| strongly| highly)?\s+than\s+"
             rf"(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("less", rf"\bcompared (?:with|to)\s+{PAT_Y}{PAT_NOUN},?\s+{PAT_X}{PAT_NOUN}\s+(?:\w+\s+){{0,3}}?(?:less|smaller|lower)\b"),
    ("less", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was|are|were) (?:overshadowed|eclipsed|dwarfed|outweighed|outranked|outscored) by\s+{PAT_Y}"),
    ("weak_pos", rf"{PAT_X}{PAT_NOUN}\s+(?:adds|makes|gives|provides|{PAT_HAS})\s+(?:only\s+)?an? (?:slight|small|weak|marginal|minor|modest|"
                 rf"tiny|limited)(?:ly)? positive (?:{PAT_SCORE}|contribution|push)"),
    ("strong_to", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+an? (?:strong|powerful) (?:indicator|signal|sign|predictor|cue) (?:of|for)\s+"
                  rf"(?:the\s+)?(?P<l>[\w-]+)"),
    ("strong_pos", rf"\bassigns?\s+{PAT_X}{PAT_NOUN}\s+an? (?:very )?(?:high|large|strong|big) positive {PAT_SCORE}"),
    ("none", rf"\b(?:essentially |completely |largely |simply )?ignores?\s+{PAT_X}"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:has|have|had) no (?:influence|effect|impact|weight|role|attribution)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:carry|carries|carried) no (?:weight|importance|influence)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:contribute|contributes|contributed) nothing"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:play|plays|played) no (?:role|part)"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:do|does|did) not (?:affect|influence|change|matter|move)\b"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS} (?:irrelevant|neutral)\b"),
    # round 4's shapes (issue 10)
    ("top", rf"\bit is {PAT_X}{PAT_NOUN} that\b[^.;]{{0,40}}?\b(?:above all|the most|most)\b"),
    ("top", rf"\b(?:top|highest|first)-ranked (?:word|token)\s+(?:is|was)\s+{PAT_X}"),
    ("second", rf"\bbehind {PAT_Y}{PAT_NOUN},?\s+the (?:most {PAT_IMP}|strongest|biggest|top) (?:word|token)\s+(?:is|was)\s+{PAT_X}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+trails? only\s+{PAT_Y}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was|comes|came|finishes|finished|runs|ran) an? (?:close|distant|clear) second (?:to|behind)\s+{PAT_Y}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+(?:follows|followed) (?:closely |right |just |directly )?(?:behind|after)\s+{PAT_Y}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+(?:ranks?|ranked|sits?|comes?|came) (?:just|right|immediately|directly) (?:below|under|beneath|underneath|after|behind)"
               rf"\s+{PAT_Y}"),
    ("second", rf"{PAT_Y}{PAT_NOUN}\s+(?:is|was) (?:closely )?followed by\s+{PAT_X}"),
    ("less", rf"{PAT_X}{PAT_NOUN}\s+(?:lags?|lagged|trails?|trailed|falls?|fell) behind\s+{PAT_Y}"),
    ("more", rf"\b(?:influence|importance|weight|attribution|score|impact|contribution) of {PAT_X}{PAT_NOUN}\s+(?:exceeds|exceeded|"
             rf"surpasses|surpassed|is (?:greater|larger|higher|bigger) than)\s+(?:that of\s+)?{PAT_Y}"),
    # round 3's shapes (issue 10)
    ("none", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+(?:effectively |essentially |largely |completely |simply )?ignored\b"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+(?:ranks?|ranked|sits?|is|comes?|ends up)\s+(?:at\s+)?(?:the\s+)?(?:very\s+)?bottom\b"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+the one (?:that|which) (?:matters|counts|contributes) (?:the )?least"),
    ("least", rf"{PAT_X}{PAT_NOUN}\s+(?:[\w']+\s+){{0,3}}?(?:less|smaller|lower|weaker)\b[^.;]{{0,30}}?\bthan (?:any|every|all) "
              rf"(?:of the )?other (?:words?|tokens?)"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:[\w']+\s+){{0,3}}?(?:more|larger|higher|greater|stronger|bigger)\b[^.;]{{0,30}}?\bthan "
            rf"(?:any|every|all) (?:of the )?other (?:words?|tokens?)"),
    ("top", rf"\b(?:nothing|no (?:other )?(?:word|token))\s+(?:weighs|matters|counts|contributes|scores)\s+more(?: [^,.;:!?]{{0,40}}?)?"
            rf" than\s+{PAT_X}"),
    # a comparison in a participle after the word's clause ("Think of 'terrible' as the heavier weight, outweighing 'but'")
    ("more", rf"{_QX}[^.;:!?]{{0,60}}?,\s+(?:{_DEGREE}\s+)?(?:outweighing|outranking|outscoring|overshadowing|eclipsing|dwarfing|"
             rf"trumping|beating)\s+(?:even\s+)?(?:the (?:word|token)\s+)?{PAT_Y}"),
    ("less", rf"{_QX}[^.;:!?]{{0,60}}?,\s+(?:trailing|lagging behind|outweighed by|outranked by|overshadowed by|eclipsed by)\s+"
             rf"(?:the (?:word|token)\s+)?{PAT_Y}"),
    # "X is not neutral": some influence
    ("some", rf"{PAT_X}{PAT_NOUN}\s+(?:is|was)\s+(?:not|n't|never|far from|anything but)\s+(?:neutral|irrelevant|ignored|inert)\b"),
    # symbolic comparisons and signs, as notebooks write them: "boring > jokes", "attribution(great) > attribution(easily)",
    # "score(not) < 0", "sign of clean: negative"
    ("more", rf"(?:\b{PAT_SCORE}\s*\(\s*)?{PAT_X}\s*\)?\s*>\s*(?:{PAT_SCORE}\s*\(\s*)?{PAT_Y}"),
    ("less", rf"(?:\b{PAT_SCORE}\s*\(\s*)?{PAT_X}\s*\)?\s*<\s*(?:{PAT_SCORE}\s*\(\s*)?{PAT_Y}"),
    ("pos", rf"(?:\b{PAT_SCORE}\s*\(\s*)?{PAT_X}\s*\)?\s*>\s*0(?:\.0+)?(?!\.?\d)"),
    ("neg", rf"(?:\b{PAT_SCORE}\s*\(\s*)?{PAT_X}\s*\)?\s*<\s*0(?:\.0+)?(?!\.?\d)"),
    ("pos", rf"\bsign of {PAT_X}\s*(?::|is|=)\s*positive\b"),
    ("neg", rf"\bsign of {PAT_X}\s*(?::|is|=)\s*negative\b"),
    ("top", rf"\b(?:nothing|no (?:other )?(?:word|token|term)|none of the other (?:words|tokens))\s+(?:else\s+)?(?:outranks|beats|tops|"
            rf"exceeds|outweighs|surpasses|outscores|rivals|eclipses|overshadows|comes close to|matches)\s+{PAT_X}"),
    ("top", rf"{PAT_X}{PAT_NOUN}\s+(?:leads|tops|heads|led|topped|headed) the (?:importance )?(?:ranking|list)"),
    ("second", rf"\b(?:word|token) ranked (?:second|2nd|number two)\s+(?:is|was)\s+{PAT_X}"),
    ("second", rf"\b(?:leads?|led|tops?|heads?) the (?:importance )?(?:ranking|list)\b,?\s+(?:closely )?followed (?:closely )?"
               rf"by\s+{PAT_X}"),
    ("second", rf"\bin second place,?\s+(?:we find|we have|we see|is|comes|sits|there is|stands)\s+{PAT_X}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+(?:holds|takes|occupies|has|is in|sits in) the (?:number[- ]two|no\. 2|second|#2) "
               rf"(?:spot|place|position|rank)"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+only (?:surpassed|outranked|beaten|topped|exceeded|outscored) by\s+{PAT_Y}"),
    ("none", rf"{PAT_X}{PAT_NOUN}\s+(?:get|gets|got|receive|receives|received|have|has|had)(?: an?)? (?:zero|null) (?:{PAT_SCORE}|attribution)"),
    # round 6: a first place set aside makes a second one ("apart from 'not', no word matters more than 'great'")
    ("second", rf"\b(?:apart from|besides|except(?: for)?|other than|aside from)\s+{PAT_Y}{PAT_NOUN},?\s+(?:nothing|no (?:other )?"
               rf"(?:word|token))\s+(?:weighs|matters|counts|contributes|scores)\s+more than\s+{PAT_X}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+(?:the\s+)?(?:most {PAT_IMP}|strongest|biggest|heaviest|top|highest-scoring)(?:\s+(?:word|token))?"
               rf",?\s+(?:after|behind|apart from|besides|other than|except(?: for)?)\s+{PAT_Y}"),
    ("second", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+next(?: in (?:importance|line|the ranking|rank))?,?\s+(?:after|behind)\s+{PAT_Y}"),
    # round 10: "only Y ranks higher than X" (one word above X is a second place)
    ("second", rf"{PAT_X}{PAT_NOUN}\s+{PAT_IS}\s+(?:surpassed|outranked|beaten|topped|exceeded|outscored|outdone|bested|eclipsed) only "
               rf"by\s+{PAT_Y}"),
    ("second", rf"\bonly {PAT_Y}{PAT_NOUN}\s+(?:ranks?|scores?|matters?|counts?|weighs?|comes?|sits?|is|stands?) (?:higher|above|more|"
               rf"ahead)(?: than| of)?\s+{PAT_X}"),
]]
COMPARATIVE = re.compile(
    r"(?:\*\*|[\"'“‘»`])(?P<x>[^\s\"'“”‘’»«`,.;:!?()*]+)(?:\*\*|[\"'”’«`])"
    r"(?P<mid>(?:(?!\bthan\b)[^.;:!?\"'“”‘’*»«]){0,60}?)\b(?P<cmp>more|larger|bigger|greater|higher|stronger|heavier|"
    r"weightier|less|smaller|lower|weaker)\b(?:(?!\bthan\b)[^.;:!?\"'“”‘’*»«]){0,50}?\bthan\s+"
    r"(?:on\s+|that of\s+|the " + _ROLE + r"\s+|for\s+|does\s+|do\s+)?"
    r"(?:\*\*)?[\"'“‘»`]?(?P<y>[^\s\"'“”‘’»«`,.;:!?()*]+)", re.I)
"""'X plays a larger role than Y', 'X is less important to the classifier than Y': X quoted or bold, any verb
phrase around the comparative (a bare X would let any word of the sentence stand in for it)."""
VALUE_FRAMES = [re.compile(p, re.I) for p in [
    rf"\b{PAT_SCORE} (?:for|of) {PAT_X}{PAT_NOUN}\s+(?:is|was|comes to|equals|of)\s+(?:about |around |roughly )?$",
    rf"{PAT_X}(?:'s){PAT_NOUN}\s+{PAT_SCORE} (?:is|was|comes to|equals|of)\s+(?:about |around |roughly )?$",
    rf"{PAT_X}{PAT_NOUN}\s+(?:has|gets|receives|carries) (?:a {PAT_SCORE} of\s+)?(?:about |around |roughly )?$",
    rf"{PAT_X}{PAT_NOUN}\s+(?:has|gets|receives|carries) an? {PAT_SCORE} of\s+(?:about |around |roughly )?$",
    rf"{PAT_X}{PAT_NOUN}\s+(?:scores|scored)\s+(?:about |around |roughly )?$",
    rf"{PAT_X}{PAT_NOUN}\s+(?:is|was|sits|comes in|stands|scores) at\s+(?:about |around |roughly )?$",
    rf"{PAT_X}{PAT_NOUN}\s+(?:contributes|contributed|adds|added)\s+(?:about |around |roughly )?$",
]]

QUOTED = re.compile(r"\*\*[^*]*\*\*|`[^`]*`|[\"“][^\"”]*[\"”]|(?<!\w)['‘][^'’]*['’](?!\w)")
"""A quoted or bold word: the word 'not' named in a text is no negation of it."""


_LIST_GAP = re.compile(r"[\"'”’«*`]*\s*(?:,\s*(?:and|or)\s+|,\s*|\s+(?:and|or)\s+)[\"'“‘»*`]*")
"""What stands between two members of a list of cited words: "'food', 'service' and 'plot'"."""


def cited_lists(text: str, spans: Sequence[tuple[int, int]]) -> list[list[tuple[int, int]]]:
    """Runs of two or more cited words separated only by commas, 'and' or 'or'."""
    groups: list[list[tuple[int, int]]] = []
    for a, b in spans:
        if groups and _LIST_GAP.fullmatch(text, groups[-1][-1][1], a):
            groups[-1].append((a, b))
        else:
            groups.append([(a, b)])
    return [g for g in groups if len(g) > 1]


MORE_WORDS = {"more", "larger", "bigger", "greater", "higher", "stronger", "heavier", "weightier"}


SUBSET = re.compile(r"\b(?:among|amongst|of)\s+(?:all\s+)?(?:the|those|these)\s+(?:two|three|four|five|six|\d+)\b|"
                    r"\b(?:among|amongst|of)\s+(?:all\s+)?(?:the\s+|those\s+|these\s+)?(?:positive|negative|remaining|"
                     r"other|neutral|sentiment|content|negated|non-zero|\w+ly)\b[\w\s-]{0,20}?\b(?:words|tokens|ones|cues|"
                     r"signals)\b", re.I)
"""A rank within a subset of the words ("the weakest among the positive words", "of the remaining words, X matters
least"): no rank among all words, so left unread (bench/verifier/README.md, "Left out as ambiguous")."""
