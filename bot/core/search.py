"""``/latest <words>``: the newest briefs about anything, from every feed a chat may see.

``search_latest`` is the whole search; the command calls it with the chat's words and count::

    found = await search_latest(storage, embedder, chat, 'ukraine -football', 5)

1. **Words.** The query has the alert syntax (``bot.core.alerts``: words, ``"quoted phrases"``,
   ``OR``, ``-exclusions``) and matches a brief's headline and summary exactly as an alert
   matches a story (whole words, case and accents ignored). ``Storage.search_briefs`` returns
   the newest matches, newest first, from the operator's feeds and the chat's own feeds only
   (a feed another chat added stays private: its briefs, and its name among a brief's sources,
   are never shown). PostgreSQL answers with its full-text index, SQLite with FTS5.
2. **Meaning.** When fewer than ``n`` briefs match the words, the rest is filled with the
   briefs nearest by meaning, marked ``related``: the query's positive words are embedded once
   (MiniLM, ``Embedder.embed_query``) and compared by cosine with the stored vectors of the
   newest ``RELATED_WINDOW`` visible briefs (each brief's headline + lead was embedded when it
   was recorded, ``store_embeddings``; no model runs per stored story). Only briefs scoring at
   least ``RELATED_FLOOR`` are added, nearest first, and never one carrying an excluded term.
   Without an embedder (the deduper is off) or when the model fails, the words part stands
   alone.

Vectors are stored as int8 (``pack``, 384 bytes for MiniLM), scaled by their largest
component; ``unpack`` re-normalises them, so the scale need not be stored.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.core.alerts import Document, Query, normalize, parse_query
from bot.core.models import Brief, ChatRef
from bot.core.ports import Storage

logger = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]

RELATED_FLOOR = 0.45
"""Least cosine of query and brief for a related brief, chosen with ``bench/search_floor.py``
on the labelled pairs of ``bench/dedup_threshold.py``: a few headline words of one item against
the other item of its (same-topic) pair keep 52% of those pairs at 0.45, while the same words
against the rest of the captures let 0.06% through; the clearly unrelated best background
matches scored up to 0.43 ("Oscar Pistorius" ~ a piece on Oscar-winning directors)."""
RELATED_WINDOW = 20_000
"""The newest visible briefs compared by meaning (about two weeks of a busy deployment)."""
MAX_RESULTS = 20


@dataclass(frozen=True)
class Found:
    """One search result: a brief that matched the words, or one ``related`` by meaning (with
    its cosine ``score``)."""

    brief: Brief
    related: bool = False
    score: float | None = None


class Embedder(Protocol):
    """MiniLM vectors of briefs and queries (``bot.dedup_embedding.EmbeddingDeduper``).
    Unit float32 vectors; inference never blocks the event loop."""

    async def embed_briefs(self, briefs: Sequence[Brief]) -> list[Vector]: ...

    async def embed_query(self, text: str) -> Vector: ...


def search_text(title: str, summary: str) -> str:
    """What the words part searches: headline and summary as normalised word tokens."""
    return normalize(f"{title} {summary}")


def pack(vector: Vector) -> bytes:
    """A vector as int8 bytes, scaled so its largest component is 127."""
    peak = float(np.max(np.abs(vector))) or 1.0
    return np.round(np.asarray(vector, np.float32) * (127.0 / peak)).astype(np.int8).tobytes()


def unpack(blobs: Sequence[bytes], size: int) -> npt.NDArray[np.float32]:
    """Stored vectors of ``size`` int8 components as unit float32 rows (one per blob)."""
    matrix = np.frombuffer(b"".join(blobs), np.int8).reshape(len(blobs), size)
    rows = matrix.astype(np.float32)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    unit: npt.NDArray[np.float32] = rows / norms
    return unit


def parse_search(text: str) -> Query:
    """Parse the words of ``/latest <words>``, or raise ``UserInputError`` saying how."""
    return parse_query(text, search=True)


def query_words(query: Query) -> str:
    """The positive words of a query, as one text to embed."""
    return " ".join(dict.fromkeys(p for group in query.groups for p in group))


def excluded(query: Query, brief: Brief) -> bool:
    """True when the brief's headline or summary carries one of the query's exclusions."""
    doc = Document(f"{brief.title} {brief.summary}")
    return any(doc.has(p) for p in query.excluded)


def nearest(
    vector: Vector,
    stored: Sequence[tuple[int, bytes]],
    *,
    floor: float,
    limit: int,
    skip: set[int] | frozenset[int] = frozenset(),
) -> list[tuple[int, float]]:
    """Up to ``limit`` (brief id, cosine) of ``stored`` at or above ``floor``, best first.
    Vectors of another size than ``vector`` (a different model) are ignored."""
    size = len(vector)
    usable = [(i, b) for i, b in stored if len(b) == size and i not in skip]
    if not usable or limit <= 0:
        return []
    scores = unpack([b for _, b in usable], size) @ np.asarray(vector, np.float32)
    above = np.flatnonzero(scores >= floor)
    if len(above) > limit:
        above = above[np.argpartition(-scores[above], limit - 1)[:limit]]
    ranked = sorted(above.tolist(), key=lambda k: (-scores[k], -usable[k][0]))
    return [(usable[k][0], float(scores[k])) for k in ranked]


async def search_latest(
    storage: Storage,
    embedder: Embedder | None,
    chat: ChatRef,
    text: str,
    n: int,
    *,
    floor: float = RELATED_FLOOR,
    window: int = RELATED_WINDOW,
) -> list[Found]:
    """The newest ``n`` briefs matching ``text`` that ``chat`` may see, then (when fewer
    matched) the nearest by meaning above ``floor``, marked related.

    Raises ``UserInputError`` for a query that does not parse (one plain sentence).
    """
    query = parse_search(text)
    n = max(1, min(n, MAX_RESULTS))
    found = [Found(b) for b in await storage.search_briefs(chat, query, n)]
    if len(found) >= n or embedder is None:
        return found[:n]
    try:
        vector = await embedder.embed_query(query_words(query))
    except Exception:  # the model is optional here: the words part still answers
        logger.exception("could not embed the search %r; words only", text)
        return found
    stored = await storage.brief_vectors(chat, window)
    want = n - len(found)
    hits = nearest(
        vector,
        stored,
        floor=floor,
        limit=want + 2 * len(query.excluded) + 5,
        skip={f.brief.id for f in found},
    )
    scores = dict(hits)
    briefs = await storage.briefs_by_id(chat, [i for i, _ in hits])
    related = [Found(b, True, scores[b.id]) for b in briefs if not excluded(query, b)]
    return found + related[:want]


async def store_embeddings(storage: Storage, embedder: Embedder, briefs: Sequence[Brief]) -> int:
    """Embed newly recorded briefs (headline + lead) and store the vectors; returns how many.
    A failure is logged, not raised: such briefs are found by their words only."""
    if not briefs:
        return 0
    try:
        vectors = await embedder.embed_briefs(briefs)
        await storage.save_embeddings({b.id: pack(v) for b, v in zip(briefs, vectors, strict=True)})
    except Exception:
        logger.exception("could not store the embeddings of %d briefs", len(briefs))
        return 0
    return len(briefs)
