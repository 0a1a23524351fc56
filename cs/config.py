"""The user's settings: <cs home>/config.toml (documented in docs/config.md).

    retention = "90d"        # remove sessions that ended longer ago (default: keep forever)
    max_total_size = "20G"   # keep the newest sessions within this total (default: no limit)
    rotate_size = "256M"     # continue a session's log in a new segment past this size
    compress_after = "7d"    # gzip finished sessions older than this ("off": never)
    idle_time_limit = "2s"   # replay and export: cap pauses at this ("off": keep them)
    redact = "on"            # secrets out of the index, show, exports, web ("off": keep them)
    redact_patterns = []     # the user's own regexes to redact (a list, or comma-separated)
    encrypt_recipients = "age1..."   # age-encrypt compressed sessions to these (docs/security.md)
    identity_file = "~/.config/cs/age.key"  # the age identity (or SSH key) that reads them
    index_encrypted = "on"   # "off": encrypted sessions' lines leave the index
    archive_unrecorded = "on"  # "off": only the transcripts of recorded sessions are archived
    team_url = "postgresql://alice@db.example.com/team?sslmode=verify-full"  # docs/team.md
    team_read_url = "postgresql://alice@replica.example.com/team?sslmode=verify-full"  # readers only (optional)
    team_share = "none"      # ship sessions to the team by themselves: none, all, project:GLOB,...
    team_share_recording = "off"  # "on": shared sessions carry their (redacted) recording too

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

import os

from cs.errors import ConfigError  # noqa: F401  (raised here; callers catch it as config.ConfigError)
from cs.log import paths

DEFAULTS = {
    "retention": None,
    "max_total_size": None,
    "rotate_size": "256M",
    "compress_after": "7d",
    "idle_time_limit": "2s",
    "redact": "on",
    "redact_patterns": None,
    "encrypt_recipients": None,
    "identity_file": None,
    "index_encrypted": "on",
    "archive_unrecorded": "on",
    "team_url": None,
    "team_read_url": None,
    "team_share": "none",
    "team_share_recording": "off",
}

DESCRIPTIONS = {
    "retention": "remove sessions that ended longer ago than this (e.g. 90d; unset: keep forever)",
    "max_total_size": "keep the newest sessions within this total size (e.g. 20G; unset: no limit)",
    "rotate_size": "continue a session's log in a new segment past this size",
    "compress_after": "gzip finished sessions older than this (e.g. 7d; off: never)",
    "idle_time_limit": "replay and export cap pauses at this (e.g. 2s; off: keep them whole)",
    "redact": "replace secrets by [REDACTED:kind] in the index, show, exports and the web viewer (on/off)",
    "redact_patterns": "your own regular expressions to redact too (a TOML list, or comma-separated)",
    "encrypt_recipients": "age recipients (age1..., ssh-ed25519 ...) that compressed sessions are encrypted to",
    "identity_file": "the age identity file (or SSH private key) that reads encrypted sessions",
    "index_encrypted": "keep encrypted sessions' lines in the index (off: remove them)",
    "archive_unrecorded": "archive and index Claude Code transcripts of sessions cs did not record (on/off)",
    "team_url": "the team's PostgreSQL (postgresql://USER@HOST/DB; the password in ~/.pgpass or PGPASSWORD)",
    "team_read_url": "a read replica of the team's database for --team readers (unset: team_url)",
    "team_share": "sessions the watcher shares by itself: none, all, or project:GLOB,... (docs/team.md)",
    "team_share_recording": "shared sessions carry their redacted recording, for replay by the team (on/off)",
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


ON_WORDS = ("on", "yes", "true")


def _on_off(value):
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str) and value.strip().lower() in ON_WORDS + OFF_WORDS + ("false", "no"):
        return "on" if value.strip().lower() in ON_WORDS else "off"
    raise ValueError(f'expected "on" or "off", got {value!r}')


def split_patterns(text: str) -> list:
    """A comma-separated list of regular expressions: commas inside {...} or
    [...] (a repetition such as {2,5}, a class) or escaped (\\,) do not split."""
    out, current, depth, escaped = [], [], 0, False
    for ch in text:
        if escaped:
            current.append(ch if ch == "," else "\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == "," and depth == 0:
            out.append("".join(current))
            current = []
        else:
            if ch in "{[":
                depth += 1
            elif ch in "}]" and depth:
                depth -= 1
            current.append(ch)
    if escaped:
        current.append("\\")
    out.append("".join(current))
    return [p.strip() for p in out if p.strip()]


def _redact_patterns(value):
    """A TOML list of regexes, or one string of comma-separated ones; each must compile."""
    if isinstance(value, str):
        patterns = split_patterns(value)
    elif isinstance(value, list) and all(isinstance(p, str) for p in value):
        patterns = [p for p in value if p]
    else:
        raise ValueError(f"expected a list of regular expressions or a comma-separated string, got {value!r}")
    import re

    for pattern in patterns:
        try:
            compiled = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from None
        if compiled.match(""):
            raise ValueError(f"{pattern!r} matches the empty string (it would redact nothing, everywhere)")
    return value


def _recipients(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f'expected age recipients such as "age1...,ssh-ed25519 AAAA...", got {value!r}')
    return value.strip()


def _identity_file(value):
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected the path of an age identity file, got {value!r}")
    return value.strip()


def _team_url(value):
    """A postgresql:// URL holding no password (libpq finds it in ~/.pgpass or
    PGPASSWORD): config.toml is no place for one. Test: tests/test_team.py."""
    from urllib.parse import parse_qs, urlsplit

    if not isinstance(value, str) or not value.startswith(("postgresql://", "postgres://")):
        raise ValueError(f"expected a URL such as postgresql://USER@HOST/DB, got {value!r}")
    parts = urlsplit(value)
    if parts.password is not None or "password" in parse_qs(parts.query):
        raise ValueError("the URL holds a password; keep it in ~/.pgpass or PGPASSWORD instead")
    return value


def _team_share(value):
    """none, all, or project:GLOB,... (each a glob on the session's project
    name). Test: tests/test_team_shipping.py::test_a_team_share_typo_is_refused."""
    usage = "expected none, all, or project:GLOB,... (e.g. project:cs,project:web-*)"
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{usage}, got {value!r}")
    text = value.strip()
    if text.lower() in ("none", "off", "all"):
        return "none" if text.lower() != "all" else "all"
    globs = [part.strip() for part in text.split(",")]
    for part in globs:
        if not part.startswith("project:") or not part[len("project:") :].strip():
            raise ValueError(f"{usage}, got {value!r} ({part!r} is none of these)")
    return ",".join(globs)


def team_share_globs(value) -> tuple:
    """The project globs of a team_share value (typed: None, "all", or this tuple)."""
    return tuple(part[len("project:") :].strip() for part in value.split(","))


VALIDATORS = {
    "retention": _positive_duration,
    "max_total_size": _positive_size,
    "rotate_size": lambda v: _positive_size(v, MIN_ROTATE_SIZE),
    "compress_after": _compress_after,
    "idle_time_limit": _idle_time_limit,
    "redact": _on_off,
    "redact_patterns": _redact_patterns,
    "encrypt_recipients": _recipients,
    "identity_file": _identity_file,
    "index_encrypted": _on_off,
    "archive_unrecorded": _on_off,
    "team_url": _team_url,
    "team_read_url": _team_url,
    "team_share": _team_share,
    "team_share_recording": _on_off,
}


def _check_recipients_now(value):
    """Setting recipients: each must parse (pyrage; ConfigError saying what to
    install without it)."""
    from cs.log import crypto

    try:
        crypto.parse_recipients(value)
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("encrypt_recipients: ")) from None
    except crypto.CsError as exc:  # pyrage is missing
        raise ConfigError(f"encrypt_recipients: {exc}") from None
    return value


def _check_identity_now(value):
    """Setting the identity file: it must exist and hold an identity."""
    from cs.log import crypto

    path = os.path.expanduser(value)
    try:
        crypto.load_identities(path)
    except ConfigError as exc:
        raise ValueError(str(exc).removeprefix("identity_file ")) from None
    except crypto.CsError as exc:
        raise ConfigError(f"identity_file: {exc}") from None
    return path


# Checks made when a value is set (`cs config KEY VALUE`), not on every load:
# they read files or import pyrage.
SET_CHECKS = {"encrypt_recipients": _check_recipients_now, "identity_file": _check_identity_now}


def validate_value(key: str, value):
    """The value to store for `key`, or ValueError with a message for the user."""
    if key not in DEFAULTS:
        raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
    try:
        return VALIDATORS[key](value)
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None


# ---------------------------------------------------------------- reading


def _config_file(path=None):
    """`path` as a pathlib.Path, or the user's config.toml when None (for the
    functions that edit the file; pathlib is imported here, not at start-up)."""
    from pathlib import Path

    return paths.config_path() if path is None else Path(path)


def _read_file(path) -> dict:
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
    path = path or paths.home("config.toml")
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
    path = path or paths.config_path()
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
    "no limit" (retention, max_total_size) or "off" (compress_after); on/off
    as bool (redact, index_encrypted, archive_unrecorded, team_share_recording);
    team_share as None (none), "all" or a tuple of project globs; redact_patterns as a tuple of regex
    strings, encrypt_recipients as a tuple of recipient strings (None: do not
    encrypt), identity_file as an expanded path (None: unset). A plain class,
    not a dataclass: the recorder reads it at start-up."""

    __slots__ = tuple(DEFAULTS)

    def __init__(self, **values):
        for key in DEFAULTS:
            setattr(self, key, values.get(key))

    def __repr__(self):
        return "Settings(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in DEFAULTS) + ")"


DURATIONS = ("retention", "compress_after", "idle_time_limit")  # timedelta; the others are sizes (bytes)


BOOLEANS = ("redact", "index_encrypted", "archive_unrecorded", "team_share_recording")


def _typed(key: str, value):
    from cs.units import parse_duration, parse_size

    if key in BOOLEANS:
        return value != "off"
    if key == "redact_patterns":
        if value is None:
            return ()
        return tuple(split_patterns(value) if isinstance(value, str) else value)
    if key == "encrypt_recipients":
        return tuple(p.strip() for p in value.split(",") if p.strip()) or None if value else None
    if key == "identity_file":
        return os.path.expanduser(value) if value else None
    if key in ("team_url", "team_read_url"):
        return value
    if key == "team_share":
        return None if value == "none" else "all" if value == "all" else team_share_globs(value)
    if value is None or value == "off":
        return None
    return parse_duration(value) if key in DURATIONS else parse_size(value)


def settings(path=None, checked: bool = True) -> Settings:
    """The typed settings. checked=True raises ConfigError for a broken file
    (the CLI, maintenance); checked=False never raises (the recorder): a value
    that will not parse is its default."""
    values = load_checked(path) if checked else load(path)
    return Settings(**{key: _typed_value(key, value, checked) for key, value in values.items()})


def setting(key: str, path=None, checked: bool = True):
    """One typed setting, as `settings()` types it: for the recorder, which
    reads rotate_size alone on every start (typing them all would import
    datetime for the durations)."""
    values = load_checked(path) if checked else load(path)
    return _typed_value(key, values[key], checked)


def _typed_value(key: str, value, checked: bool):
    try:
        return _typed(key, value)
    except ValueError:
        if checked:
            raise ConfigError(f"{key}: {value!r} cannot be used") from None
        return _typed(key, DEFAULTS[key])


_cache = {}


def settings_cached() -> Settings:
    """settings(checked=False), read again only when config.toml changes (its
    size and mtime): for code that runs often (every indexing pass, every
    transcript), never failing (a broken file means the defaults, as for the
    recorder; `cs config` reports it)."""
    path = paths.config_path()
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    except OSError:
        key = (str(path), None)
    if _cache.get("key") != key:
        _cache["value"] = settings(path, checked=False)
        _cache["key"] = key
    return _cache["value"]


def redactor(settings_=None):
    """A cs.redact.Redactor as configured (redact, redact_patterns). Each
    caller takes its own: a Redactor keeps state from one line to the next."""
    from cs.redact import Redactor

    s = settings_ or settings_cached()
    return Redactor(s.redact_patterns, enabled=s.redact)


def stream_redactor(settings_=None):
    """A cs.redact.StreamRedactor as configured, for raw terminal streams."""
    from cs.redact import StreamRedactor

    return StreamRedactor(redactor(settings_))


def show(path=None) -> list:
    """[{key, value, default, is_default, description}] for every setting, in
    order. Raises ConfigError if the file is broken (the CLI reports it)."""
    path = _config_file(path)
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


def _toml_string(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml_string(v) for v in value) + "]"
    escaped = []
    for ch in value:
        if ch in '"\\':
            escaped.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            escaped.append("\\u%04x" % ord(ch))
        else:
            escaped.append(ch)
    return '"' + "".join(escaped) + '"'


def toml_value(value) -> str:
    """A stored value as it reads in the file (`cs config` prints it so)."""
    return _toml_string(value)


def _key_line_re(key: str):
    import re

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


def _current_text(path) -> str:
    _read_file(path)  # refuse to edit a file we cannot parse: say so instead
    try:
        return open(path, encoding="utf-8").read()
    except FileNotFoundError:
        return ""


def set_value(key: str, value: str, path=None):
    """Validate and store one setting; returns the stored value.
    ValueError (bad key/value) or ConfigError (broken file) otherwise."""
    path = _config_file(path)
    stored = validate_value(key, value)
    if key in SET_CHECKS:
        try:
            stored = SET_CHECKS[key](stored)
        except ConfigError:
            raise  # (a ValueError too) pyrage missing: said as it is
        except ValueError as exc:
            raise ValueError(f"{key}: {exc}") from None
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
    path = _config_file(path)
    text, found = _edited_text(_current_text(path), key, None)
    if not found:
        if key not in DEFAULTS:
            raise ValueError(f"unknown setting {key!r} (known: {', '.join(DEFAULTS)})")
        return False
    paths.ensure_private_dir(path.parent)
    paths.write_private_atomically(path, text.encode("utf-8"))
    return True
