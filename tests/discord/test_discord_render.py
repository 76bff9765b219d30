"""Pure rendering: Discord's limits, alert prefixes, digests split at story boundaries."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.adapters.discord_bot import render
from bot.core.models import Brief

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def brief(
    i: int = 1, *, title: str = "Headline", summary: str = "One. Two.", **kw: object
) -> Brief:
    return Brief(
        id=i,
        story_key=f"k{i}",
        feed_id="world-news",
        title=title,
        summary=summary,
        link=f"https://example.org/{i}",
        source="World News",
        published=T,
        **kw,
    )  # type: ignore[arg-type]


def test_brief_embed_respects_every_limit() -> None:
    embed = render.brief_embed(
        brief(title="T" * 300, summary="word " * 2000, also_sources=("BBC",) * 1000)
    )
    assert len(embed.title or "") == 256 and (embed.title or "").endswith("…")
    assert len(embed.description or "") <= 4096
    assert len(embed.footer.text or "") <= 2048
    assert len(embed) <= 6000


def test_brief_embed_parts() -> None:
    b = brief(
        summary="A *bold* claim.",
        also_sources=("BBC", "Reuters"),
        image_url="https://img.example/x.png",
    )
    data = render.brief_embed(b).to_dict()
    assert data["title"] == "Headline" and data["url"] == "https://example.org/1"
    assert data["description"] == "A \\*bold\\* claim."
    assert data["footer"] == {"text": "World News · also BBC, Reuters"}
    assert data["thumbnail"] == {"url": "https://img.example/x.png"}
    assert data["timestamp"] == "2025-03-01T12:00:00+00:00"
    assert "thumbnail" not in render.brief_embed(brief(image_url="javascript:x")).to_dict()


def test_alert_prefix_names_every_alert() -> None:
    assert render.alert_prefix(["kursk"]) == 'Alert "kursk":'
    assert render.alert_prefix(["kursk", "sudzha"]) == 'Alert "kursk", "sudzha":'
    assert render.brief_message(brief()).content == ""
    assert render.brief_message(brief(), ["kursk"]).content == 'Alert "kursk":'


def test_digest_splits_at_ten_embeds_and_6000_characters() -> None:
    many = render.digest_messages("Your 08:00 briefing", [brief(i) for i in range(23)])
    assert [len(m.embeds) for m in many] == [10, 10, 3]
    assert [m.content for m in many] == ["Your 08:00 briefing", "", ""]
    big = [brief(i, title="T" * 250, summary="x" * 290) for i in range(30)]
    for message in render.digest_messages("Big", big):
        assert message.embed_chars <= 6000 and len(message.embeds) <= 10
    assert sum(len(m.embeds) for m in render.digest_messages("Big", big)) == 30


def test_digest_shows_one_sentence_per_story() -> None:
    (message,) = render.digest_messages("D", [brief(summary="Mr. Smith went. Then more.")])
    assert message.embeds[0].description == "Mr. Smith went."


def test_core_command_names_become_news_subcommands() -> None:
    text = "Try /latest, /unalert <id>, /alerts and /alert kursk; /subscriptions lists them."
    assert render.discord_commands(text) == (
        "Try /news latest, /news alert remove <id>, /news alert list and /news alert add "
        "kursk; /news list lists them."
    )
    quiet = "Quiet hours 22:00-07:00 (UTC). /quiet off to undo; /digest off pushes every story."
    assert render.discord_commands(quiet) == (
        "Quiet hours 22:00-07:00 (UTC). /news quiet off to undo; /news digest off pushes every "
        "story."
    )
    url = "See https://example.org/feeds/latest and /feeds/x"
    assert render.discord_commands(url) == url


def test_long_replies_split_at_lines_under_2000() -> None:
    text = "\n".join(f"feed-{i}: a feed with a long enough title number {i}" for i in range(100))
    messages = render.reply_messages(text)
    assert len(messages) > 1 and all(len(m.content) <= 2000 for m in messages)
    assert "\n".join(m.content for m in messages).count("feed-") == 100
    assert all(len(p) <= 2000 for p in render.split_text("y" * 4500))


def test_thread_names_are_one_line_of_at_most_100() -> None:
    assert render.thread_name("a\nb   c") == "a b c"
    assert len(render.thread_name("z" * 300)) == 100
    assert render.thread_name("  ") == "News"


def test_first_sentence_skips_abbreviations_and_initials() -> None:
    assert render.first_sentence("J. K. Rowling and the U.S. agree. Next.") == (
        "J. K. Rowling and the U.S. agree."
    )
    assert render.first_sentence("No full stop at all") == "No full stop at all"
    assert render.first_sentence("Up 5%! Markets cheer.") == "Up 5%!"
