"""The time window of a backfill: a half-open UTC range of publication times.

Kept free of heavy imports so every stage (and the DAG files) can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta


@dataclass(frozen=True)
class Window:
    """A half-open UTC time range [start, end) of publication times."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value.tzinfo is None:
                object.__setattr__(self, name, value.replace(tzinfo=UTC))
            else:
                object.__setattr__(self, name, value.astimezone(UTC))
        if self.end <= self.start:
            raise ValueError(f"empty window: {self.start} .. {self.end}")

    @classmethod
    def from_dates(cls, first_day: date, last_day: date) -> Window:
        """Both days inclusive."""
        if last_day < first_day:
            raise ValueError(f"--to {last_day} is before --from {first_day}")
        start = datetime.combine(first_day, time.min, tzinfo=UTC)
        return cls(start, datetime.combine(last_day + timedelta(days=1), time.min, tzinfo=UTC))

    def contains(self, moment: datetime) -> bool:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return self.start <= moment < self.end

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, str] | None) -> Window | None:
        if not data or not data.get("start") or not data.get("end"):
            return None
        return cls(datetime.fromisoformat(data["start"]), datetime.fromisoformat(data["end"]))

    def naive(self) -> tuple[datetime, datetime]:
        return self.start.replace(tzinfo=None), self.end.replace(tzinfo=None)
