"""Errors a user can act on: each prints as one line, never a traceback."""

from __future__ import annotations


class UsageError(Exception):
    """A user mistake on the command line: one line, exit status 2."""


class NoFeedsError(RuntimeError):
    """A run was asked to poll, but no feed is configured or imported."""


class SourceUnavailable(RuntimeError):
    """A backfill source cannot be read for now (network, server): what was done so
    far is kept, and a re-run resumes at this source. Exit status 1."""


class WarehouseError(RuntimeError):
    """The warehouse cannot be used; the message says why in one line."""


class DeriveError(RuntimeError):
    """The derive step failed for a reason no article causes; the message is its cause."""
