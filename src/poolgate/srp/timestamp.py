"""The ``TIMESTAMP`` challenge response: Cognito's format, a lenient parser, a freshness check.

srp.md section 5. The string a client sends is signed *as received*; parsing is
only for the freshness check, so the parser accepts a day with or without a
leading zero, any amount of space between fields, and any letter case.
"""

from __future__ import annotations

import datetime
import re
from typing import Final

from poolgate.srp.errors import InvalidTimestamp, StaleTimestamp

_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NUMBER: Final = {name.lower(): number for number, name in enumerate(_MONTHS, start=1)}

# The pattern uses [0-9] rather than \d so that non-ASCII digits are refused.
_PATTERN: Final = re.compile(
    r" *(mon|tue|wed|thu|fri|sat|sun) +"
    r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) +"
    r"([0-9]{1,2}) +([0-9]{1,2}):([0-9]{2}):([0-9]{2}) +utc +([0-9]{4}) *",
    re.IGNORECASE,
)

MAX_SKEW_SECONDS: Final[float] = 300.0
"""How far a TIMESTAMP may be from server time (srp.md section 5: we allow 5 minutes)."""


def timestamp_now(epoch: float) -> str:
    """Format a POSIX time the way Cognito clients do: ``Tue Nov 5 07:08:09 UTC 2024``.

    English names, UTC, day of month without a leading zero, two-digit time fields.
    """
    moment = datetime.datetime.fromtimestamp(int(epoch), tz=datetime.UTC)
    return (
        f"{_WEEKDAYS[moment.weekday()]} {_MONTHS[moment.month - 1]} {moment.day} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d} UTC {moment.year}"
    )


def parse_timestamp(text: str) -> float:
    """Parse a client ``TIMESTAMP`` into a POSIX time; raise ``InvalidTimestamp`` if it cannot.

    The weekday name must be one of the seven English abbreviations but is not
    checked against the date, since it adds nothing to the freshness check.
    """
    match = _PATTERN.fullmatch(text)
    if match is None:
        raise InvalidTimestamp("TIMESTAMP format is invalid")
    _weekday, month, day, hour, minute, second, year = match.groups()
    try:
        moment = datetime.datetime(
            int(year),
            _MONTH_NUMBER[month.lower()],
            int(day),
            int(hour),
            int(minute),
            int(second),
            tzinfo=datetime.UTC,
        )
    except ValueError as exc:
        raise InvalidTimestamp("TIMESTAMP format is invalid") from exc
    return moment.timestamp()


def check_timestamp(text: str, *, now: float, max_skew_seconds: float = MAX_SKEW_SECONDS) -> None:
    """Check that a client ``TIMESTAMP`` lies within ``max_skew_seconds`` of ``now`` (either side).

    Raises ``InvalidTimestamp`` when it cannot be parsed and ``StaleTimestamp``
    when it is too old or too far in the future.
    """
    if abs(parse_timestamp(text) - now) > max_skew_seconds:
        raise StaleTimestamp("TIMESTAMP is too far from the server time")
