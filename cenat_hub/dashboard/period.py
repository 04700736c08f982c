"""The dashboard period: whole days in the team's time zone."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cenat_hub.errors import InvalidInputError

PERIOD_DAYS = (7, 30, 90)


@dataclass(frozen=True)
class Day:
    """One calendar day in the team's time zone, as a UTC interval."""

    date: date
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Period:
    """The last ``len(days)`` local days, today included, up to ``now``."""

    timezone: str
    now: datetime
    days: list[Day]

    @property
    def starts_at(self) -> datetime:
        return self.days[0].starts_at


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """Return the UTC instant at which ``day`` begins in ``zone``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def build_period(days: int, timezone: str, now: datetime) -> Period:
    """Split the last ``days`` local days into UTC intervals.

    Each interval runs from one local midnight to the next, so a day is 23 or
    25 hours long where the zone changes its clock.
    """
    if days not in PERIOD_DAYS:
        raise InvalidInputError(
            f"days={days} is invalid; use one of {', '.join(map(str, PERIOD_DAYS))}."
        )
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    dates = [first + timedelta(days=offset) for offset in range(days)]
    return Period(
        timezone=timezone,
        now=now,
        days=[
            Day(
                date=day,
                starts_at=local_midnight(day, zone),
                ends_at=local_midnight(day + timedelta(days=1), zone),
            )
            for day in dates
        ],
    )
