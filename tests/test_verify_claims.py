"""Issue 10: claims bound to their subject, numbers as people write them, negation and change, unquoted
words in text attributions, cited fact ids, the public API, and a `verbalize verify` without torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import llm_fixtures
import pytest

import verbalize
from verbalize.pipeline.image.types import FactSheet
from verbalize.pipeline.image.verify import verify_text

llama_server = llm_fixtures.llama_server
ROOT = Path(__file__).resolve().parents[1]
CHELSEA_JSON = ROOT / "tests/data/explanations/chelsea.json"
BENCH = ROOT / "bench/verifier"


def sheet(name: str) -> FactSheet:
    return FactSheet.model_validate(json.loads((BENCH / "facts" / f"{name}.json").read_text()))


def statuses(text: str, name: str = "chelsea") -> list[str]:
    return [c.status for c in verify_text(text, sheet(name)).claims if c.status != "unverifiable"]


@pytest.mark.parametrize(("text", "name", "want"), [
    # the issue's examples: each false sentence now has a contradicted claim
    ("The model is 80% confident that the image shows a tiger cat.", "chelsea", False),
    ("The model predicts espresso with 10% probability.", "coffee", False),
    ("Removing the object does not lower the probability.", "chelsea", False),
    ("Removing the object does not lower the probability.", "chelsea_eigencam", True),
    ("The model classifies the image as a golden retriever.", "chelsea", False),
    ("Masking out the object barely changes the prediction.", "chelsea", False),
    ("Even with the object removed, the model stays 80% confident.", "chelsea", False),
    ("The model focused mainly on the background rather than on the object.", "chelsea", False),
    ("The model focused mainly on the background rather than on the object.", "chelsea_eigencam", True),
    ("The network is eighty-five percent confident that this is an espresso.", "coffee", False),
    ("The network is roughly eighty-five percent confident that this is an espresso.", "coffee", True),
    ("The segmented object covers about a third of the image.", "chelsea", False),
    ("The segmented object covers about a third of the image.", "grace_hopper_eigencam", True),
    # hand-written probes in VLM, assistant and report styles
    ("p(label | segment only) = 0.84.", "chelsea", True), ("p(label | segment only) = 0.64.", "chelsea", False),
    ("If you blank out the cat, the model loses its confidence.", "chelsea", True),
    ("With the cup masked, p(espresso) holds steady.", "coffee", False),
    ("The lower-right cell gets the least attention.", "coffee", True), ("The centre gets the least attention.", "coffee", False),
    ("The model is > 0.8 confident it's looking at espresso.", "coffee", True),
    ("The model is > 0.9 confident it's looking at espresso.", "coffee", False),
    # round 12 (dev half): a verb with its particle is no class, 'reads X as', 'doesn't pick X as', the object alone
    ("Tiger cat picks up around 8% of the probability.", "chelsea", True),
    ("The network reads the cat as a tiger cat.", "chelsea", False),
    ("The model doesn't pick Egyptian cat as its top class.", "chelsea", False),
    ("The prediction is not driven by the segmented object.", "chelsea", False),
    ("The prediction is driven by the segmented object.", "chelsea", True),
    ("Nearly all of the heat lands on the cat.", "chelsea", False),
    ("The most salient cell is the lower-centre one.", "chelsea", False), ("Focus: object > background.", "chelsea", True),
    # hand-written true probes that raised false alarms: a clause per class, 'outside the person', AUC sentences
    # are no removal, little saliency, places together, 'from X to Y'
    ("Bow tie is the runner-up at 17%, with suit close behind at 13%.", "grace_hopper", True),
    ("Bow tie is the runner-up at 17%, with suit close behind at 23%.", "grace_hopper", False),
    ("Only about a third of the saliency falls outside the person.", "grace_hopper", True),
    ("Only about a tenth of the saliency falls outside the person.", "grace_hopper", False),
    ("The insertion AUC of 0.07 is only slightly above the deletion AUC of 0.05.", "grace_hopper", True),
    ("The top-right corner is nearly dark, with under 2% of the saliency.", "motorcycle", True),
    ("The centre cell is nearly dark.", "motorcycle", False),
    ("Isolating the scooter cuts the moped probability from 47% to 19%.", "motorcycle", True),
    ("Isolating the scooter cuts the moped probability from 57% to 19%.", "motorcycle", False),
    ("The centre and middle-left cells together hold over 60% of the heat.", "china_eigencam", True),
    ("The centre and middle-left cells together hold under 40% of the heat.", "china_eigencam", False),
    ("The object covers only about a fifth of the image yet draws most of the attention.", "china_eigencam", True),
    # round 13 (dev half): mean-filled removes, '<method> mass' is saliency, the central column, AUCs 'below'
    ("Once the segment is mean-filled, bell cote's probability is roughly 7.5%.", "china_eigencam", True),
    ("Once the segment is mean-filled, bell cote's probability is roughly 25%.", "china_eigencam", False),
    ("Nearly all of the EigenCAM mass sits inside the segment.", "chelsea_eigencam", False),
    ("The model looked mostly at the central column.", "chelsea", True),
    ("The insertion AUC falls below the deletion AUC on this image.", "chelsea", False),
    ("Tabby sits at about 8% in the same forward pass that EigenCAM explains.", "chelsea_eigencam", True),
    # hand-written probes in open-VLM style (before round 14): 'still predicts' stays, 'almost zero', 'much less
    # sure' (Δ ≤ −0.10), 'nearly the whole image', 'most confident it is X', the sky is background
    ("When the cat is masked out, the model still predicts Egyptian cat with high confidence.", "chelsea", False),
    ("When the cat is masked out, the model's confidence falls to almost zero.", "chelsea", True),
    ("If only the cup stays, the model is much less sure.", "coffee", False),
    ("The cup and saucer take up nearly the whole image.", "coffee", False),
    ("The model is most confident it is a space shuttle.", "rocket", False),
    ("The overlay is brightest on the sky, not on the rocket.", "rocket", True),
    ("Roughly two-thirds of the warm colours fall inside the segment.", "chelsea", False),
    # hand-written true probes of 'only the object' and shares (after round 14): 'everything but the cat blurred',
    # 'blurring the rest', 'the isolated cat', 'with the background removed', 'segment-only', 'the rest on …',
    # the words right before a number, the value before a change, the kept object is no prediction
    ("With everything but the cat blurred, the model says Egyptian cat at 84%.", "chelsea", True),
    ("Keeping the cat and blurring the rest, the score climbs slightly from 80% to 84%.", "chelsea", True),
    ("The isolated cat is classified as Egyptian cat with 84% confidence.", "chelsea", True),
    ("With the background removed, the model is 84% sure.", "chelsea", True),
    ("With the background removed, the model is 64% sure.", "chelsea", False),
    ("In the segment-only view the probability for Egyptian cat is 0.84, up from 0.80.", "chelsea", True),
    ("About 65% of the saliency is on the cup, the rest on the table and background.", "coffee", True),
    ("The saliency inside the cup (65%) exceeds its area share (47%).", "coffee", True),
    ("The saliency inside the cup (65%) exceeds its area share (67%).", "coffee", False),
    ("The model's 86% confidence in espresso collapses to under 1% when the cup is blurred.", "coffee", True),
    ("The espresso prediction survives when only the cup is kept.", "coffee", True),
    # round 15 (dev half): what a number measures is read next to it; a saliency word as the removed object;
    # bracketed numbers; places that get nothing; 'than half' is no comparison of object and background
    ("For the deletion test, where the most highlighted pixels are erased first, the area under the curve came out "
     "around 0.27.", "chelsea", True),
    ("When we painted the highlighted patch over with flat grey, the AI still said 'Egyptian cat' with about 87% confidence.",
     "chelsea_eigencam", True),
    ("When we blurred the astronaut out of the picture, the barbell score dropped to well under 1%.", "astronaut", True),
    ("Showing the AI only the building, with everything around it blurred, gave 'bell cote' about 26%.", "china", True),
    ("Blurring out the motorbike did not drag the moped score down.", "motorcycle", False),
    ("Cup is the runner-up, but at 0.10 it trails espresso (0.86) by a wide margin.", "coffee", True),
    ("Cup is the runner-up, but at 0.20 it trails espresso (0.86) by a wide margin.", "coffee", False),
    ("The strongest evidence is in the lower centre, with the top row contributing almost nothing.", "astronaut_eigencam", True),
    ("Dumbbell is the class the model outputs, rather than barbell.", "astronaut_eigencam", False),
    ("Dome comes second at 0.17, behind bell cote at 0.36.", "china", True),
    ("The person covers just over half of the image and holds about two-thirds of the saliency.", "grace_hopper", True),
    ("The most salient cell is the upper centre, although the middle column as a whole holds about 44%.", "grace_hopper", True),
    ("Slightly less than half the saliency (about 49%) falls inside the segment, so the background edges out the object.",
     "motorcycle", True),
    ("The highlighted evidence sits mostly on the right-hand side of the photo.", "china_eigencam", False),
    # round 16 (dev half)
    ("Filling the segment with the mean colour sends barbell's probability plummeting.", "astronaut_eigencam", False),
    ("The insertion AUC beats the deletion AUC.", "chelsea", True), ("The deletion AUC beats the insertion AUC.", "chelsea", False),
    # hand-written true probes in everyday voices (after round 16): 'take the cat away', a share's own part of the
    # sentence ('… on the person and a third on the surroundings', '…, not on the surroundings'), 'behind it'
    ("Take the cat away and the score for Egyptian cat drops to practically zero.", "chelsea", True),
    ("Most of the heat (about 80%) lands on the cat, not on the surroundings.", "chelsea", True),
    ("Most of the heat (about 60%) lands on the cat, not on the surroundings.", "chelsea", False),
    ("Roughly two thirds of the saliency is on the person and a third on the surroundings.", "grace_hopper", True),
    ("Roughly a third of the saliency is on the person and two thirds on the surroundings.", "grace_hopper", False),
    ("The model is clearly looking at the cat itself rather than at the blanket behind it.", "chelsea", True),
    ("Per the masking test, the segment alone gets military uniform 2.9%.", "grace_hopper", True),  # a method, not a removal
])
def test_issue_sentences(text: str, name: str, want: bool) -> None:
    got = statuses(text, name)
    assert got, "no checkable claim read"
    assert ("contradicted" not in got) == want, got


@pytest.mark.parametrize(("text", "want"), [
    # the background's share is 1 − the segment's (chelsea: 80% of the saliency on a 68% segment)
    ("The background holds about 20% of the saliency.", ["supported"]),
    ("Only a fifth of the saliency lies outside the object.", ["supported"]),
    ("The background covers roughly half of the image.", ["contradicted"]),
    # a negation scopes its own stretch of the clause, not a number after a comma
    ("The model is not sure at all, giving Egyptian cat 30%.", ["supported", "contradicted"]),
    ("The model is not more than 50% sure it is an Egyptian cat.", ["contradicted", "supported"]),
    # "from X to Y": X is the value before the change, Y the one with the object removed
    ("Confidence in Egyptian cat falls from 80% to 0% when the cat is removed.",
     ["supported", "supported", "supported", "supported"]),
])
def test_scope_of_background_negation_and_change(text: str, want: list[str]) -> None:
    assert statuses(text) == want


@pytest.mark.parametrize("text", [
    # true sentences about coffee (espresso 0.86, cup 0.10; only the cup 0.84, without it 0.0055)
    "Keeping only the cup leaves the prediction at about 84%, close to the original 86%.",
    "When the cup is blurred, the espresso probability falls to roughly 1%.",
    "Even without the background, the model still recognizes espresso at 84%.",
    "Most of the evidence lies in the centre of the image, where the cup sits.",
    "The classifier is highly confident (86%) that this is an espresso, with cup a distant second at 10%.",
])
def test_true_llm_style_sentences_raise_no_false_alarm(text: str) -> None:
    got = statuses(text, "coffee")
    assert "supported" in got and "contradicted" not in got, got


def test_claims_name_their_subject_and_fact_and_the_hedge_rule() -> None:
    v = verify_text("Without the cat, Egyptian cat gets about 2%.", sheet("chelsea"))
    (c,) = [c for c in v.claims if c.kind == "probability"]
    assert c.status == "supported" and c.subject == "Egyptian cat" and c.fact == "p_removed = 0.003"
    assert "within 5 points" in c.reason  # the hedge's tolerance is in the reason
    assert v.extractor == "rules"


def test_cited_fact_ids_are_checked_against_exactly_that_fact() -> None:
    f = sheet("chelsea")
    right = verify_text("Removing the cat leaves 0% [p_removed]; kept alone it gets 84% [p_only].", f)
    assert [c.status for c in right.claims if c.kind == "citation"] == ["supported", "supported"]
    wrong = verify_text("The cat alone gets 84% [p_removed].", f)
    (c,) = [c for c in wrong.claims if c.kind == "citation"]
    assert c.status == "contradicted" and "cites [p_removed]" in c.reason
    unknown = verify_text("It is 80% [p_magic] sure.", f)
    assert [c.status for c in unknown.claims if c.kind == "citation"] == ["contradicted"]


def chosen_target(name: str, target: str) -> FactSheet:
    """A real sheet re-cast as explain_image(target=...) writes it: `label` is the chosen class, not the
    prediction, and the alternatives start with the prediction."""
    f = sheet(name)
    classes = [(f.label, f.class_index, f.probability), *((a.label, a.class_index, a.probability) for a in f.alternatives)]
    (t_label, t_index, t_p), = [c for c in classes if c[0] == target]
    alts = [{"label": n, "class_index": i, "probability": p} for n, i, p in classes if n != target]
    return f.model_copy(update={"label": t_label, "class_index": t_index, "probability": t_p, "predicted": False,
                                "alternatives": [type(f.alternatives[0]).model_validate(a) for a in alts]})


@pytest.mark.parametrize(("text", "want"), [
    ("The model predicts Egyptian cat.", ["supported"]),  # the prediction, although the sheet explains tabby
    ("The model predicts tabby.", ["contradicted"]),  # the chosen class is not the prediction
    ("The model does not predict tabby.", ["supported"]),
    ("The runner-up is tiger cat.", ["supported"]),  # ranked by probability: 0.7992, 0.0841 (tiger), 0.0830 (tabby)
    ("Tabby has a probability of 8%.", ["supported"]),  # sentences about the target: p(target)
    ("The explained class, tabby, has 80% probability.", ["contradicted"]),
    ("The model is 80% sure it is an Egyptian cat.", ["supported"]),
])
def test_a_chosen_target_is_told_apart_from_the_prediction(text: str, want: list[str]) -> None:
    f = chosen_target("chelsea", "tabby")
    assert f.ranking()[:3] == ["Egyptian cat", "tiger cat", "tabby"]
    got = [c.status for c in verify_text(text, f).claims if c.status != "unverifiable"]
    assert ("contradicted" in got) == (want == ["contradicted"]) and want[0] in got, (text, got)


def test_the_template_for_a_chosen_target_scores_1() -> None:
    from verbalize.pipeline.image.verbalize import template_sentences

    f = chosen_target("chelsea", "tabby")
    text = " ".join(template_sentences(f))
    v = verify_text(text, f)
    assert v.fidelity == 1.0 and v.contradicted == 0, [(c.text, c.reason) for c in v.claims if c.status == "contradicted"]


def test_old_json_without_subject_and_fact_still_reads() -> None:
    old = {"claims": [{"text": "80%", "kind": "number", "start": 0, "end": 3, "status": "supported"}]}
    v = verbalize.core.types.Verification.model_validate(old)
    assert v.claims[0].subject is None and v.extractor == "rules" and v.fidelity == 1.0


def test_public_verify_takes_a_path_a_dict_or_an_explanation() -> None:
    text = "The model is 80% sure this is an Egyptian cat; tiger cat gets 80%."
    by_path = verbalize.verify(text, CHELSEA_JSON)
    by_dict = verbalize.verify(text, json.loads(CHELSEA_JSON.read_text()))
    assert by_path.model_dump() == by_dict.model_dump()
    assert [(c.text, c.status) for c in by_path.claims if c.kind == "probability"] == [
        ("80%", "supported"), ("80%", "contradicted")]
    with pytest.raises(verbalize.core.errors.UserError):
        verbalize.verify(text, ROOT / "nope.json")


def test_public_verify_text_attribution_reads_unquoted_words() -> None:
    src = json.loads((BENCH / "attributions/food_service.json").read_text())
    def check(text: str) -> list[str]:
        v = verbalize.verify_text_attribution(text, src["tokens"], src["scores"], label=src["label"],
                                              labels=src["labels"], predicted=src["predicted"],
                                              probability=src["probability"])
        return [c.status for c in v.claims if c.status != "unverifiable"]
    assert check("The most important word is mess.") == ["supported"]
    assert "contradicted" in check("'mess' is the least important word.")
    assert "contradicted" in check("bad matters more than mess.")
    assert check("The model is about 71% sure the review is negative.") == ["supported", "supported"] or \
        "contradicted" not in check("The model is about 71% sure the review is negative.")
    assert "contradicted" in check("p(negative) is twenty-nine percent.")


@pytest.mark.parametrize(("text", "want"), [
    # food_service (negative, p = 0.71): mess +0.32 > but +0.21 > total +0.05; not −0.15, bad −0.08; the rest 0
    ("'mess' ranks first.", True), ("'bad' has the highest score.", False), ("'but' is ranked second.", True),
    ("Removing 'mess' changes the prediction the most.", True), ("'total' has a bigger impact than 'mess'.", False),
    ("'not' pushes the prediction away from negative.", True), ("'mess' contributes 0.21.", False),
    ("'food' plays no part.", True), ("'mess' is neutral.", False), ("VADER thinks the review is positive.", False),
    ("The model does not predict positive.", True), ("Positive is the predicted label.", False),
    ("'bad' pushes the prediction towards positive.", True),  # negated phrase: 'not bad' is evidence against negative
    ("The classifier is 0.71 confident that the review is negative.", True),
    ("'mess' is the weakest word.", False), ("'food' ranks last.", True), ("The least useful word is 'food'.", True),
    # round 2's shapes of LLM prose
    ("Words such as 'food', 'service' and 'mess' get the smallest attributions.", False),  # a list: each member
    ("Words such as 'food' and 'service' get the smallest attributions.", True),
    ("**mess** carries more weight than **but**.", True), ("**total** plays a larger role than 'but'.", False),
    ("The model relies more on the word bad than on mess.", False),
    ("Removing 'but' would make the model less sure that the review is negative.", True),
    ("Removing 'not' would make the model less sure that the review is negative.", False),
    ("'left' and 'early' have no influence, each scoring zero.", True), ("'total' scores zero.", False),
    ("With a score of roughly 0.30, 'mess' leads.", True), ("With a score of roughly 0.10, 'mess' leads.", False),
    ("Right behind 'mess' is 'but'.", True), ("Right behind 'mess' is 'not'.", False),
    ("According to the model, the review is positive.", False),
    ("'mess' (0.32) [s12] is the strongest cue.", True),
    # no pattern reads these; the clause's cue words do (one named word, no comparison, no negation)
    ("'early' drifts to the very end of the importance list, the least of all.", True),
    ("'mess' drifts to the very end of the importance list, the least of all.", False),
    ("'total' is, by a wide margin, the most decisive signal.", False),
    ("'left' has no real bearing whatsoever.", True), ("'but' has no real bearing whatsoever.", False), ("'mess' (0.32) [s11] is the strongest cue.", False),
    # round 5: the rank lexicon, bare words, the word as a verb's object, idioms that negate nothing
    ("Last in importance is early.", True), ("Last in importance is mess.", False),
    ("The model disregards food entirely.", True), ("The model disregards mess entirely.", False),
    ("'total' is the leading word in the attribution.", False), ("'mess' trails every other word in importance.", False),
    ("'food' trails every other word in importance.", True),
    ("The model weighs the word total more heavily than 'mess'.", False), ("The model weighs mess more heavily than 'but'.", True),
    ("'bad' weakens the negative prediction.", True), ("'mess' weakens the negative prediction.", False),
    ("Not surprisingly, mess leads the ranking.", True), ("The model never ignores 'but'.", True),
    ("'mess' contributes more than any other word.", True), ("'but' contributes more than any other word.", False),
    ("'food' matters less than all the others.", True), ("'not' has the most negative score.", True),
    ("'bad' has the most negative score.", False), ("'total' is the clearest signal.", False),
    ("'food' carries the lightest weight.", True),
    # round 6: asides about the word read past, 'it' read as the word named before it, second places by exclusion
    ("'early', the last word of the review, has no influence on the prediction.", True),
    ("'mess', the very last word of the clause, has no influence on the prediction.", False),
    ("'total' is perhaps the most emotional word here, and it pushes the prediction towards negative.", True),
    ("'not' is arguably the clearest case of irony here, and it pushes towards negative.", False),
    ("'but' is the most surprising word, yet the model ranks it only second.", True),
    ("'mess' is the strongest word for a human reader, but the model ranks it second.", False),
    ("Apart from 'mess', no word matters more than 'but'.", True), ("Apart from mess, no word matters more than 'total'.", False),
    ("'but' is the most important word after 'mess'.", True), ("'not' is next in importance after 'mess'.", False),
    ("Pride of place goes to 'total'.", False), ("'mess' is the number-one contributor.", True),
    ("'food' is a significant driver of the negative label.", False), ("'mess' tilts the prediction only mildly towards negative.", False),
    ("'total' has a considerable positive score.", False),  # 'positive score' is a sign, not the other label
    ("'but' follows closely behind 'mess'.", True), ("'total' is a close second to 'mess'.", False),
    ("'mess' is the runner up.", False),
    # round 8: the cue thesaurus, signs read from a verb and the label named with it, removal that changes nothing
    ("Chief among the words is 'mess'.", True), ("Topping the chart is total.", False),
    ("'mess' is the anchor of the negative verdict.", True), ("'not' is the most negligible token.", False),
    ("'early' is practically an afterthought.", True), ("'but' undercuts the negative reading.", False),
    ("'not' undercuts the negative reading.", True), ("'mess' sides with the negative reading.", True),
    ("'total' nudges the classifier in the positive direction.", False),
    ("Removing 'service' would leave the prediction unchanged.", True),
    ("Removing 'mess' would leave the prediction unchanged.", False),
    ("The attribution for 'total' is positive but small.", True), ("The attribution for 'mess' is positive but small.", False),
    ("'food' is completely inert.", True), ("'but' adds only a sliver of support for negative.", False),
    ("'mess' weakens the case for negative.", False),
    # round 9: a comparison of effects on something, 'ends up with' as having
    ("mess has a bigger effect on the outcome than total.", True), ("total has a bigger effect on the outcome than mess.", False),
    ("The word not ends up with a negative attribution score.", True), ("The word but ends up with a negative attribution score.", False),
    # second places by setting the first aside or by what stands above; sizes in words; 'barely' as at most half
    ("After 'mess', the model relies most on 'but'.", True), ("After 'mess', the model relies most on 'total'.", False),
    ("Only 'mess' ranks higher than 'total'.", False), ("'but' is surpassed only by 'mess'.", True),
    ("'total' is a notch below the top.", False), ("'but' is the No. 2 word.", True),
    ("'total' is a key contributor.", False), ("'mess' matters a great deal.", True),
    ("'mess' barely moves the prediction.", False), ("'food' hardly matters.", True),
    ("The model pays no attention to 'mess'.", False), ("'food' doesn't register at all.", True),
    # round 10: a word the subject is ranked below, one direction said twice, a role noun, nothing above the top
    ("Coming in second is 'mess', just behind 'but'.", False), ("Coming in second is 'but', just behind 'mess'.", True),
    ("'not' pulls firmly in the opposite direction, toward a positive reading.", True),
    ("The contrast marker but clearly outweighs the intensifier total.", True),
    ("The intensifier total clearly outweighs the contrast marker but.", False),
    ("Nothing outranks 'mess' here.", True), ("Nothing outranks 'total' here.", False),
    ("The most important word is `mess`.", True), ("`total` and `food` contribute nothing.", False),  # markdown code
    # report and notebook shapes: 'Rank #2: X', 'Key driver: X', the strongest contributor to the label named
    ("Rank #2: 'but'.", True), ("Rank #2: 'total'.", False), ("Key driver: 'mess'.", True), ("Key driver: 'but'.", False),
    ("Strongest negative contributor: 'mess'.", True), ("Strongest negative contributor: 'total'.", False),
    ("'not' pushes towards positive (-0.15).", True),  # the number is the word's score; 'positive' is no label claim
    # long sentences: a reason clause, a relative clause between the word and its verb, 'outweighs even'
    ("Perhaps surprisingly, 'bad' helps the positive side, since the model reads 'not bad' as mildly favourable.", True),
    ("Perhaps surprisingly, 'but' helps the positive side, since the model reads 'not bad' as mildly favourable.", False),
    ("'total', which intensifies 'mess', contributes only modestly to the negative verdict.", True),
    ("'mess', which 'total' intensifies, contributes only modestly to the negative verdict.", False),
    ("Notably, 'mess' outweighs even 'but'.", True), ("Notably, 'total' outweighs even 'but'.", False),
    # round 11: a hedged copula after where the rank holds, 'no word contributes more to … than X', notebook symbols
    ("The least important token according to the attribution appears to be 'food'.", True),
    ("The least important word in the review looks to be 'mess'.", False),
    ("No word contributes more to the negative verdict than mess.", True), ("'total' is the #2 feature.", False),
    ("Attribution(mess) > attribution(total).", True), ("total > but in attribution.", False),
    ("score(not) < 0.", True), ("score(but) < 0.", False), ("Sign of mess: positive.", True),
    ("p(negative) > 0.5.", True), ("p(negative) < 0.5.", False),
    # round 12 (dev half): ', so …' is a clause; 'nothing more' is no zero; a participle comparison; 'not neutral';
    # 'took this as'; two scores in brackets in their words' order; a colon for 'is'
    ("The word 'total' made no difference whatsoever, so you could remove it and nothing would change.", False),
    ("You can think of 'total' as a gentle nudge towards the negative side, nothing more.", True),
    ("Think of 'total' as the heavier weight on the scale, outweighing 'mess'.", False),
    ("Note: 'service' is not neutral, and removing it would shift the prediction.", False),
    ("It looks like the model took this one as a positive review.", False),
    ("'mess' outweighs 'but' (0.32 vs 0.21).", True), ("'mess' outweighs 'but' (0.21 vs 0.32).", False),
    ("Second most important token: `not`, right behind `mess`.", False), ("Second most important token: `but`.", True),
    ("No — 'total' is not the most important word; 'mess' is.", True), ("'mess' is not the most important word.", False),
    ("'food' isn't the least important word.", False), ("'total' is not the second most important word.", True),
    # round 13 (dev half): answer words negate nothing, 'than on any other word', 'where it was', a role noun, a word
    # inside a cited phrase, a bare word set off by commas, "it's"
    ("No, 'total' is actually the second most important word.", False), ("Not quite — 'but' is the second most important word.", True),
    ("No — 'total' actually outweighs 'but' here.", False),
    ("Short answer: the model leaned on 'total' more than on any other word.", False),
    ("Removing 'mess' would leave the prediction exactly where it was.", False),
    ("The adverb early at the end of the review is the least relevant token in the explanation.", True),
    ("The negation 'not' in 'not bad' ranks only second in importance.", False),
    ("In this restaurant review, mess, the word that sums up the service, is the least important word.", False),
    ("'left' is just filler, so it's the least important word there.", True),
    ("'mess' is just filler, so it's the least important word there.", False),
    # hand-written probes of false sentences (after round 13): causes, pseudo-clefts, 'favours X over Y', sizes
    ("The review was flagged negative mainly because of 'total'.", False),
    ("What really tipped the model was the word 'mess'.", True), ("What really tipped the model was the word 'total'.", False),
    ("Of everything in the review, the model cared most about 'total'.", False),
    ("The model's decision mostly hinged on 'mess'.", True), ("Second only to 'mess' is 'total'.", False),
    ("'but' lowers the odds of a negative label.", False), ("The model favours 'total' over 'mess'.", False),
    ("'service' has a noticeable effect on the prediction.", False), ("'total' has a noticeable effect.", True),
    ("'mess' dominates the prediction.", True), ("'total' dominates the prediction.", False),
    ("'total' is weighted above 'mess'.", False), ("'food' has a tiny effect.", True), ("'mess' has a tiny effect.", False),
    ("'total' is what the model leaned on hardest.", False), ("'food' drives the negative prediction.", False),
    # round 14 (dev half): 'to the L side', 'might take second place' is a hedge, role nouns before both words,
    # 'a small negative score', another word's rank, 'would not affect'
    ("The word 'not' is pushing to the positive side.", True), ("The word 'mess' is pushing to the positive side.", False),
    ("It seems that 'total' might take second place, though the scores are close.", False),
    ("The intensifier 'total' matters more to the model than the connective 'but'.", False),
    ("As one would hope, the sentiment word 'mess' outweighs the function word 'but'.", True),
    ("The word 'bad' gets a small negative score.", True), ("The word 'mess' gets a small negative score.", False),
    ("Alongside the top word, 'but' also has a strong positive score.", True),
    ("Dropping the word 'total' would not affect the prediction at all.", False),
    ("It appears that 'food' may well be the least important token, though it's hard to be definitive.", True),
    # round 15 (dev half): a leading subordinate clause, 'among the attributions', '(A against B)', 'outweighs it'
    ("While 'not' sets the tone, the top attribution in the explanation goes to 'total'.", False),
    ("Unlike the 'not' in front of it, which flips the praise, 'bad' ends up as the least important word.", False),
    ("The reviewer hated the service, yet 'mess' ranks only second among the attributions.", False),
    ("'mess' narrowly outweighs 'but' (0.32 against 0.21).", True),
    ("Whereas 'but' only joins the clauses, 'total' outweighs it in the explanation.", False),
    ("Whereas 'total' only intensifies, 'mess' outweighs it in the explanation.", True),
    ("The word that most convinced the model was 'total'.", False), ("The word that most convinced the model was 'mess'.", True),
    ("Finding for the product team: **total** is the most important token behind the negative prediction.", False),
    ("Compared with the previous review, 'total' now outweighs 'mess' in the explanation.", False),
])
def test_text_statements_about_bare_and_quoted_words(text: str, want: bool) -> None:
    src = json.loads((BENCH / "attributions/food_service.json").read_text())
    v = verbalize.verify_text_attribution(text, src["tokens"], src["scores"], label=src["label"], labels=src["labels"],
                                          predicted=src["predicted"], probability=src["probability"])
    marks = [c.status for c in v.claims if c.status != "unverifiable" and c.kind != "word"]
    assert marks, "no checkable claim read"
    assert ("contradicted" not in marks) == want, [(c.kind, c.text, c.status, c.reason) for c in v.claims]


@pytest.mark.parametrize("text", [
    "The top signal is but, followed by mess.",  # two bare words of the text: which one is meant is unclear
    "Of the remaining words, 'not' matters least.",  # a rank among some words only
    "'total' is leading to a negative reading.",  # 'leading to' is no rank
    "The model does not disregard 'mess'.",
    "'but' matters more than anything else except 'mess'.",  # a second place
    # round 6: superlatives and places that are no attribution rank
    "'total' is the most emotional word in the review.", "'bad' is arguably the harshest-sounding word.",
    "'left' is the clearest case of sarcasm in the text.", "The first word, 'food', hardly sounds negative.",
    "'bad', the most negative-sounding word, actually has a negative score.",
    "The model relies on 'mess', and it weighs heavily.",  # 'it' is the model
    "'total' is only the third most important word.",  # ranks below second are not read
    "'total' is one of the most important words.", "'total' is among the top words.",  # memberships, not ranks
    # round 8: how a word reads to a person, a place shared by a list, a direction softened into a size
    "'bad' has a slight negative connotation, but the model barely uses it.",
    "The star words are 'mess' and 'total'.", "'not' slightly tempers the negative prediction.",
    "Masking 'not' would make the model more negative.",  # the removal's direction, not a sign word read alone
    "We can trace the negative prediction back to 'mess'.",
    "'but' comes next.",  # next after what the sentence before named: not read alone
    "It's worth noting that 'not', arguably a negator, actually drags the prediction away from negative.",  # no label claim
    # true sentences that raised false alarms in hand-written probes of discursive prose
    "In the second half of the review, 'mess' drives the negative call.",  # a place in the text, not a rank
    "'but' introduces the second clause and pushes towards negative.",  # 'and' is no word the sentence is about
    "Most readers would call 'bad' negative, but the model gives it a negative score.",  # how people read it
    "Even the strongest-sounding word, 'bad', pulls away from negative.", "'not' is the most negative word in the attribution.",
    "Apart from 'mess', 'but' is the strongest positive contributor.",  # 'positive contributor' is a sign, not a label
    "The negative call is only 71% confident, because 'not' and 'bad' pull the other way.",
    "All the content words push towards negative, with 'mess' slightly ahead.",  # a comparison, not a weak score
    "'total' is the weakest of the three positive words.", "'food', though positive in meaning, is ignored by the model.",
])
def test_text_statements_left_unread_are_not_contradicted(text: str) -> None:
    src = json.loads((BENCH / "attributions/food_service.json").read_text())
    v = verbalize.verify_text_attribution(text, src["tokens"], src["scores"], label=src["label"], labels=src["labels"],
                                          predicted=src["predicted"], probability=src["probability"])
    assert v.contradicted == 0, [(c.kind, c.text, c.status, c.reason) for c in v.claims]


def test_rule_based_extractor_is_fast() -> None:
    f = sheet("coffee")
    text = "Removing the cup drops the espresso probability sharply, from 86% to about 1%, on the background rather than the object."
    verify_text(text, f)  # compile the class-name pattern once
    t0 = time.perf_counter()
    for _ in range(50):
        verify_text(text, f)
    assert (time.perf_counter() - t0) / 50 < 0.020


def test_the_class_pattern_compiles_once_for_sheets_with_different_rankings() -> None:
    """Compiling the ~1000-label pattern costs ~50 ms: once per label set, not once per explanation."""
    from verbalize.pipeline.image import verify

    text = "The model predicts espresso; a cup is the runner-up, not a tiger cat."
    verify_text(text, sheet("coffee"))
    before = verify._class_pattern.cache_info()
    for name in ("chelsea", "coffee", "chelsea_eigencam"):
        verify_text(text, sheet(name))
    after = verify._class_pattern.cache_info()
    assert after.misses == before.misses and after.hits > before.hits


def test_verify_command_imports_no_torch() -> None:
    code = ("import sys\nfrom typer.testing import CliRunner\nfrom verbalize.cli import app\n"
            f"r = CliRunner().invoke(app, ['verify', {str(CHELSEA_JSON)!r}, '--text', "
            "'The model is 80% sure it is a tiger cat.', '--json'])\n"
            "assert r.exit_code == 0, r.output\nassert '\"contradicted\"' in r.output, r.output\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().endswith("NO-TORCH")


# ---------------------------------------------------------------- the optional LLM extractor

def test_extracted_claims_are_checked_by_the_same_rules() -> None:
    from verbalize.pipeline.image.extract_llm import check_extracted, parse_answer

    text = "The model is 80% confident that the image shows a tiger cat. Removing the cat leaves about 1%."
    answer = ('```json\n[{"quote": "80% confident that the image shows a tiger cat", "fact": "p_class", '
              '"class": "tiger cat", "value": "80%", "relation": "exact", "negated": false},\n'
              '{"quote": "leaves about 1%", "fact": "p_removed", "class": null, "value": "1%", "relation": "about"},\n'
              '{"quote": "not in the text", "fact": "label", "class": "Egyptian cat"}]\n```')
    v = check_extracted(text, parse_answer(answer), sheet("chelsea"))
    assert v.extractor == "llm"
    assert [(c.subject, c.status) for c in v.claims] == [
        ("Egyptian cat", "unverifiable"),  # its quote is not in the text: not counted
        ("tiger cat", "contradicted"), ("p(Egyptian cat | object removed)", "supported")]
    assert "within 5 points" in v.claims[2].reason
    with pytest.raises(ValueError):
        parse_answer('[{"quote": "x", "fact": "p_magic"}]')


def test_llm_extractor_answers_under_the_schema_on_a_real_llama_cpp_server(llama_server: str, tmp_path: Path) -> None:
    """Structured output: the request carries the claims schema (llama.cpp takes it as json_object +
    schema), so even the weak 135M model answers valid JSON, which the rules then check."""
    from verbalize.adapters.llm import make_backend
    from verbalize.pipeline.image.extract_llm import MAX_CLAIMS, claims_schema

    proxy = llm_fixtures.FaultProxy(upstream=llama_server)
    try:
        backend = make_backend(f"openai:smollm2@{proxy.url}", cache_path=tmp_path / "c.sqlite", max_tokens=1600)
        v = verbalize.verify("The model is 80% sure it is a tiger cat.", CHELSEA_JSON, extractor="llm", backend=backend)
    finally:
        proxy.close()
    assert v.extractor == "llm"
    sent = [r["body"].get("response_format") for r in proxy.requests]
    assert sent[-1] == {"type": "json_object", "schema": claims_schema()}  # llama.cpp's form of the schema
    assert len(v.claims) <= MAX_CLAIMS
    assert all(c.kind.startswith("llm:") for c in v.claims), [c.reason for c in v.claims]  # no unusable answer
    with pytest.raises(verbalize.core.errors.UserError):
        verbalize.verify("x", CHELSEA_JSON, extractor="llm")  # no backend


def test_verify_command_rejects_an_unknown_extractor_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from verbalize.cli import app

    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    bad = subprocess.run([sys.executable, "-m", "verbalize.cli", "verify", str(CHELSEA_JSON), "--text", "x",
                          "--extractor", "magic"], capture_output=True, text=True, env=env, timeout=60)
    assert bad.returncode == 2 and "verification.extractor" in bad.stderr + bad.stdout
    assert "Traceback" not in bad.stderr
    cfg = tmp_path / "c.yaml"
    cfg.write_text("verification:\n  extractor: rules\n")
    r = CliRunner().invoke(app, ["verify", str(CHELSEA_JSON), "--text", "It is 80% sure.", "--json", "--config", str(cfg)])
    assert r.exit_code == 0 and json.loads(r.output)["extractor"] == "rules"
