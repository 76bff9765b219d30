"""``/importance <n|off>``: push a story to a chat only once ``n`` different sources carry it.

The cross-source merge (``bot.core.pipeline``, ``Storage.add_source``) records every feed that
carries a story as a source of its one brief. A chat's outbox row is written, in the
transaction that records a source, when :func:`queue_now` says so: at the first source for
``n = 1`` (as before), at the moment the ``n``-th source joins otherwise, if the brief is
within the dedup window (a same-link copy may join a brief much later: nothing then). Nothing
waits in memory: the sources and the chat's ``n`` are stored, so a restart changes nothing. A
story that never reaches ``n`` sources is not pushed; it stays in ``/latest`` and in the chat's
digests (a chat with digest times gets every story of its feeds there), and keyword alerts
still arrive at the first source.
"""

from __future__ import annotations

MAX_IMPORTANCE = 10


def queue_now(
    importance: int, *, digest: bool, sources: int, joined: bool, recent: bool = True
) -> bool:
    """Whether a subscribed chat gets a brief queued now that it has ``sources`` sources.

    ``joined``: the chat follows the feed that just joined (else it follows an earlier source
    only, and is queued only when this join is the one that reaches its ``importance``).
    ``recent``: the brief is within the dedup window; a late join pushes nothing held.
    """
    if digest or importance <= 1:
        return joined
    if not recent:
        return False
    return sources >= importance if joined else sources == importance
