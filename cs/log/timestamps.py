"""RFC 3339 timestamps, as the log writes them: `2026-12-02T06:25:28.123Z` (UTC,
milliseconds). The one parser and the one formatter; the recorder's hot path
has its own cached writer with the same format (cs.log.jsonl.utc_timestamp).
Tests: tests/test_timestamps.py.
"""

from datetime import UTC, datetime


def parse_timestamp(text):
    """An aware UTC datetime for an RFC 3339 string (`Z` or an offset; a naive
    one is taken as UTC), or None for anything else: log values are untrusted."""
    if not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """`moment` as the log writes timestamps (UTC, milliseconds, `Z`); a naive
    datetime is taken as UTC. Strings in this form sort as the moments do."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
