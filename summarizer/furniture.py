"""Patterns for page furniture in article text: bylines, datelines, prompts, captions.

Data only (compiled regular expressions and word lists), used by `summarizer.clean`. Each
pattern was written against text seen in the development corpora (`../shared`): Daily Mail
bylines and "PUBLISHED: ... | UPDATED: ..." stamps, CNN and Reuters datelines, BBC "Media
playback is unsupported on your device" and newsletter prompts, Sky's "Please use Chrome
browser ...", Guardian "Related:" links, Quanta's "The post ... first appeared on ...", NPR's
"(Image credit: ...)", Daily Mail image captions glued into the text; list bullets, caption
credits and the prompts of the shared article pages ("Also on <site>", "Like this story?",
the Dow Jones reprint notice).
"""

from __future__ import annotations

import re

_I = re.IGNORECASE
_TIME = r"\d{1,2}[:.]\d{2}(?:\s*[AaPp]\.?[Mm]\.?)?(?:\s*[A-Z]{2,4})?"
_DATE = r"\d{1,2}(?:st|nd|rd|th)?\s+[A-Z][a-z]+\s+\d{4}"
_NAME = r"[A-Z][\w'’.-]*"

# Removed wherever they occur inside a paragraph.
INLINE = (
    # Daily Mail: "By . Daily Mail Reporter . PUBLISHED: . 12:00 EST, 1 May 2014 . | . UPDATED: ..."
    re.compile(r"\bBy\s+\.\s+[^.]{1,80}?\s+\.\s+(?:and\s+[^.]{1,60}?\s+\.\s+)?"),
    re.compile(
        rf"\b(?:PUBLISHED|UPDATED):\s*\.?\s*{_TIME},?\s*{_DATE}\s*\.?\s*(?:\|\s*\.?\s*)?",
    ),
    re.compile(rf"\b(?:{_DATE}\s+)?Last updated (?:at|on)\s+{_TIME}(?:\s+on\s+{_DATE})?\s*\.?"),
    re.compile(r"\bScroll down for (?:the )?(?:video|videos|more(?: videos)?)\b\s*\.?", _I),
    re.compile(r"\bMedia playback is (?:unsupported|not supported) on (?:your|this) device\b", _I),
    re.compile(r"\bPlease use Chrome browser for a more accessible video player\b\.?", _I),
    re.compile(r"\bThis video can ?not be played\b\.?", _I),
    re.compile(r"\s*\((?:not )?pictured\b[^()]{0,80}\)", _I),
    re.compile(
        r"\s*\((?:image|photo|picture|video|graphic)s?(?: credit| courtesy| source)?:"
        r"[^()]{0,120}\)",
        _I,
    ),
)

# A wire dateline: "SANTA FE, N.M. (AP) —", "LONDON, Nov 5 (Reuters) -", "PARIS (AFP) -",
# "WASHINGTON, March 3 (UPI) --", "NEW YORK —", "SAN FRANCISCO, Calif. —" (Bloomberg style).
# The city is in capitals, an optional state or date follows; removed from the first prose
# paragraph of an article, even when a URL or headline line comes before it.
_CITY = r"[A-Z][A-Z.'’-]+(?: [A-Z][A-Z.'’-]+){0,3}"
_PLACE_OR_DATE = r"(?:,\s*(?:[A-Z][a-z]{1,9}\.?(?: \d{1,2})?|[A-Z]\.[A-Z]\.|[A-Z]{2}\b)){0,2}"
_WIRE = r"AP|Reuters|AFP|UPI|Bloomberg|Xinhua|dpa|DPA|ANI|PTI|IANS|CNN|Kyodo|TASS"
WIRE_DATELINE = re.compile(
    rf"^{_CITY}{_PLACE_OR_DATE}\s*(?:\((?:{_WIRE})\)\s*(?:--|—|–|-|:)?|\s(?:--|—|–))\s*"
)

# Removed only at the very start of an article: wire datelines and bylines.
LEADING = (
    WIRE_DATELINE,
    # "(CNN)", "New Delhi, India (CNN)", "WASHINGTON (Reuters) -", "( cnn ) --",
    # "(The Hollywood Reporter)". A place before the brackets only with a known agency in
    # them: "The World Health Organization (WHO) said ..." is prose.
    re.compile(
        r"^(?:(?:[A-Za-z][\w.'’-]*(?:[ ,]+[A-Za-z][\w.'’-]*){0,4}\s*)?"
        r"\(\s*(?:cnn|CNN|Reuters|AP|AFP)\s*\)|\(\s*[A-Z][\w.]+(?: [A-Z][\w.]*){0,3}\s*\))"
        r"\s*(?:(?:--|—|–|-)\s*)?"
    ),
    # "LONDON — ", "NEW YORK, N.Y. -- "
    re.compile(r"^[A-Z]{2,}(?:[ ,.]+[A-Z]{2,}\.?){0,3}\s+(?:--|—|–)\s+"),
    # "By John Smith, CNN", "By Jane Doe and John Roe | ", "By John Smith ."
    re.compile(
        rf"^By\s+{_NAME}(?:\s+{_NAME}){{1,3}}(?:\s+(?:and|&)\s+{_NAME}(?:\s+{_NAME}){{1,3}})?"
        rf"(?:\s*,\s*{_NAME}(?:\s+{_NAME}){{0,3}})?\s*(?:[.|]\s*|$|(?=Updated\b|\())"
    ),
)

# A list item: a bullet or dash, a space, then a word that does not continue a sentence
# ("- which we know ..." is a dash inside prose).
BULLET = re.compile(r"^[-–—•*·▪●■]\s+(?=[^\W_a-z]|[\"“‘'(])")

# The credit that ends a photo caption: "... at the launch via Example Labs", "Photo: Jane
# Roe/AP", "(Getty Images)". Only looked for in text without a sentence end.
CAPTION_CREDIT = re.compile(
    r"(?:\bvia|\b(?:Photo|Image|Picture|Video)s?(?: by| credit)?:|\bCredit:|\bCourtesy(?: of)?)"
    r"\s+\S+(?:\s+\S+){0,3}$"
    r"|(?:\b|/|\()(?:Getty Images|AP Photo|AFP|Reuters|EPA|Shutterstock|Alamy)\)?$"
)

# A sentence (or paragraph) that matches is dropped whole.
DROP_SENTENCE = re.compile(
    r"^(?:"
    r"(?:Follow|Like) (?:us|@?[\w.]+(?: [\w.]+){0,3}) on (?:Twitter|Facebook|Instagram|X|TikTok|"
    r"YouTube|Threads|LinkedIn|Bluesky|Mastodon)\b"
    r"|Follow @\w+"
    r"|(?:Sign up|Subscribe|Register)\b.{0,120}\b(?:newsletter|inbox|e-?mail|updates|alerts|free)\b"
    r"|(?:Install|Download|Get) (?:the|our) .{0,60}\bapp\b"
    r"|.{0,80}\bPlease use Chrome browser\b"
    r"|READ MORE\b|Read more\b|Related(?: articles| stories| content| coverage)?:"
    r"|More on this story|RSVP\b"
    r"|See also\b|Click here\b|Share (?:this|on|via|it with)\b|Share or comment\b"
    r"|Continue reading\b"
    r"|Also (?:on|at) \S+\.[a-z]{2,}\b"
    r"|(?:Like|Enjoy(?:ed)?|Love) this (?:story|article|post)\b.{0,30}\?"
    r"|This copy is for your personal,? non-commercial use\b|To order presentation-ready copies\b"
    r"|Watch (?:the|our) (?:video|full)\b|Listen to (?:the|this|our) (?:reports?|podcast|programme)"
    r"|The post .{0,200}\bappeared (?:first )?on\b"
    r"|(?:Copyright|©)\s|.{0,120}\bAll rights reserved\b"
    r"|Most computers will open PDF documents|Download the reader here"
    r"|Advertisement\b|(?:You have|You've got) \d+ free articles?|Already a subscriber"
    r"|(?:Do you have|Have you got|Got) a (?:news )?story\b"
    r"|E-?mail (?:us|me|the (?:author|newsroom|reporter))\b"
    r"|Editor'?s note:|Image (?:copyright|caption)\b|(?:Photo|Image|Picture)(?: credit)?:"
    r"|(?:Updated|Published|Posted)\b.{0,40}\d{1,2}:\d{2}"
    r")",
    _I,
)

# Daily Mail image captions are glued to the next sentence without punctuation:
# "... manager on Friday ‘I’d be over the moon,’ said Locke" or "... on Friday The club ...".
# A glue point is a capitalised sentence starter (or an opening quote and a capital) right
# after a word that cannot precede one inside a sentence.
GLUE_STARTERS = frozenset(
    {"The", "He", "She", "They", "His", "Her", "Their", "We", "But", "This", "These", "Those"}
)
OPENING_QUOTE_CAPITAL = re.compile(r"^[‘“\"'][A-Z]")
GLUE_BLOCKERS = frozenset(
    {
        "a", "an", "the", "of", "in", "into", "by", "to", "for", "with", "on", "at", "from",
        "and", "or", "as", "than", "that", "said", "says", "say", "told", "tells", "tell",
        "dubbed", "called", "named", "titled", "entitled", "labelled", "labeled", "branded",
        "starring", "read", "reads", "wrote", "writes", "is", "was", "are", "were", "be",
        "been", "about", "like", "film", "movie", "song", "album", "book", "show", "series",
        "single", "band", "newspaper", "magazine", "hit", "novel", "track", "programme",
        "program", "play", "musical", "documentary", "episode", "slogan", "word", "words",
        "phrase", "sign", "message", "headline", "caption", "added", "adding", "explained",
        "insisted", "admitted", "claimed", "wrote:", "warned", "joked", "tweeted", "posted",
        "shouted", "screamed", "asked", "replied", "continued", "stated",
    }
)  # fmt: skip
# "Fighter ace: Douglas Bader's story ..." opens a glued caption.
CAPTION_LABEL = re.compile(r"^[A-Z][\w'’-]*(?: [\w'’-]+){0,3}: (?=[A-Z])")
