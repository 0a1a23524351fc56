"""The user's settings: <cs home>/config.toml (documented in docs/config.md).

    retention = "90d"        # remove sessions that ended longer ago (default: keep forever)
    max_total_size = "20G"   # keep the newest sessions within this total (default: no limit)
    rotate_size = "256M"     # continue a session's log in a new segment past this size
    compress_after = "7d"    # gzip finished sessions older than this ("off": never)
    idle_time_limit = "2s"   # replay and export: cap pauses at this ("off": keep them)

Two ways to read it:

* `load()` is what the recorder calls on every start. It is cheap (tomllib
  only when the file exists) and never raises: a broken file or a bad value
  falls back to the default, because a typo in a config file must never stop a
  session from being recorded.
* `load_checked()` is what the CLI and maintenance use: it raises ConfigError
  naming the file and the key, so the user learns what to fix.

Both give the values as stored (strings, as the user wrote them); `settings()`
gives them typed (durations as timedelta, sizes as ints, "off" as None), and is
the one place that parses them: nothing else re-parses a config string.

Writing (`set_value`, `unset_value`) edits the file line by line, keeping the
user's comments, validates the result, and replaces the file atomically
(private temp file, fsync, rename, fsync of the directory).
"""

import re
from pathlib import Path

from cs.errors import ConfigError  # noqa: F401  (raised here; callers catch it as config.ConfigError)
from cs.log import paths

DEFAULTS = {
    "retention": None,
    "max_total_size": None,
    "rotate_size": "256M",
    "compress_after": "7d",
    "idle_time_limit": "2s",
}

DESCRIPTIONS = {
    "retention": "remove sessions that ended longer ago than this (e.g. 90d; unset: keep forever)",
    "max_total_size": "keep the newest sessions within this total size (e.g. 20G; unset: no limit)",
    "rotate_size": "continue a session's log in a new segment past this size",
    "compress_after": "gzip finished sessions older than this (e.g. 7d; off: never)",
    "idle_time_limit": "replay and export cap pauses at this (e.g. 2s; off: keep them whole)",
}

# Below this, rotation would mostly produce files; a typo such as "256" (bytes)
# is far more likely than a wish for 256-byte segments.
MIN_ROTATE_SIZE = 64 * 1024

OFF_WORDS = ("off", "never", "none")


# ---------------------------------------------------------------- validation


def _positive_duration(value):
    from cs.units import parse_duration

    if not isinstance(value, str):
        raise ValueError(f'expected a duration in quotes such as "30d", got {value!r}')
    if parse_duration(value).total_seconds() <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    return value


def _positive_size(value, minimum=1):
    from cs.units import format_size, parse_size

    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ValueError(f'expected a size such as "5G", got {value!r}')
    if isinstance(value, int) and value < 0:
        raise ValueError(f"size {value!r} must not be negative")
    if parse_size(value) < minimum:
        raise ValueError(f"{value!r} is too small (at least {format_size(minimum)})")
    return value


def _compress_after(value):
    if isinstance(value, str) and value.strip().lower() in OFF_WORDS:
        return "off"
    from cs.units import parse_duration

    if not isinstance(value, str):
        raise ValueError(f'expected a duration such as "7d" or "off", got {value!r}')
    parse_duration(value)  # zero is allowed: compress as soon as a session is finished
    return value


def _idle_time_limit(value):
    if isinstance(value, str) and value.strip().lower() in OFF_WORDS:
        return "off"
    from cs.units import parse_duration

    if not isinstance(value, str):
        raise ValueError(f'expected a duration such as "2s" or "off", got {value!r}')
    if parse_duration(value).total_seconds() <= 0:
        raise ValueError(f'{value!r} must be longer than zero (or "off")')
    return value


VALIDATORS = {
    "retention": _positive_duration,
    "max_total_size": _positive_size,
    "rotate_size": lambda v: _positive_size(v, MIN_ROTATE_SIZE),
    "compress_after": _compress_after,
    "idle_time_limit": _idle_time_limit,
}


def validate_value(key: str, value):
    """The value to store for `key`, or ValueError with a message for the user."""
    if key not in DEFAULTS:
        raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
    try:
        return VALIDATORS[key](value)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


# ---------------------------------------------------------------- reading


def _read_file(path: Path) -> dict:
    """The file's table, {} if there is no file; ConfigError if unreadable."""
    try:
        raw = open(path, "rb").read()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    import tomllib

    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def load(path=None) -> dict:
    """Settings merged over the defaults; never raises (see the module doc).
    Bad values are replaced by their defaults, unknown keys ignored."""
    path = path or paths.config_path()
    values = dict(DEFAULTS)
    try:
        table = _read_file(path)
    except ConfigError:
        return values
    for key, value in table.items():
        if key in DEFAULTS:
            try:
                values[key] = validate_value(key, value)
            except ValueError:
                pass
    return values


def load_checked(path=None) -> dict:
    """Settings merged over the defaults; ConfigError naming the file for an
    unknown key or a bad value."""
    path = Path(path or paths.config_path())
    values = dict(DEFAULTS)
    problems = []
    for key, value in _read_file(path).items():
        try:
            values[key] = validate_value(key, value)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise ConfigError(f"{path}: " + "; ".join(problems))
    return values


class Settings:
    """The settings, typed: durations as timedelta, sizes as int; None means
    "no limit" (retention, max_total_size) or "off" (compress_after). A plain
    class, not a dataclass: the recorder reads it at start-up."""

    __slots__ = tuple(DEFAULTS)

    def __init__(self, **values):
        for key in DEFAULTS:
            setattr(self, key, values.get(key))

    def __repr__(self):
        return "Settings(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in DEFAULTS) + ")"


DURATIONS = ("retention", "compress_after", "idle_time_limit")  # timedelta; the others are sizes (bytes)


def _typed(key: str, value):
    from cs.units import parse_duration, parse_size

    if value is None or value == "off":
        return None
    return parse_duration(value) if key in DURATIONS else parse_size(value)


def settings(path=None, checked: bool = True) -> Settings:
    """The typed settings. checked=True raises ConfigError for a broken file
    (the CLI, maintenance); checked=False never raises (the recorder): a value
    that will not parse is its default."""
    values = load_checked(path) if checked else load(path)
    typed = {}
    for key, value in values.items():
        try:
            typed[key] = _typed(key, value)
        except ValueError:
            if checked:
                raise ConfigError(f"{key}: {value!r} cannot be used") from None
            typed[key] = _typed(key, DEFAULTS[key])
    return Settings(**typed)


def show(path=None) -> list:
    """[{key, value, default, is_default, description}] for every setting, in
    order. Raises ConfigError if the file is broken (the CLI reports it)."""
    path = Path(path or paths.config_path())
    table = _read_file(path)
    values = load_checked(path)
    return [
        {
            "key": key,
            "value": values[key],
            "default": DEFAULTS[key],
            "is_default": key not in table,
            "description": DESCRIPTIONS[key],
        }
        for key in DEFAULTS
    ]


# ---------------------------------------------------------------- writing


def _toml_string(value: str) -> str:
    escaped = []
    for ch in value:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append("\\u%04x" % ord(ch))
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def _key_line_re(key: str):
    return re.compile(r"^\s*(?:" + re.escape(key) + r'|"' + re.escape(key) + r'")\s*=')


_HEADER = "# cs settings (see docs/config.md); edit by hand or with `cs config KEY VALUE`.\n"


def _edited_text(old_text: str, key: str, new_line):
    """old_text with the line(s) setting `key` replaced by new_line (None: removed);
    appended if the key was not there."""
    pattern = _key_line_re(key)
    lines = old_text.splitlines(keepends=True)
    out, replaced = [], False
    for line in lines:
        if pattern.match(line):
            if new_line is not None and not replaced:
                out.append(new_line)
            replaced = True
            continue
        out.append(line)
    if new_line is not None and not replaced:
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        if not out:
            out.append(_HEADER)
        out.append(new_line)
    return "".join(out), replaced


def _current_text(path: Path) -> str:
    _read_file(path)  # refuse to edit a file we cannot parse: say so instead
    try:
        return open(path, encoding="utf-8").read()
    except FileNotFoundError:
        return ""


def set_value(key: str, value: str, path=None):
    """Validate and store one setting; returns the stored value.
    ValueError (bad key/value) or ConfigError (broken file) otherwise."""
    path = Path(path or paths.config_path())
    stored = validate_value(key, value)
    text, _ = _edited_text(_current_text(path), key, f"{key} = {_toml_string(stored)}\n")
    import tomllib

    if tomllib.loads(text).get(key) != stored:  # our edit must read back exactly
        raise ConfigError(f"{path}: could not update {key!r} safely; edit the file by hand")
    paths.ensure_private_dir(path.parent)
    paths.write_private_atomically(path, text.encode("utf-8"))
    return stored


def unset_value(key: str, path=None) -> bool:
    """Remove a setting (back to its default). Unknown keys present in the file
    can be removed too, which is how a user fixes a typo. True if it was set."""
    path = Path(path or paths.config_path())
    text, found = _edited_text(_current_text(path), key, None)
    if not found:
        if key not in DEFAULTS:
            raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
        return False
    paths.ensure_private_dir(path.parent)
    paths.write_private_atomically(path, text.encode("utf-8"))
    return True
