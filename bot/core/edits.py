"""Living briefs: a pushed brief's message is edited when a later source joins its story.

When ``Storage.add_source`` records another feed carrying a story, every message that pushed
its brief (an outbox row sent on its own, with the platform's message id that
``Notifier.send_brief`` returned) gets an *edit row*, written in the same transaction, so a
crash loses none. The ``Deliverer`` claims edit rows like the others and sends them through
the same pacer (``Notifier.edit_brief``), rendering the brief as it is then: its footer says
"also BBC, Reuters".

- At most one write per message per ``EDIT_GAP``: an edit is due ``EDIT_GAP`` after the
  message was sent or last edited; sources that join before it goes out share it (an edit
  row waiting for its time is not queued twice).
- A message the platform says is gone (deleted; Telegram: older than its 48-hour window) ends
  the row (``MessageGone``): never retried. Other failures are retried like sends.
- Digests are not edited (a digest line has no footer).
"""

from __future__ import annotations

from datetime import datetime, timedelta

EDIT_GAP = timedelta(minutes=10)


def edit_due(now: datetime, last_write: datetime) -> datetime:
    """When an edit of a message last written at ``last_write`` may go out."""
    return max(now, last_write + EDIT_GAP)
