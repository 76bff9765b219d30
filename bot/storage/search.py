"""The search half of ``SqlStorage`` (``bot.core.search``): words and stored embeddings.

Words go to the database's full-text index over ``briefs.search_text`` (headline + summary as
normalised word tokens, so accents and case are already gone on both sides):

- PostgreSQL: ``to_tsvector('simple', search_text) @@ to_tsquery('simple', ...)``, served by
  the GIN index of migration 0007, the query's groups, phrases (``<->``) and exclusions
  (``!``) written out as one tsquery;
- SQLite: the FTS5 table ``briefs_fts`` with the same query in FTS5 syntax; a build without
  FTS5 (or a database whose triggers are gone) scans the newest ``SCAN_WINDOW`` briefs.

Either way every candidate is checked again with the alert matcher (``Query.matches``), so a
brief is found exactly when an alert with these words would have matched it; the index only
narrows the rows. Only briefs carried by a feed the chat may see are considered
(``owners.visible_to``), and only those feeds are named as their sources.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    bindparam,
    exists,
    func,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from bot.core.alerts import Document, Query
from bot.core.models import Brief, ChatRef
from bot.storage.base import StoreBase
from bot.storage.owners import visible_to
from bot.storage.tables import BriefRow, BriefSourceRow, FeedRow

logger = logging.getLogger(__name__)

SCAN_WINDOW = 20_000
"""Newest briefs checked one by one when there is no full-text index (SQLite without FTS5)."""
_PAGES = 10
"""Pages of index candidates checked before giving up on filling ``limit``."""


def tsquery(query: Query) -> str:
    """``query`` as a PostgreSQL tsquery (lexemes quoted; phrases with ``<->``)."""

    def phrase(p: str) -> str:
        return " <-> ".join(f"'{w}'" for w in p.split())

    groups = " | ".join("(" + " & ".join(f"({phrase(p)})" for p in g) + ")" for g in query.groups)
    return f"({groups})" + "".join(f" & !({phrase(p)})" for p in query.excluded)


def fts5_query(query: Query) -> str:
    """``query`` in SQLite FTS5 syntax (each phrase double-quoted)."""
    groups = " OR ".join("(" + " AND ".join(f'"{p}"' for p in g) + ")" for g in query.groups)
    return f"({groups})" + "".join(f' NOT "{p}"' for p in query.excluded)


class SearchStore(StoreBase):
    """``search_briefs``, ``brief_vectors``, ``briefs_by_id``, ``save_embeddings``."""

    _fts5: bool | None = None

    async def _has_fts5(self, s: AsyncSession) -> bool:
        """Whether this SQLite database has the FTS5 index with its three triggers."""
        if self._fts5 is None:
            found = await s.scalar(
                text(
                    "SELECT count(*) FROM sqlite_master WHERE name IN ('briefs_fts', "
                    "'briefs_fts_insert', 'briefs_fts_delete', 'briefs_fts_update')"
                )
            )
            self._fts5 = found == 4
            if not self._fts5:
                logger.warning("no FTS5 index of briefs: searches scan the newest %d", SCAN_WINDOW)
        return self._fts5

    async def _visible(
        self, s: AsyncSession, chat: ChatRef
    ) -> tuple[set[str], ColumnElement[bool] | None]:
        """The ids of the feeds ``chat`` may see, and a condition on ``BriefRow`` for briefs
        carried by one of them (``None``: every brief is, no chat-added feed is hidden).

        The condition names the *hidden* feeds (chat-added feeds of other chats, usually few):
        a brief is visible when some source of it is not hidden. Probing by brief id and then
        filtering its two or three sources is what keeps it cheap; naming the visible feeds
        instead made SQLite probe the source index once per visible feed for every row
        (3 s for a common word at 100,000 briefs).

        On PostgreSQL the transaction plans every statement for its own parameters: asyncpg
        prepares statements, and after five runs PostgreSQL would switch to one generic plan,
        which for these queries (a list of feeds, a limit) measured 3x slower."""
        if s.get_bind().dialect.name == "postgresql":
            await s.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
        feeds = set(await s.scalars(visible_to(select(FeedRow.id), chat)))
        hidden = set(await s.scalars(select(FeedRow.id))) - feeds
        if not hidden:
            return feeds, None
        shown = exists().where(
            BriefSourceRow.brief_id == BriefRow.id, BriefSourceRow.feed_id.not_in(hidden)
        )
        return feeds, shown

    async def _matching(
        self, s: AsyncSession, query: Query
    ) -> tuple[ColumnElement[bool] | None, int | None]:
        """The index condition for ``query`` and, without an index, the scan bound."""
        bind = s.get_bind()
        if bind.dialect.name == "postgresql":
            condition = text(
                "to_tsvector('simple', briefs.search_text) @@ to_tsquery('simple', :tsq)"
            ).bindparams(tsq=tsquery(query))
            return cast(ColumnElement[bool], condition), None
        if bind.dialect.name == "sqlite" and await self._has_fts5(s):
            hits: Select[Any] = (
                select(literal_column("rowid"))
                .select_from(text("briefs_fts"))
                .where(text("briefs_fts MATCH :fts").bindparams(fts=fts5_query(query)))
            )
            return BriefRow.id.in_(hits), None
        return None, SCAN_WINDOW

    async def search_briefs(self, chat: ChatRef, query: Query, limit: int) -> list[Brief]:
        async with self._tx() as s:
            feeds, visible = await self._visible(s, chat)
            condition, bound = await self._matching(s, query)
            # Ids first, rows after: sorting (published, id) of every match is cheaper than
            # sorting whole rows (a common word matches most briefs).
            newest: Select[Any] = select(BriefRow.id)
            for where in (visible, condition):
                newest = newest if where is None else newest.where(where)
            newest = newest.order_by(BriefRow.published.desc(), BriefRow.id.desc())
            page = max(4 * limit, 50) if bound is None else 2000
            pages = _PAGES if bound is None else -(-bound // page)
            found: list[BriefRow] = []
            for number in range(pages):
                ids: list[int] = list(await s.scalars(newest.offset(number * page).limit(page)))
                rows = {
                    r.id: r
                    for r in await s.scalars(
                        select(BriefRow)
                        .options(defer(BriefRow.embedding))
                        .where(BriefRow.id.in_(ids))
                    )
                }
                found += [rows[i] for i in ids if query.matches_document(Document(_text(rows[i])))]
                if len(found) >= limit or len(ids) < page:
                    break
            return await self._briefs(s, found[:limit], feeds)

    async def brief_vectors(self, chat: ChatRef, limit: int) -> list[tuple[int, bytes]]:
        async with self._tx() as s:
            _, visible = await self._visible(s, chat)
            query = select(BriefRow.id, BriefRow.embedding).where(BriefRow.embedding.is_not(None))
            if visible is not None:
                query = query.where(visible)
            query = query.order_by(BriefRow.id.desc()).limit(limit)
            if s.get_bind().dialect.name != "postgresql":
                rows = await s.execute(query)
                return [(brief_id, bytes(blob)) for brief_id, blob in rows if blob is not None]
            # One row instead of 20,000: measured 2x faster through asyncpg and SQLAlchemy.
            # Both aggregates read the rows in one order, so ids, lengths and bytes line up.
            window = query.subquery()
            ids, sizes, blob = (
                await s.execute(
                    select(
                        func.array_agg(window.c.id),
                        func.array_agg(func.length(window.c.embedding)),
                        func.string_agg(window.c.embedding, literal_column("''::bytea")),
                    )
                )
            ).one()
            out, start = [], 0
            for brief_id, size in zip(ids or [], sizes or [], strict=True):
                out.append((brief_id, bytes(blob[start : start + size])))
                start += size
            out.sort(reverse=True)
            return out

    async def briefs_by_id(self, chat: ChatRef, ids: Sequence[int]) -> list[Brief]:
        if not ids:
            return []
        async with self._tx() as s:
            feeds, visible = await self._visible(s, chat)
            query = select(BriefRow).where(BriefRow.id.in_(list(ids)[:1000]))
            if visible is not None:
                query = query.where(visible)
            rows = {r.id: r for r in await s.scalars(query)}
            return await self._briefs(s, [rows[i] for i in ids if i in rows], feeds)

    async def save_embeddings(self, vectors: Mapping[int, bytes]) -> None:
        if not vectors:
            return
        table = cast(Table, BriefRow.__table__)
        change = (
            update(table)
            .where(table.c.id == bindparam("brief_key"))
            .values(embedding=bindparam("vector"))
        )
        async with self._tx() as s:
            await s.execute(
                change, [{"brief_key": k, "vector": v} for k, v in sorted(vectors.items())]
            )


def _text(row: BriefRow) -> str:
    return f"{row.title} {row.summary}"
