"""A ~600-word news report written for the tests (not a publisher's text).

Its lede is editorial (no place, no number); the sentence that carries the facts (who, how
many, where, when) is the third, 35 words long, so a greedy 60-word fill that takes the lede
and the short second sentence has no room left for it.
"""

TITLE = "Floodwaters force thousands from their homes"

FACT_SENTENCE = (
    "Emergency crews evacuated about 4,200 residents of Marlow and two nearby villages on "
    "Tuesday night after the River Esk burst its banks, the regional fire service said, "
    "with 38 people rescued from rooftops by boat."
)

PARAGRAPHS = (
    "It was the kind of night that long-time residents had always feared would come, and "
    "many of them say the warnings came far too late for anyone to act on them.",
    "Nobody had seen anything like it before.",
    FACT_SENTENCE,
    "Water reached the first floor of homes along the high street within an hour, and the "
    "power was cut to most of the town shortly before midnight as the river kept rising.",
    "“We heard the sirens and then the water was at the door,” said Ellen Harper, a retired "
    "teacher who spent the night at a school gymnasium with her two grandchildren.",
    "The council opened three rest centres and asked people who could stay with relatives "
    "outside the valley to do so, because the shelters were already close to full by dawn.",
    "Forecasters had issued an amber warning for heavy rain on Monday, but it was raised to "
    "red only on Tuesday afternoon, when the rain gauges upstream had already recorded "
    "more than a month of rainfall in a single day.",
    "Local officials said the flood defences built after a smaller flood a decade ago had "
    "held in the town centre but were overtopped on the eastern side, where newer housing "
    "estates stand on low ground close to the water.",
    "Many of those families moved in only in the last few years and had never been told "
    "that their streets lay inside the flood plain, residents said.",
    "The regional fire service said its crews had worked through the night with support from "
    "volunteer boat teams, and that no deaths had been reported, although two people were "
    "taken to hospital with hypothermia.",
    "Roads into the valley remained closed on Wednesday morning, and the railway line was "
    "suspended after a section of embankment was washed away near the station.",
    "Schools across the district will stay shut for the rest of the week, the council said, "
    "and bin collections and bus services have been suspended until further notice.",
    "Insurers said it was too early to estimate the cost of the damage, but one industry "
    "group warned that claims could run into tens of millions.",
    "Environmental groups said the flood showed how quickly the climate was changing, and "
    "called for more money to be spent on defences and on restoring wetlands upstream.",
    "The government minister responsible for floods is expected to visit the town later "
    "this week, and has promised that emergency funding will be made available.",
    "For now, many residents are waiting to be allowed back to see what is left of their "
    "homes, and some say they are not sure they want to return at all.",
    "“This is where I grew up, but I cannot go through this again,” said Tom Reilly, whose "
    "ground-floor flat was flooded to the ceiling.",
    "The river was expected to fall slowly over the next two days, forecasters said, "
    "although more rain is forecast for the weekend.",
    "Volunteers have set up a collection point for clothes, food and bedding at the town "
    "hall, and a fund for affected families had raised thousands within hours.",
    "Church halls in the neighbouring villages also took in families overnight, and "
    "farmers on higher ground offered barns and trailers for livestock moved away from "
    "the fields that were under water by the morning.",
    "Council leaders said a full review of the warnings and of the defences would follow "
    "once the immediate emergency was over.",
)

TEXT = "\n".join(PARAGRAPHS)
