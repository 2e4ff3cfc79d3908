"""Query parameters, checked: a bad value is a `BadRequest` naming it (a 400 page)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

STANCES = ("assert", "deny", "uncertain")
SEARCH_KINDS = ("claims", "articles")
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
# Deep pages of a large result are better reached by narrowing the filters,
# and OFFSET cost grows with the page number.
MAX_PAGE = 500
MAX_TEXT = 200


class BadRequest(ValueError):
    """A parameter the user can fix; the message names it."""


class NotFound(LookupError):
    """An id that names nothing in the warehouse."""


@dataclass(frozen=True)
class Paging:
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size


@dataclass(frozen=True)
class SearchParams:
    q: str = ""
    kind: str = "claims"
    speaker: str = ""
    stance: str = ""
    since: date | None = None
    until: date | None = None
    site: str = ""
    story: str = ""
    paging: Paging = Paging()

    def filters_set(self) -> bool:
        return any((self.speaker, self.stance, self.since, self.until, self.site, self.story))

    def query_items(self, **changes: object) -> list[tuple[str, str]]:
        """The parameters as they would appear in a link, with some changed."""
        values: dict[str, object] = {
            "q": self.q, "in": self.kind, "speaker": self.speaker, "stance": self.stance,
            "since": self.since, "until": self.until, "site": self.site, "story": self.story,
            "page": self.paging.page,
        }
        values.update(changes)
        return [(k, str(v)) for k, v in values.items()
                if v not in (None, "") and not (k == "page" and v == 1)]


def text(query: Mapping[str, str], name: str, max_length: int = MAX_TEXT) -> str:
    value = query.get(name, "").strip()
    if len(value) > max_length:
        raise BadRequest(f"{name}: at most {max_length} characters")
    if any(ord(ch) < 32 for ch in value):
        raise BadRequest(f"{name}: control characters are not allowed")
    return value


def choice(query: Mapping[str, str], name: str, allowed: tuple[str, ...],
           default: str = "") -> str:
    value = query.get(name, "").strip() or default
    if value and value not in allowed:
        raise BadRequest(f"{name}: one of {', '.join(allowed)}")
    return value


def day(query: Mapping[str, str], name: str) -> date | None:
    value = query.get(name, "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadRequest(f"{name}: a date as YYYY-MM-DD, not {value[:40]!r}") from None


def integer(query: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    value = query.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or len(value) > 9:
        raise BadRequest(f"{name}: a whole number from {low} to {high}")
    number = int(value)
    if not low <= number <= high:
        raise BadRequest(f"{name}: a whole number from {low} to {high}")
    return number


def paging(query: Mapping[str, str], page_name: str = "page") -> Paging:
    return Paging(
        page=integer(query, page_name, 1, 1, MAX_PAGE),
        size=integer(query, "size", PAGE_SIZE, 1, MAX_PAGE_SIZE),
    )


def search_params(query: Mapping[str, str]) -> SearchParams:
    since, until = day(query, "since"), day(query, "until")
    if since and until and since > until:
        raise BadRequest("since: must not be after until")
    return SearchParams(
        q=text(query, "q"),
        kind=choice(query, "in", SEARCH_KINDS, "claims"),
        speaker=text(query, "speaker"),
        stance=choice(query, "stance", STANCES),
        since=since,
        until=until,
        site=text(query, "site"),
        story=text(query, "story"),
        paging=paging(query),
    )


def identifier(value: str, what: str) -> str:
    """An id from the path: ids are short printable tokens, anything else names nothing."""
    if not value or len(value) > 200 or any(ord(ch) < 33 for ch in value):
        raise NotFound(f"no {what} {value[:60]!r}")
    return value
