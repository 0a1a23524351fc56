"""Team URLs (postgresql://USER@HOST:PORT/DB?sslmode=...): what is kept of
them, and whether a connection is protected. Pure functions, no psycopg.
Tests: tests/test_team.py (test_a_url_with_a_password_is_refused,
test_urls_are_told_apart, test_a_connection_without_tls_to_another_host_is_warned_about)."""

from urllib.parse import parse_qs, quote, unquote, urlsplit, urlunsplit

from cs.errors import UsageError

TLS_MODES = ("require", "verify-ca", "verify-full")
PASSWORD_HINT = (
    "keep the password out of the URL: put it in ~/.pgpass (HOST:PORT:DB:USER:PASSWORD, mode 0600) "
    "or in PGPASSWORD, and give the URL without it"
)


def checked(url: str):
    """The URL split (urllib's SplitResult); UsageError for anything but a postgresql:// URL."""
    if not isinstance(url, str) or not url.startswith(("postgresql://", "postgres://")):
        raise UsageError(f"{url!r} is not a PostgreSQL URL: give postgresql://USER@HOST:PORT/DB")
    return urlsplit(url)


def has_password(url: str) -> bool:
    parts = checked(url)
    return parts.password is not None or "password" in parse_qs(parts.query)


def without_password(url: str) -> str:
    """The URL with no password in it (the user part and the query's password= gone)."""
    parts = checked(url)
    netloc = parts.netloc.rpartition("@")[2]
    if parts.username:
        netloc = f"{quote(unquote(parts.username), safe='')}@{netloc}"
    query = "&".join(q for q in parts.query.split("&") if q and not q.startswith("password="))
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def with_user(url: str, user: str) -> str:
    """The same database as `user` (no password): what a new member joins."""
    parts = checked(without_password(url))
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, f"{quote(user, safe='')}@{host}", parts.path, parts.query, parts.fragment))


def host_of(url: str) -> str:
    """The host the URL names ('' for libpq's default, a local socket)."""
    parts = checked(url)
    return parts.hostname or (parse_qs(parts.query).get("host") or [""])[0]


def is_loopback(host: str) -> bool:
    return host in ("", "localhost", "::1") or host.startswith(("127.", "/"))


def uses_tls(url: str, environ=None) -> bool:
    """sslmode require / verify-ca / verify-full in the URL (or in PGSSLMODE when the URL has none)."""
    import os

    mode = (parse_qs(checked(url).query).get("sslmode") or [(environ or os.environ).get("PGSSLMODE", "")])[0]
    return mode in TLS_MODES


def tls_warning(url: str, environ=None):
    """A warning for a connection to a host that is not loopback without TLS, else None."""
    host = host_of(url)
    if is_loopback(host) or uses_tls(url, environ):
        return None
    return (
        f"the connection to {host} is not encrypted (no sslmode=require or verify-full in the URL): "
        "what is shared crosses the network readable; add ?sslmode=verify-full"
    )
