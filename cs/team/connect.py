"""Opening the team database, and what went wrong last time.

`connect(url)` opens a psycopg connection (schema cs_team first on the
search path) or raises TeamError saying what to do; every failure is kept in
<cs home>/team-state.json for `cs team status`, every success clears it.
psycopg is imported here, when a team command runs: without the [team] extra
the error says what to install. Tests: tests/test_team.py
(test_status_says_who_i_am_what_is_shared_and_the_last_error,
test_a_connection_without_tls_to_another_host_is_warned_about)."""

import json
from contextlib import contextmanager

from cs import config
from cs.errors import CsError
from cs.log import paths

CONNECT_TIMEOUT_S = 10
STATE_FILE = "team-state.json"


class TeamError(CsError):
    """The team database said no, or could not be reached; the message says what to do."""


def psycopg():
    """The psycopg module. The CLI keeps numpy out of sys.modules as None
    (cs.cli.common.skip_numpy, for sqlite-utils); psycopg takes a numpy there
    for real and would fail on the None, so the placeholder goes."""
    import sys

    if "numpy" in sys.modules and sys.modules["numpy"] is None:
        del sys.modules["numpy"]
    try:
        import psycopg as module
    except ImportError:
        raise CsError("teams need the team extra (psycopg): pip install 'cs-sessions[team]'") from None
    return module


def team_url() -> str:
    """The configured team URL; CsError naming the commands that set it."""
    url = config.settings().team_url
    if not url:
        raise CsError("no team database yet: `cs team join URL` (a member) or `cs team init URL` (the admin)")
    return url


def read_url() -> str:
    """Where readers (`--team` on search, list, show, replay, stats, resume, and
    `cs web --team`) connect: `team_read_url` (a read replica) when set, else
    the team URL. Shipping always goes to the team URL.
    Test: tests/test_team_reading.py::test_readers_use_the_read_url_when_set."""
    return config.settings().team_read_url or team_url()


def connect(url: str = None, timeout: int = CONNECT_TIMEOUT_S, statement_timeout_ms: int = None, read=False):
    """A connection to the team database (autocommit off: each change is one
    transaction); the watcher's shipper gives a shorter `timeout` and bounds
    each statement (cs.team.follow), and TCP keepalives find a dead server.
    `read`: for a reader (`read_url`)."""
    pg = psycopg()
    url = url or (read_url() if read else team_url())
    try:
        conn = pg.connect(
            url,
            connect_timeout=timeout,
            application_name="cs",
            keepalives=1,
            keepalives_idle=30,
            keepalives_interval=10,
            keepalives_count=3,
        )
        conn.execute("SET search_path TO cs_team, public")
        if statement_timeout_ms:
            conn.execute(f"SET statement_timeout = {int(statement_timeout_ms)}")
        conn.commit()
    except pg.Error as exc:
        raise failed(exc, "cannot connect to the team database") from None
    return conn


@contextmanager
def used(url: str = None, read: bool = False):
    """A connection for one command's work (`connect`), closed after it; when
    the work went through, the last error kept for `cs team status` is cleared."""
    with connect(url, read=read) as conn:
        yield conn
    remember()


def failed(exc, doing: str) -> TeamError:
    """A psycopg error as the TeamError to raise (and kept as the last error)."""
    text = " ".join(str(exc).split())
    if "password authentication failed" in text or "no password supplied" in text:
        text += " (the password is read from ~/.pgpass or PGPASSWORD)"
    elif "relation" in text and "does not exist" in text:
        text += " (has the admin run `cs team init` on this database?)"
    message = config.redactor().text(f"{doing}: {text}")
    remember(error=message)
    return TeamError(message)


def state() -> dict:
    try:
        with open(paths.home(STATE_FILE), encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def remember(error=None) -> None:
    """Keep the last error (None: the last operation worked)."""
    from datetime import UTC, datetime

    from cs.log.timestamps import format_timestamp

    current = state()
    if error is None and not current.get("last_error"):
        return
    new = {"last_error": error, "at": format_timestamp(datetime.now(UTC))} if error else {}
    paths.ensure_private_dir(paths.cs_home())
    paths.write_private_atomically(paths.home(STATE_FILE), json.dumps(new).encode())
