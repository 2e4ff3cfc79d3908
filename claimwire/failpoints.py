"""Named points where a test can kill the process, to prove crash safety.

`CLAIMWIRE_FAILPOINT=<name>` makes the process SIGKILL itself when it reaches
that point: no cleanup handlers, no flushing, exactly like a power cut or the
OOM killer. Unset (always, outside tests), a failpoint costs one dict lookup.
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
# Only reached by backfills: a source unit is staged and checkpointed.
BACKFILL_POINTS = ("backfill_unit_done",)


def failpoint(name: str) -> None:
    if os.environ.get("CLAIMWIRE_FAILPOINT") == name:
        os.kill(os.getpid(), signal.SIGKILL)
