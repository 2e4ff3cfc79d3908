"""Named points where a test can kill the process, to prove crash safety.

`CLAIMWIRE_FAILPOINT=<name>` makes the process SIGKILL itself when it reaches
that point: no cleanup handlers, no flushing, exactly like a power cut or the
OOM killer; `<name>@<n>` waits for the n-th time (a point inside a loop).
Unset (always, outside tests), a failpoint costs one dict lookup.
"""

from __future__ import annotations

import os
import signal

POINTS = (
    "poll_staged",  # a poll batch is on disk, items not yet recorded as known
    "records_committed",  # items recorded as known, batch not loaded
    "load_in_transaction",  # inside the load transaction, before COMMIT
    "load_committed",  # COMMIT done, staged batches not yet removed
    "derive_in_transaction",  # loaded articles queued, derive step before COMMIT
    "transform_staged",  # a transform batch is on disk, not loaded
)
# Only reached by backfills.
BACKFILL_POINTS = (
    "backfill_unit_done",  # a source unit is staged and checkpointed
    "cc_news_page_archived",  # inside a CC-NEWS file: a kept page archived, file unfinished
)

_reached: dict[str, int] = {}


def failpoint(name: str) -> None:
    wanted = os.environ.get("CLAIMWIRE_FAILPOINT")
    if not wanted:
        return
    point, _, nth = wanted.partition("@")
    if point != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
