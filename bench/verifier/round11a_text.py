"""Round 11a, text: long, discursive sentences as chatty assistants and explainer posts write them about token attributions, by a writer who did not see the verifier's code or any earlier round; committed before any rule change of round 11."""

from __future__ import annotations

T, F = True, False

HAND = [
    # ------------------------------------------------------------------ acting_plot (positive, 0.9113)
    ("text", "acting_plot", "sign", T, 'pushes("loved", "positive")', "loved +0.1253 towards positive",
     "Interestingly, the word **loved** (which in everyday speech is about as enthusiastic as it gets) appears to push "
     "the classifier towards the positive label, which is exactly what you'd hope a lexicon-based model like VADER "
     "would do."),
    ("text", "acting_plot", "sign", F, 'pushes("slow", "negative")', "slow scores 0, so it pushes nowhere",
     "What stands out, at least at first glance, is that 'slow' (a word reviewers typically reach for when a film "
     "drags) seems to be pulling the prediction towards negative, as if the model were penalising the review for its "
     "one mild complaint about pacing."),
    ("text", "acting_plot", "sign", F, 'score("wonderful") < 0', "wonderful +0.1115, positive",
     "Strangely enough, the attribution for \"wonderful\" comes out negative here, which is arguably surprising "
     "given that the word is about as unambiguous a compliment as English offers."),
    ("text", "acting_plot", "outweighs", T, 'outweighs("loved", "wonderful")', "loved 0.1253 > wonderful 0.1115",
     "If you line the two compliments up side by side, **loved** seems to edge out **wonderful** in terms of "
     "attribution, which makes some intuitive sense because the review opens with it and it frames everything that "
     "follows."),
    ("text", "acting_plot", "outweighs", F, 'outweighs("plot", "loved")', "plot 0 < loved 0.1253",
     "Arguably the more telling detail is that 'plot' ends up with a larger attribution than \"loved\", as though the "
     "model cared more about what the review was discussing than about how the reviewer felt."),
    ("text", "acting_plot", "top_word", T, 'top("loved")', "loved 0.1253 is the highest score",
     "Looking at the whole breakdown, the single most important word for the positive prediction appears to be "
     "'loved', which, given how strongly that verb signals approval in everyday reviews, is hardly a surprise."),
    ("text", "acting_plot", "top_word", T, 'top("loved")', "loved 0.1253 > wonderful 0.1115 and all others 0",
     "When you strip the review down to its attributions, no word contributes more to the positive verdict than "
     "loved, a verb that, in casual reviews, tends to be the strongest form of approval people reach for."),
    ("text", "acting_plot", "top_word", F, 'top("wonderful")', "wonderful 0.1115 < loved 0.1253",
     "Perhaps unsurprisingly, \"wonderful\" (an adjective that rarely appears in anything but praise) turns out to be "
     "the word the model leans on most heavily for its positive verdict."),
    ("text", "acting_plot", "rank_word", T, 'rank("wonderful", 2)', "only loved 0.1253 beats wonderful 0.1115",
     "Right behind the top word, in second place, sits 'wonderful', the review's other burst of enthusiasm, this time "
     "aimed at the soundtrack rather than the acting."),
    ("text", "acting_plot", "rank_word", F, 'rank("loved", 2)', "loved 0.1253 is first, not second",
     "It's perhaps a little surprising that 'loved', the verb that opens the review's praise, only comes in as the "
     "second most important word in the model's ranking."),
    ("text", "acting_plot", "least_word", T, 'least("plot")', "plot scores 0, the smallest |score|",
     "At the other end of the scale, 'plot' seems to be the least important word in the sentence, which makes sense "
     "because on its own it's just a neutral noun naming the thing the reviewer found slow."),
    ("text", "acting_plot", "least_word", F, 'least("wonderful")', "wonderful 0.1115 while many words score 0",
     "Oddly enough, the least important token according to the attribution appears to be \"wonderful\", which you "
     "might expect to carry far more weight given how emphatic a compliment it is."),
    ("text", "acting_plot", "score_words", T, 'zero("little")', "little scores 0",
     "As far as the explanation is concerned, 'little' has no influence on the prediction at all, which is perhaps not so strange for "
     "a hedge word whose everyday job is simply to soften whatever comes after it."),
    ("text", "acting_plot", "score_words", F, 'weak("wonderful")', "wonderful 0.1115 >= 0.5 x 0.1253: strong",
     "Interestingly, **wonderful** ends up with only a weak positive score, which seems a bit underwhelming for a word "
     "that most readers would treat as high praise."),
    ("text", "acting_plot", "score_value", T, 'about(score("loved"), "0.13")', "loved 0.1253 ~ 0.13",
     "If you look at the raw numbers, 'loved' comes in at about 0.13, which doesn't sound like much in absolute terms, "
     "though occlusion scores from a lexicon model like VADER tend to be on the small side anyway."),
    ("text", "acting_plot", "text_label", F, 'exact(p_of("positive"), "71%")', "p(positive) = 0.9113, not 71%",
     "Judging by the output, the model is only about 71% confident the review is positive, which seems low for a text "
     "that opens with 'I loved'."),

    # ------------------------------------------------------------------ delivery_damaged (negative, 0.8713)
    ("text", "delivery_damaged", "sign", T, 'pushes("disappointed", "negative")', "disappointed +0.1511 towards negative",
     "What stands out is that 'disappointed' (the reviewer's own summing-up of how they feel) pushes the model towards "
     "the negative label, which is precisely the kind of explicit emotion word VADER's lexicon is built to catch."),
    ("text", "delivery_damaged", "sign", F, 'pushes("damaged", "positive")', "damaged +0.1085 towards negative",
     "For whatever reason, the word \"damaged\" appears to tip the scales towards a positive reading, perhaps because VADER "
     "doesn't quite know what to make of a word describing a physical state rather than a feeling."),
    ("text", "delivery_damaged", "sign", T, 'score("I") < 0', "I -0.0097",
     "Somewhat counterintuitively, the pronoun **I** has a negative attribution here, meaning that it actually works "
     "against the negative verdict rather than for it, even though a pronoun carries no sentiment of its own."),
    ("text", "delivery_damaged", "outweighs", T, 'outweighs("disappointed", "damaged")',
     "disappointed 0.1511 > damaged 0.1085",
     "Comparing the two complaint words, \"disappointed\" seems to carry more weight than \"damaged\", which arguably "
     "fits, since it's the reviewer's overall verdict rather than a description of one specific problem."),
    ("text", "delivery_damaged", "outweighs", F, 'outweighs("damaged", "disappointed")',
     "damaged 0.1085 < disappointed 0.1511",
     "On the other hand, **damaged** has a larger attribution than **disappointed**, suggesting that the model is more "
     "swayed by the concrete product problem than by the reviewer's stated feelings."),
    ("text", "delivery_damaged", "outweighs", T, 'outweighs("damaged", "package")', "damaged 0.1085 > package 0",
     "Put simply, 'damaged' matters more than 'package' does, which makes sense since the noun just names "
     "the thing and it's the participle that carries the complaint."),
    ("text", "delivery_damaged", "top_word", T, 'top("disappointed")', "disappointed 0.1511 is the highest score",
     "If you had to pick one word that drives the negative prediction, the attribution points fairly clearly at "
     "\"disappointed\", which is, after all, the word where the reviewer stops describing events and starts describing "
     "their feelings."),
    ("text", "delivery_damaged", "top_word", T, 'top("disappointed")', "disappointed 0.1511 > damaged 0.1085",
     "Of all the words in this complaint, **disappointed** is the one with the highest attribution, which arguably "
     "shows that VADER responds most readily to an explicitly stated emotion."),
    ("text", "delivery_damaged", "top_word", F, 'top("damaged")', "damaged 0.1085 < disappointed 0.1511",
     "Perhaps the most telling result is that 'damaged' emerges as the most influential word for the negative label, "
     "which arguably reflects how much a broken product tends to colour a review."),
    ("text", "delivery_damaged", "rank_word", T, 'rank("damaged", 2)', "only disappointed 0.1511 beats damaged 0.1085",
     "Just behind the headline word, 'damaged' comes in as the second most important token, which seems reasonable "
     "for a word that describes what actually went wrong with the parcel."),
    ("text", "delivery_damaged", "rank_word", F, 'rank("very", 2)', "very 0.0012 is third, behind disappointed and damaged",
     "It's interesting that \"very\" ranks as the second most important word, presumably because VADER treats it as an "
     "intensifier that amplifies whatever sentiment word comes after it."),
    ("text", "delivery_damaged", "least_word", T, 'least("delivery")', "delivery scores 0",
     "At the bottom of the ranking sits 'delivery', arguably the least important word in the whole review, which is "
     "unsurprising for a neutral noun that merely sets the scene."),
    ("text", "delivery_damaged", "least_word", F, 'least("disappointed")', "disappointed 0.1511 is the top score",
     "What stands out at the low end is that \"disappointed\" looks like the least important word in the sentence, "
     "which is odd given that it's the clearest expression of emotion the reviewer offers."),
    ("text", "delivery_damaged", "score_words", T, 'strong("damaged")', "damaged 0.1085 >= 0.5 x 0.1511",
     "Unsurprisingly, **damaged** earns a strong positive score towards the negative label, which is arguably "
     "what you'd expect from a word that describes a ruined purchase."),
    ("text", "delivery_damaged", "score_words", F, 'zero("I")', "|I| = 0.0097 >= 0.005",
     "According to the explanation, 'I' has no influence on the prediction whatsoever, which wouldn't be surprising for a pronoun "
     "that carries no sentiment on its own."),
    ("text", "delivery_damaged", "score_value", F, 'about(score("disappointed"), "0.32")', "disappointed 0.1511, not ~0.32",
     "If you look at the raw numbers, \"disappointed\" has a score of roughly 0.32, which is the kind of figure VADER "
     "tends to produce for explicit emotion words."),
    ("text", "delivery_damaged", "text_label", T, 'exact(p_of("negative"), "87%")', "p(negative) = 0.8713",
     "Overall the model labels this review negative with a probability of about 87%, which, given the late delivery "
     "and the damaged package, seems entirely reasonable."),

    # ------------------------------------------------------------------ food_service (negative, 0.7073)
    ("text", "food_service", "sign", T, 'pushes("not", "positive")', "not -0.1492 towards negative = towards positive",
     "Interestingly, 'not' actually pushes the model towards the positive label here, which makes sense once you "
     "remember that it's negating 'bad', so taking it out leaves a plainly negative phrase behind."),
    ("text", "food_service", "sign", F, 'pushes("bad", "negative")', "bad -0.0779, against negative",
     "What's arguably most surprising is that 'bad' reinforces the negative prediction, even though in context the "
     "reviewer is saying the food was *not* bad."),
    ("text", "food_service", "sign", T, 'score("but") > 0', "but +0.2147",
     "One thing that jumps out is that 'but' has a positive attribution, which in this setup means it helps the negative "
     "verdict, probably because VADER gives extra weight to whatever follows a contrastive conjunction."),
    ("text", "food_service", "sign", F, 'pushes("mess", "positive")', "mess +0.3235 towards negative",
     "On the other hand, **mess** appears to pull the prediction away from negative, which is strange given that "
     "calling the service a total mess is hardly a compliment."),
    ("text", "food_service", "outweighs", T, 'outweighs("mess", "but")', "mess 0.3235 > but 0.2147",
     "Setting the noun against the conjunction, 'mess' seems to outweigh 'but' by a fair margin, which fits the "
     "idea that the most vivid complaint should carry the most weight."),
    ("text", "food_service", "outweighs", F, 'outweighs("total", "but")', "total 0.0454 < but 0.2147",
     "Arguably the more interesting detail is that \"total\" has a larger attribution than \"but\", as if the "
     "intensifier mattered more than the pivot of the sentence."),
    ("text", "food_service", "outweighs", F, 'outweighs("service", "mess")', "service 0 < mess 0.3235",
     "What stands out is that 'service' outweighs 'mess', which would imply the model cares more about what was "
     "criticised than about the criticism itself."),
    ("text", "food_service", "top_word", T, 'top("mess")', "mess 0.3235 is the highest score",
     "The single most influential word for the negative label turns out to be **mess**, which seems fitting since it's "
     "the bluntest criticism in the whole review."),
    ("text", "food_service", "top_word", T, 'top("mess")', "mess 0.3235 > but 0.2147",
     "What the breakdown seems to show is that mess is the word most responsible for the negative label, which is "
     "fitting given that a 'total mess' is about as damning as restaurant reviews get."),
    ("text", "food_service", "top_word", F, 'top("but")', "but 0.2147 < mess 0.3235",
     "Rather tellingly, the attribution picks out \"but\" as the word that matters most, presumably because VADER's rule "
     "for contrastive conjunctions shifts the emphasis onto the clause that follows."),
    ("text", "food_service", "top_word", F, 'top("not")', "not -0.1492; mess 0.3235 is top",
     "If you ask which token drives the prediction hardest, the answer appears to be 'not', which arguably reflects "
     "how much weight sentiment models tend to put on negation."),
    ("text", "food_service", "rank_word", T, 'rank("but", 2)', "only mess 0.3235 beats but 0.2147",
     "Sitting just behind the top word in second place is 'but', a conjunction that, in everyday writing, signals "
     "that whatever comes next is the point the writer really wants to make."),
    ("text", "food_service", "rank_word", F, 'rank("total", 2)', "total 0.0454 is third, behind mess and but",
     "From the numbers, it seems 'total' comes in as the second most important word, which suggests that the intensifier "
     "in the phrase about the service is doing a surprising amount of the work."),
    ("text", "food_service", "least_word", T, 'least("early")', "early scores 0",
     "At the other end of the scale, the least important word appears to be 'early', which is unsurprising because "
     "leaving early is only an implicit sign of dissatisfaction that a word-level lexicon wouldn't pick up."),
    ("text", "food_service", "least_word", F, 'least("total")', "total 0.0454 while many words score 0",
     "Oddly, 'total' appears to be the least important word of all, even though it's the intensifier that turns an "
     "ordinary complaint into something much more emphatic."),
    ("text", "food_service", "score_words", T, 'weak("total")', "0 < total 0.0454 < 0.5 x 0.3235",
     "In the end, \"total\" ends up with only a weak positive score, which is a little surprising for an "
     "intensifier that, in everyday English, signals the speaker really means it."),
    ("text", "food_service", "score_words", F, 'zero("bad")', "bad -0.0779, not ~0",
     "As the attribution shows, 'bad' has no influence on the prediction at all, presumably because its sentiment is cancelled "
     "out by the negation in front of it."),
    ("text", "food_service", "score_value", T, 'about(score("not"), "-0.15")', "not -0.1492 ~ -0.15",
     "In numbers, 'not' comes out at roughly \u22120.15, which is a fairly sizeable figure for such a short word."),

    # ------------------------------------------------------------------ hotel_breakfast (negative, 0.5258)
    ("text", "hotel_breakfast", "sign", T, 'pushes("friendly", "positive")', "friendly -0.1333 against negative",
     "Reassuringly, 'friendly' pushes the model towards the positive label, which is just what you'd expect from a "
     "word that, in a hotel review, usually signals a pleasant stay."),
    ("text", "hotel_breakfast", "sign", F, 'pushes("clean", "negative")', "clean -0.1050, towards positive",
     "What stands out is that \"clean\" seems to reinforce the negative verdict, which is odd given that a clean hotel "
     "is normally something reviewers praise."),
    ("text", "hotel_breakfast", "sign", T, 'score("terrible") > 0', "terrible +0.3288",
     "Fittingly, **terrible** has a positive attribution, which in this case means it drags the "
     "prediction towards negative, exactly as the word's everyday meaning would suggest."),
    ("text", "hotel_breakfast", "sign", F, 'pushes("Honestly", "negative")', "Honestly -0.1222, towards positive",
     "Curiously, 'Honestly' appears to lean towards the negative label, perhaps because reviewers so often use it to "
     "preface a complaint."),
    ("text", "hotel_breakfast", "outweighs", T, 'outweighs("but", "terrible")', "but 0.3760 > terrible 0.3288",
     "If you put the conjunction and the adjective side by side, 'but' appears to outweigh 'terrible', which "
     "arguably says a lot about how VADER handles contrastive conjunctions."),
    ("text", "hotel_breakfast", "outweighs", F, 'outweighs("terrible", "but")', "terrible 0.3288 < but 0.3760",
     "Going by the scores, \"terrible\" matters more than \"but\" here, which fits the intuition that an explicit negative "
     "adjective should dominate a mere connective."),
    ("text", "hotel_breakfast", "outweighs", F, 'outweighs("hotel", "terrible")', "hotel 0 < terrible 0.3288",
     "Arguably the most surprising result is that 'hotel' outweighs 'terrible', which would suggest the model cares "
     "more about the setting than about the actual judgement."),
    ("text", "hotel_breakfast", "top_word", T, 'top("but")', "but 0.3760 is the highest score",
     "Looking at the breakdown, the word the negative prediction hinges on most seems to be \"but\", which is a neat "
     "illustration of how VADER boosts the clause that follows a contrastive conjunction."),
    ("text", "hotel_breakfast", "top_word", F, 'top("terrible")', "terrible 0.3288 < but 0.3760",
     "Perhaps unsurprisingly, the most important word turns out to be **terrible**, the one unambiguously negative "
     "adjective in an otherwise complimentary review."),
    ("text", "hotel_breakfast", "rank_word", T, 'rank("terrible", 2)', "only but 0.3760 beats terrible 0.3288",
     "In second place, right behind the top word, comes 'terrible', the bluntest piece of criticism the reviewer "
     "offers about their stay."),
    ("text", "hotel_breakfast", "rank_word", F, 'rank("friendly", 2)', "friendly -0.1333 ranks far below second",
     "Somewhat oddly, 'friendly' ranks as the second most important word, which is perhaps surprising for a "
     "compliment in a review that the model ends up reading as negative."),
    ("text", "hotel_breakfast", "least_word", T, 'least("staff")', "staff scores 0",
     "At the low end, 'staff' appears to be the least important word, which makes sense because it's a neutral noun "
     "whose sentiment comes entirely from the adjective attached to it."),
    ("text", "hotel_breakfast", "least_word", F, 'least("clean")', "clean -0.1050 while many words score 0",
     "Interestingly, the least important word seems to be \"clean\", which is perhaps because a clean room is simply "
     "expected in a hotel of any standard."),
    ("text", "hotel_breakfast", "score_words", T, 'strong_neg("friendly")', "friendly -0.1333 is the most negative",
     "It's worth noting that \"friendly\" strongly pushes against the negative label, which is arguably the model's "
     "way of registering the compliment about the staff."),
    ("text", "hotel_breakfast", "score_words", F, 'zero("clean")', "clean -0.1050, not ~0",
     "Apparently, removing 'clean' would change nothing about the prediction, which would suggest that a "
     "compliment about cleanliness simply isn't on the model's radar."),
    ("text", "hotel_breakfast", "score_value", F, 'about(score("but"), "0.18")', "but 0.3760, not ~0.18",
     "In raw numbers, \"but\" scores about 0.18, which is a notable figure for a word with no sentiment of its own."),
    ("text", "hotel_breakfast", "text_label", T, 'exact(p_of("negative"), "53%")', "p(negative) = 0.5258",
     "The model comes down on the negative side, but only just, with a probability of roughly 53%, which reflects "
     "how evenly the praise and the criticism seem to be balanced in this review."),

    # ------------------------------------------------------------------ phone_battery (negative, 0.6124)
    ("text", "phone_battery", "sign", T, 'pushes("great", "negative")', "great +0.2824 towards negative",
     "Perhaps counterintuitively, 'great' pushes the model towards the negative label, which makes sense once you "
     "notice that it's sitting right after a negation."),
    ("text", "phone_battery", "sign", F, 'pushes("easily", "negative")', "easily -0.1424, towards positive",
     "Predictably, \"easily\" tips the scales towards negative, presumably because it's part of the "
     "complaint that the screen scratches far too easily."),
    ("text", "phone_battery", "sign", T, 'score("easily") < 0', "easily -0.1424",
     "Interestingly, 'easily' has a negative score, so in this case it actually nudges the model away from the "
     "negative verdict, perhaps because, out of context, doing something easily sounds like a good thing."),
    ("text", "phone_battery", "sign", F, 'pushes("dies", "negative")', "dies scores 0",
     "On this reading, 'dies' seems to help the negative prediction, which you'd expect from a word that, "
     "applied to a battery, is about as bad as it gets."),
    ("text", "phone_battery", "outweighs", T, 'outweighs("not", "great")', "not 0.4914 > great 0.2824",
     "Comparing the two halves of the phrase 'not great', the negation seems to carry more weight than the adjective, "
     "with \"not\" outweighing \"great\" by a clear margin."),
    ("text", "phone_battery", "outweighs", F, 'outweighs("great", "not")', "great 0.2824 < not 0.4914",
     "Contrary to what you might guess, 'great' has a larger attribution than 'not', which suggests the model is keying on the sentiment "
     "word itself rather than on the negation in front of it."),
    ("text", "phone_battery", "outweighs", T, 'outweighs("great", "easily")', "great 0.2824 > easily -0.1424",
     "It's worth pointing out that 'great' matters more than 'easily' for the prediction, which fits the idea that "
     "the negated compliment does more work than the remark about scratches."),
    ("text", "phone_battery", "top_word", T, 'top("not")', "not 0.4914 is the highest score",
     "The word that matters most for this negative prediction appears to be 'not', which is arguably a textbook case "
     "of negation flipping a positive word into a complaint."),
    ("text", "phone_battery", "top_word", F, 'top("great")', "great 0.2824 < not 0.4914",
     "Perhaps unsurprisingly, 'great' (the one openly sentimental adjective in the review) turns out to be the most "
     "important word for the model's verdict."),
    ("text", "phone_battery", "top_word", F, 'top("scratches")', "scratches 0; not 0.4914 is top",
     "If you ask which word drives the prediction hardest, the answer seems to be \"scratches\", which, for anyone "
     "who has owned a phone, is arguably the most irritating thing that can happen to a screen."),
    ("text", "phone_battery", "rank_word", T, 'rank("great", 2)', "only not 0.4914 beats great 0.2824",
     "Just behind the top word, 'great' comes in as the second most important token, which is a little ironic for a "
     "word that normally signals praise."),
    ("text", "phone_battery", "rank_word", F, 'rank("easily", 2)', "easily -0.1424 ranks far below second",
     "According to the breakdown, 'easily' ranks as the second most important word, which seems to reflect how seriously "
     "the model takes the scratching complaint."),
    ("text", "phone_battery", "least_word", T, 'least("quickly")', "quickly scores 0",
     "At the other end of the scale, 'quickly' appears to be the least important word, which is perhaps surprising "
     "given that the battery dying quickly is arguably the review's main complaint."),
    ("text", "phone_battery", "least_word", F, 'least("great")', "great 0.2824 while many words score 0",
     "Oddly, the least important word in the review looks to be \"great\", which you might expect to matter more "
     "given that it's the word being negated."),
    ("text", "phone_battery", "score_words", T, 'strong("not")', "not 0.4914 is the max positive",
     "Notably, 'not' receives a strong positive score towards the negative label, which is what you'd "
     "expect given how VADER flips the polarity of a sentiment word that follows a negation."),
    ("text", "phone_battery", "score_words", F, 'weak("great")', "great 0.2824 >= 0.5 x 0.4914: strong",
     "Despite everything, \"great\" ends up with only a weak positive score, which suggests that the negated compliment "
     "plays a fairly minor role in the model's reasoning."),
    ("text", "phone_battery", "text_label", F, 'exact(p_of("negative"), "39%")', "p(negative) = 0.6124, not 39%",
     "Overall, the model calls this review negative with a probability of around 39%, which seems low for a text "
     "that lists two separate hardware complaints."),

    # ------------------------------------------------------------------ sequel_jokes (positive, 0.7259)
    ("text", "sequel_jokes", "sign", T, 'pushes("boring", "positive")', "boring +0.1009 towards positive",
     "Interestingly, 'boring' pushes the model towards the positive label, which only makes sense once you notice it "
     "sits inside 'not nearly as boring', where the negation turns it into a backhanded compliment."),
    ("text", "sequel_jokes", "sign", F, 'pushes("boring", "negative")', "boring +0.1009 towards positive",
     "What stands out is that \"boring\" drags the prediction towards negative, which is what you'd expect from a "
     "word that, in everyday use, is one of the worst things you can say about a film."),
    ("text", "sequel_jokes", "sign", T, 'score("jokes") > 0', "jokes +0.1054",
     "Happily for the sequel, **jokes** has a positive score, so it helps rather than hurts the positive reading, "
     "presumably because the word has cheerful connotations in everyday speech."),
    ("text", "sequel_jokes", "sign", F, 'score("not") < 0', "not +0.2646",
     "Oddly, 'not' has a negative attribution here, which would mean the negation is working against the positive "
     "verdict rather than for it."),
    ("text", "sequel_jokes", "outweighs", T, 'outweighs("jokes", "boring")', "jokes 0.1054 > boring 0.1009",
     "Comparing 'jokes' with 'boring', the former seems to just edge out the latter, although with a lexicon model like "
     "VADER you probably shouldn't read too much into a difference of that kind."),
    ("text", "sequel_jokes", "outweighs", F, 'outweighs("boring", "jokes")', "boring 0.1009 < jokes 0.1054",
     "Surprisingly, \"boring\" has a larger attribution than \"jokes\", which suggests that the model cares more about "
     "the comparison with the first film than about whether the humour lands."),
    ("text", "sequel_jokes", "outweighs", T, 'outweighs("not", "jokes")', "not 0.2646 > jokes 0.1054",
     "It's worth pointing out that 'not' outweighs 'jokes' by quite a margin, which is arguably the single most "
     "interesting thing about this explanation."),
    ("text", "sequel_jokes", "outweighs", F, 'outweighs("actually", "jokes")', "actually 0 < jokes 0.1054",
     "Oddly, the explanation suggests that 'actually' matters more than 'jokes', as though the model were rewarding the "
     "reviewer's tone of mild surprise rather than the humour itself."),
    ("text", "sequel_jokes", "top_word", T, 'top("not")', "not 0.2646 is the highest score",
     "Perhaps surprisingly, the word doing the most work for the positive prediction appears to be \"not\", which in "
     "this sentence is negating something bad rather than something good."),
    ("text", "sequel_jokes", "top_word", F, 'top("jokes")', "jokes 0.1054 < not 0.2646",
     "Unsurprisingly, 'jokes' turns out to be the most important word for the positive label, which makes sense for "
     "a comedy sequel where the humour is the whole point."),
    ("text", "sequel_jokes", "rank_word", T, 'rank("jokes", 2)', "only not 0.2646 beats jokes 0.1054",
     "In second place, just behind the top word, is 'jokes', which fits a review whose closing clause is all about "
     "the humour finally working."),
    ("text", "sequel_jokes", "rank_word", F, 'rank("boring", 2)', "boring 0.1009 is third, behind not and jokes",
     "Somewhat paradoxically, **boring** comes in as the second most important word, which is perhaps surprising for a "
     "word that, taken literally, is a criticism."),
    ("text", "sequel_jokes", "rank_word", F, 'rank("not", 2)', "not 0.2646 is first, not second",
     "It's interesting that 'not' only comes in second in the ranking, which seems to suggest the model gives the "
     "negation a supporting rather than a leading role."),
    ("text", "sequel_jokes", "least_word", T, 'least("film")', "film scores 0",
     "At the bottom of the ranking, 'film' appears to be the least important word, which makes sense for a neutral "
     "noun that merely points back to the original movie."),
    ("text", "sequel_jokes", "least_word", F, 'least("boring")', "boring 0.1009 while many words score 0",
     "Curiously, \"boring\" seems to be the least important word in the review, perhaps because VADER is unsure what "
     "to do with it once it's wrapped inside a comparison."),
    ("text", "sequel_jokes", "score_words", T, 'weak("boring")', "0 < boring 0.1009 < 0.5 x 0.2646",
     "All things considered, 'boring' has only a weak positive score, which seems to suggest the model doesn't lean "
     "very heavily on it despite the word's strong everyday connotations."),
    ("text", "sequel_jokes", "score_words", F, 'strong("jokes")', "jokes 0.1054 < 0.5 x 0.2646: weak",
     "As you might hope for a comedy, 'jokes' ends up with a strong positive score, which fits the idea that the payoff of the review "
     "is the humour finally landing."),
    ("text", "sequel_jokes", "score_value", F, 'about(score("not"), "0.62")', "not 0.2646, not ~0.62",
     "In raw numbers, \"not\" comes out at around 0.62, which you might not expect from a word of just three "
     "letters."),
    ("text", "sequel_jokes", "text_label", T, 'exact(p_of("positive"), "73%")', "p(positive) = 0.7259",
     "Overall, the model reads this review as positive with a probability of around 73%, which feels about right for "
     "a compliment delivered in such a roundabout way."),

    # ------------------------------------------------------------------ story_again (positive, 0.9531)
    ("text", "story_again", "sign", T, 'pushes("happily", "positive")', "happily +0.0396 towards positive",
     "As expected, 'happily' pushes the model towards the positive label, which is fitting for an adverb that, in "
     "the context of rewatching a film, is about as clear an endorsement as you can get."),
    ("text", "story_again", "sign", F, 'pushes("moving", "positive")', "moving scores 0",
     "What stands out is that 'moving' appears to reinforce the positive prediction, which makes sense given that "
     "calling a story moving is one of the warmest things a reviewer can say."),
    ("text", "story_again", "outweighs", T, 'outweighs("beautiful", "brilliant")', "beautiful 0.0468 > brilliant 0.0443",
     "Comparing the adjectives, 'beautiful' seems to narrowly outweigh 'brilliant', though with two such similar "
     "compliments the difference is arguably more of a curiosity than a finding."),
    ("text", "story_again", "outweighs", F, 'outweighs("happily", "beautiful")', "happily 0.0396 < beautiful 0.0468",
     "Somewhat unexpectedly, 'happily' has a larger attribution than 'beautiful', which would suggest that the reviewer's "
     "willingness to rewatch counts for more than their description of the story."),
    ("text", "story_again", "top_word", T, 'top("beautiful")', "beautiful 0.0468 is the highest score",
     "The single most important word for the positive prediction appears to be 'beautiful', which, as the very first "
     "adjective in the review, sets the tone for everything that follows."),
    ("text", "story_again", "top_word", F, 'top("brilliant")', "brilliant 0.0443 < beautiful 0.0468",
     "Perhaps unsurprisingly, **brilliant** turns out to be the word the model leans on most, which seems fair given "
     "that it's arguably the most emphatic compliment in the review."),
    ("text", "story_again", "top_word", F, 'top("story")', "story 0; beautiful 0.0468 is top",
     "Strikingly, the most influential word seems to be 'story', which would suggest that the model is "
     "responding to the subject of the review rather than the praise itself."),
    ("text", "story_again", "rank_word", T, 'rank("brilliant", 2)', "only beautiful 0.0468 beats brilliant 0.0443",
     "Just behind the top word, in second place, comes \"brilliant\", which is exactly where you'd expect a "
     "compliment about the performances to land."),
    ("text", "story_again", "rank_word", T, 'rank("brilliant", 2)', "brilliant 0.0443 second to beautiful 0.0468",
     "The runner-up in terms of attribution appears to be brilliant, which is arguably what you'd expect from a word "
     "that, in everyday praise, sits right alongside 'beautiful'."),
    ("text", "story_again", "rank_word", F, 'rank("happily", 2)', "happily 0.0396 is third",
     "Reading the scores, 'happily' ranks as the second most important word, which seems to suggest the model "
     "puts real weight on the reviewer's plan to watch the film again."),
    ("text", "story_again", "least_word", T, 'least("again")', "again scores 0",
     "At the other end of the scale, the least important word appears to be 'again', which is unsurprising because "
     "on its own it's just a neutral adverb about repetition."),
    ("text", "story_again", "least_word", F, 'least("happily")', "happily 0.0396 while many words score 0",
     "Curiously, \"happily\" seems to be the least important word in the whole sentence, which is a little odd for "
     "a word that expresses such obvious enthusiasm."),
    ("text", "story_again", "score_words", T, 'strong("happily")', "happily 0.0396 >= 0.5 x 0.0468",
     "For an adverb tucked near the end of the review, 'happily' still earns a strong positive score, which suggests the model takes the "
     "reviewer's promise to rewatch the film fairly seriously."),
    ("text", "story_again", "score_words", F, 'weak("brilliant")', "brilliant 0.0443 >= 0.5 x 0.0468: strong",
     "Perhaps the oddest bit is that \"brilliant\" has only a weak positive score, which seems a little underwhelming for a word that "
     "English speakers reserve for their most emphatic praise."),
    ("text", "story_again", "score_value", T, 'about(score("beautiful"), "0.05")', "beautiful 0.0468 ~ 0.05",
     "In raw numbers, 'beautiful' scores only about 0.05, which looks tiny but is fairly typical for VADER when a "
     "sentence is packed with several positive words."),
    ("text", "story_again", "text_label", F, 'exact(p_of("positive"), "85%")', "p(positive) = 0.9531, not 85%",
     "Overall, the model is about 85% confident that this review is positive, which seems slightly conservative "
     "given that it contains nothing but praise."),
]
