"""HTML to prose paragraphs (summarizer.markup): blocks, skipped elements, furniture, links."""

from __future__ import annotations

from summarizer.markup import MAX_LINK_DENSITY, html_to_paragraphs, looks_like_html

BODY = "<p>The harbour board approved the new ferry timetable on Monday evening.</p>"
BODY_TEXT = "The harbour board approved the new ferry timetable on Monday evening."


def test_looks_like_html_needs_a_known_tag() -> None:
    assert looks_like_html("<p>Hello</p>")
    assert looks_like_html("x <P CLASS='lead'>y")  # any case, with attributes
    assert looks_like_html("line one<br/>line two")
    assert looks_like_html("text that only closes a tag</foo>")
    assert not looks_like_html("plain text where a < b and c > d")
    assert not looks_like_html("the <brandname> product")  # a tag name must end there
    assert not looks_like_html("")


def test_block_elements_and_line_breaks_make_paragraphs() -> None:
    markup = "<p>One<br>Two</p><div>Three</div><ul><li>Four</li><li>Five</li></ul><h2>Six</h2>"
    assert html_to_paragraphs(markup) == ["One", "Two", "Three", "Four", "Five", "Six"]


def test_inline_elements_do_not_break_a_paragraph() -> None:
    markup = "<p>The <b>board</b> <em>approved</em> the <span class='x'>timetable</span>.</p>"
    assert html_to_paragraphs(markup) == ["The board approved the timetable."]


def test_entities_are_decoded_and_whitespace_collapsed() -> None:
    markup = "<p>Ferries &amp; buses&nbsp;run\n\n   late &#8212; again &quot;today&quot;</p>"
    assert html_to_paragraphs(markup) == ['Ferries & buses run late — again "today"']


def test_text_outside_any_block_is_kept() -> None:
    assert html_to_paragraphs("Loose text <b>with</b> tags") == ["Loose text with tags"]
    assert html_to_paragraphs("Before a rule<hr>after it") == ["Before a rule", "after it"]


def test_skipped_elements_lose_their_text_even_when_nested() -> None:
    markup = (
        "<p>Before</p>"
        "<script>var shown = '<p>not a paragraph</p>';</script>"
        "<nav><div><p>Home</p><p>World</p></div></nav>"
        "<figure><img src='a.jpg'><figcaption>A caption</figcaption></figure>"
        "<form><button>Send</button></form>"
        "<p>After</p>"
    )
    assert html_to_paragraphs(markup) == ["Before", "After"]


def test_text_resumes_after_a_skipped_element_inside_a_paragraph() -> None:
    markup = "<p>The vote <button>Share</button>was close, members said.</p>"
    assert html_to_paragraphs(markup) == ["The vote", "was close, members said."]


def test_head_and_page_chrome_are_dropped_from_a_whole_page() -> None:
    page = (
        "<html><head><title>Site title</title><style>p {color: red}</style></head><body>"
        "<header>Site name</header><main>" + BODY + "</main>"
        "<aside>Most read</aside><footer>Contact us</footer></body></html>"
    )
    assert html_to_paragraphs(page) == [BODY_TEXT]


def test_furniture_is_recognised_by_class_id_and_role_words() -> None:
    for attribute in (
        "class='share-tools'",
        "class='shareTools'",  # camelCase is split into words
        "class='story__newsletter_box'",
        "id='related-stories'",
        "class='header-ad'",
        "role='navigation'",
        "hidden",
        "aria-hidden='true'",
    ):
        markup = f"{BODY}<div {attribute}><p>Furniture text in a box.</p></div>"
        assert html_to_paragraphs(markup) == [BODY_TEXT], attribute


def test_furniture_words_must_be_whole_words() -> None:
    for attribute in (
        "class='shared-timeline'",
        "class='adjacent'",
        "class='storyBody'",
        "data-role='share'",  # only class, id and role name a role
        "aria-hidden='false'",
    ):
        markup = f"{BODY}<div {attribute}><p>Second paragraph of the story.</p></div>"
        assert html_to_paragraphs(markup) == [BODY_TEXT, "Second paragraph of the story."], (
            attribute
        )


def test_everything_inside_a_furniture_element_is_dropped() -> None:
    markup = (
        "<div class='related'><div><p>First related story</p></div>"
        "<p>Second related story, after the inner box closed</p></div>" + BODY
    )
    assert html_to_paragraphs(markup) == [BODY_TEXT]


def test_structural_tags_are_never_furniture() -> None:
    markup = "<article class='share-enabled'>" + BODY + "</article><p>A short tail line.</p>"
    assert html_to_paragraphs(markup) == [BODY_TEXT, "A short tail line."]


def test_the_furniture_filter_is_skipped_when_it_would_keep_under_a_fifth() -> None:
    furniture = "<div class='promo'><p>" + "f" * 81 + "</p></div>"
    # 19 characters kept of 100: the filter would leave too little, so nothing is dropped.
    assert html_to_paragraphs("<p>" + "k" * 19 + "</p>" + furniture) == ["k" * 19, "f" * 81]
    # 21 of 102: the furniture goes.
    assert html_to_paragraphs("<p>" + "k" * 21 + "</p>" + furniture) == ["k" * 21]


def test_paragraphs_that_are_mostly_link_text_are_dropped() -> None:
    markup = (
        "<p>See <a href='/r'>the report</a> from the committee on the ferry timetable.</p>"
        "<p><a href='/a'>Other story</a> too</p>"  # 11 of 15 characters are link text
        "<p><a href='/b'>Other story</a> and more</p>"  # 11 of 20
    )
    assert html_to_paragraphs(markup) == [
        "See the report from the committee on the ferry timetable.",
        "Other story and more",
    ]
    assert 11 / 15 > MAX_LINK_DENSITY >= 11 / 20


def test_nested_links_are_counted_once() -> None:
    markup = "<p><a href='/x'>Outer <a href='/y'>inner</a></a> then plain prose that runs on.</p>"
    assert html_to_paragraphs(markup) == ["Outer inner then plain prose that runs on."]


def test_broken_markup_is_tolerated() -> None:
    markup = "<p>Unclosed <b>bold</p></i></span><p>Next</p><div><p>Open to the end"
    assert html_to_paragraphs(markup) == ["Unclosed bold", "Next", "Open to the end"]


def test_an_unmatched_end_tag_does_not_close_furniture() -> None:
    markup = "<div class='comments'><p>A reader comment</p></span></p><p>Another</p></div>" + BODY
    assert html_to_paragraphs(markup) == [BODY_TEXT]


def test_empty_and_blank_markup_give_no_paragraphs() -> None:
    assert html_to_paragraphs("") == []
    assert html_to_paragraphs("<p> </p><div>\n</div><br>") == []
