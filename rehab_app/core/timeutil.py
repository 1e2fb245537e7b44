"""Time zones: a person's local time and date against the UTC we store."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_TZ = "Europe/London"


@cache
def timezone_names() -> tuple[str, ...]:
    """All IANA time zone names, sorted, that this machine knows."""
    return tuple(sorted(n for n in available_timezones() if "/" in n or n == "UTC"))


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for a name, falling back to the default for an unknown one."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TZ)


def to_utc(local: datetime, tz_name: str | None) -> datetime:
    """Turn a naive local wall-clock time into naive UTC."""
    aware = local.replace(tzinfo=zone(tz_name)) if local.tzinfo is None else local
    return aware.astimezone(UTC).replace(tzinfo=None)


def to_local(utc: datetime, tz_name: str | None) -> datetime:
    """Turn a naive UTC time into a naive local wall-clock time."""
    return utc.replace(tzinfo=UTC).astimezone(zone(tz_name)).replace(tzinfo=None)


def local_now(tz_name: str | None, now: datetime | None = None) -> datetime:
    """The person's local wall-clock time now, to the minute."""
    now = now or datetime.now(UTC)
    aware = now if now.tzinfo else now.replace(tzinfo=UTC)
    return aware.astimezone(zone(tz_name)).replace(tzinfo=None, second=0, microsecond=0)


def local_today(tz_name: str | None, now: datetime | None = None) -> date:
    """The person's local date now."""
    return local_now(tz_name, now).date()
