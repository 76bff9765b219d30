"""Discord in the chat's language: localised descriptions in the synced ``/news`` tree (from
the same catalogues), and replies in the caller's Discord language by default."""

from __future__ import annotations

from discord_payloads import TEXT_ID
from discord_support import run
from fake_discord import FakeDiscord

from bot.adapters.discord_bot.adapter import DiscordAdapter
from bot.core.models import ChatRef, Platform
from bot.storage import SqlStorage


async def test_the_synced_tree_carries_localised_descriptions(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    (news,) = fake.synced["global"]
    assert news["description_localizations"]["uk"] == "Короткі новини в цьому каналі"
    assert news["description_localizations"]["fr"] == "Brèves d’actualité dans ce salon"
    subs = {o["name"]: o for o in news["options"]}
    latest = subs["latest"]
    assert latest["description"] == "Show the newest briefs, or search them"
    assert latest["description_localizations"] == {
        "uk": "Показати найновіші новини або шукати серед них",
        "ru": "Показать свежие новости или найти среди них",
        "de": "Die neuesten Meldungen zeigen oder durchsuchen",
        "es-ES": "Ver las noticias más recientes o buscar en ellas",
        "es-419": "Ver las noticias más recientes o buscar en ellas",
        "fr": "Afficher les brèves les plus récentes, ou y chercher",
    }
    count = {o["name"]: o for o in latest["options"]}["count"]
    assert count["description_localizations"]["de"] == "Wie viele (1-20)"
    alert = {o["name"]: o for o in subs["alert"]["options"]}
    assert subs["alert"]["description_localizations"]["ru"] == (
        "Оповещения по ключевым словам для этого чата"
    )
    # Command references are Discord's: /news alert list, not /alerts.
    remove = {o["name"]: o for o in alert["remove"]["options"]}
    assert remove["id"]["description_localizations"]["uk"] == (
        "Номер сповіщення (див. /news alert list)"
    )
    assert "name_localizations" not in latest or not latest["name_localizations"]


async def test_a_ukrainian_caller_gets_ukrainian_replies_kept_for_the_channel(
    fake: FakeDiscord, adapter: DiscordAdapter, storage: SqlStorage
) -> None:
    payload = fake.command("subscribe", {"target": "world"})
    payload["locale"] = "uk"
    log = await run(fake, adapter, payload)
    assert log.messages[0].content.startswith("Підписано на World News (world-news).")
    channel = ChatRef(Platform.DISCORD, str(TEXT_ID))
    assert (await storage.get_chat(channel)).language == "uk"
    later = await run(fake, adapter, fake.command("status"))  # an English-speaking member
    assert later.messages[0].content.startswith("world-news: останній успіх")


async def test_a_caller_language_not_ours_falls_back_to_the_servers(
    fake: FakeDiscord, adapter: DiscordAdapter
) -> None:
    payload = fake.command("status")
    payload["locale"], payload["guild_locale"] = "pt-BR", "de"
    log = await run(fake, adapter, payload)
    assert log.messages[0].content == (
        "Dieser Chat hat keine Feeds abonniert. /news feeds listet sie auf."
    )
