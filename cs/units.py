"""Parsing the durations, dates and sizes that users type (`30d`, `2026-01-31`, `5G`).

Every parser raises ValueError with a message fit to show the user as is,
including values out of range, with the range allowed (a duration of
99999999999d, a size of 10^30 bytes, a date of year 0): what is accepted here
is what every later computation can apply (tests/test_hardening_values.py).
"""

import math

# datetime is imported by the parsers that need it. The recorder reads a size
# (rotate_size) through this module on every start: sizes are parsed without
# a regular expression, so that `re` is compiled for durations only.

_duration_re = None
_DURATION_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}

_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}

MAX_DURATION_DAYS = 36500  # 100 years
MAX_SIZE = 1024**5  # 1024T


def _duration_match(text):
    global _duration_re
    if _duration_re is None:
        import re

        _duration_re = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdwy])\s*$")
    return _duration_re.match(str(text))


def _shown(text) -> str:
    """`text` quoted for a message, shortened if it is long."""
    text = str(text).strip()
    return repr(text if len(text) <= 24 else text[:20] + "...")


def parse_duration(text: str) -> "timedelta":  # noqa: F821
    """`90s`, `15m`, `12h`, `30d`, `2w`, `1y` (365 days) -> timedelta (positive)."""
    from datetime import timedelta

    m = _duration_match(text)
    if not m:
        raise ValueError(
            f"invalid duration {text!r}: use a positive number and a unit s, m, h, d, w or y (e.g. 30d, 1y)"
        )
    seconds = float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    if not math.isfinite(seconds) or seconds > MAX_DURATION_DAYS * 86400:
        raise ValueError(f"duration {_shown(text)} out of range: at most {MAX_DURATION_DAYS}d (100 years)")
    return timedelta(seconds=seconds)


def parse_date(text: str) -> "datetime":  # noqa: F821
    """An ISO date or date-time; naive values are taken as local time. Returns aware UTC."""
    from datetime import UTC, datetime

    try:
        value = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"invalid date {text!r}: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]") from None
    if not 1900 <= value.year <= 9998:
        raise ValueError(f"date {text!r} out of range: use a year from 1900 to 9998")
    if value.tzinfo is None:
        value = value.astimezone()
    return value.astimezone(UTC)


def parse_moment(text: str, now: "datetime" = None) -> "datetime":  # noqa: F821
    """A point in time: a duration ago (`7d`) or a date. Returns aware UTC."""
    from datetime import UTC, datetime

    now = now or datetime.now(UTC)
    if _duration_match(text):
        return now - parse_duration(text)
    try:
        return parse_date(text)
    except ValueError as e:
        if "out of range" in str(e):
            raise
        raise ValueError(f"invalid time {text!r}: use a duration such as 30d, 12h, 2w, or a date YYYY-MM-DD") from None


def parse_size(text) -> int:
    """`5G`, `256M`, `100k`, `1024` (bytes), binary units -> bytes."""
    if isinstance(text, int) and not isinstance(text, bool) and text > MAX_SIZE:
        raise ValueError(f"size {text} out of range: at most 1024T")
    if isinstance(text, int) and text >= 0:
        return text
    split = _split_size(str(text))
    if split is None:
        raise ValueError(f"invalid size {text!r}: use a number with K, M, G or T (e.g. 5G)")
    number, unit = split
    value = float(number) * _SIZE_UNITS[unit]
    if not math.isfinite(value) or value > MAX_SIZE:
        raise ValueError(f"size {_shown(text)} out of range: at most 1024T")
    return int(value)


def _split_size(text: str):
    """(number, unit) of `<digits>[.<digits>] [K|M|G|T][i][B]` (any case, blanks
    around the number), else None."""
    rest = text.strip().lower()
    rest = rest[:-1] if rest.endswith("b") else rest
    rest = rest[:-1] if rest.endswith("i") else rest
    unit = rest[-1:] if rest[-1:] in ("k", "m", "g", "t") else ""
    number = rest[: len(rest) - len(unit)].rstrip()
    whole, dot, fraction = number.partition(".")
    if not (whole.isdecimal() and (fraction.isdecimal() if dot else True)):
        return None
    return number, unit


def format_size(n: int) -> str:
    for unit in ("B", "K", "M", "G"):
        if abs(n) < 1024 or unit == "G":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.1f}{unit}"
        n /= 1024
    return f"{n:.1f}T"
