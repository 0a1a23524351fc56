"""The team database's schema and roles: migrations (migrations/team/*.sql,
shipped as cs.migrations.team, applied in order, each in one transaction with
its row in cs_team.cs_team_migrations; shipped files are never edited) and
the members' logins.

Tests: tests/test_team.py (test_init_makes_the_schema_with_forced_row_level_security,
test_members_are_logins_in_the_group_and_nothing_more, test_remove_and_purge)."""

import re
import secrets

from cs.errors import CsError, UsageError
from cs.team.connect import failed, psycopg

SCHEMA = "cs_team"
MEMBER_GROUP = "cs_member"
ADMIN_GROUP = "cs_admin"
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
_BOOKKEEPING = (
    "CREATE SCHEMA IF NOT EXISTS cs_team",
    "CREATE TABLE IF NOT EXISTS cs_team.cs_team_migrations ("
    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now(),"
    " applied_by name NOT NULL DEFAULT current_user)",
)


def migration_files() -> list:
    """(name, sql) of every shipped team migration, in order."""
    from importlib import resources

    files = [f for f in resources.files("cs.migrations.team").iterdir() if f.name.endswith(".sql")]
    return [(f.name[: -len(".sql")], f.read_text()) for f in sorted(files, key=lambda f: f.name)]


def migrate(conn) -> list:
    """Apply the migrations not applied yet; the names applied now. A lock on
    the bookkeeping table keeps two inits from racing."""
    pg = psycopg()
    applied = []
    try:
        with conn.transaction():
            for statement in _BOOKKEEPING:
                conn.execute(statement)
        for name, sql in migration_files():
            with conn.transaction():
                conn.execute("LOCK TABLE cs_team.cs_team_migrations IN EXCLUSIVE MODE")
                done = conn.execute("SELECT 1 FROM cs_team.cs_team_migrations WHERE name = %s", [name]).fetchone()
                if done:
                    continue
                conn.execute(sql)
                conn.execute("INSERT INTO cs_team.cs_team_migrations (name) VALUES (%s)", [name])
            applied.append(name)
    except pg.Error as exc:
        raise failed(
            exc, "cannot set up the team database (the URL's user needs CREATEROLE and to own the database)"
        ) from None
    return applied


def check_name(name: str) -> str:
    """A member's login name: lower-case letters, digits and _ (no quoting
    surprises), not a PostgreSQL or cs role."""
    if not _NAME.match(name or "") or name.startswith(("pg_", "cs_")) or name in ("postgres", "public"):
        raise UsageError(
            f"{name!r} cannot be a member's name: use lower-case letters, digits and _ (not pg_*, cs_*, postgres)"
        )
    return name


def generate_password() -> str:
    return secrets.token_urlsafe(24)


def role(conn, name: str):
    """(is a member, superuser, bypassrls) of an existing role, or None."""
    return conn.execute(
        "SELECT pg_has_role(oid, %s, 'MEMBER'), rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s",
        [MEMBER_GROUP, name],
    ).fetchone()


def hashed(conn, name: str, password: str) -> str:
    """The password as the server stores it (SCRAM, by libpq on this side, in the
    server's password_encryption): the plain password never reaches the server,
    nor a statement log there."""
    return conn.pgconn.encrypt_password(password.encode(), name.encode()).decode()


def add_member(conn, name: str, password: str) -> None:
    """A LOGIN role in cs_member: no superuser, no BYPASSRLS, nothing else; its
    password sent hashed. A name that still owns shared rows (a member removed
    without --purge) is refused: the new login would own them."""
    pg = psycopg()
    from psycopg import sql

    check_name(name)
    try:
        with conn.transaction():
            if role(conn, name) is not None:
                raise CsError(f"{name} is already a role here: choose another name, or `cs team remove {name}` first")
            if conn.execute("SELECT 1 FROM sessions WHERE owner = %s LIMIT 1", [name]).fetchone():
                raise CsError(
                    f"sessions shared by a former {name} are still here: `cs team remove {name} --purge` first"
                )
            conn.execute(
                sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE INHERIT IN ROLE {} PASSWORD {}"
                ).format(sql.Identifier(name), sql.Identifier(MEMBER_GROUP), sql.Literal(hashed(conn, name, password)))
            )
    except pg.Error as exc:
        raise failed(exc, f"cannot add {name}") from None


def remove_member(conn, name: str, purge: bool) -> dict:
    """Drop a member's login; with purge, their shared sessions too (the
    admin's policy lets it delete any row). {"dropped": bool, "purged": n}."""
    pg = psycopg()
    from psycopg import sql

    check_name(name)
    try:
        with conn.transaction():
            found = role(conn, name)
            if found is not None and not found[0]:
                raise CsError(f"{name} is not a member of the team (not in {MEMBER_GROUP}): not removed")
            purged = 0
            if purge:
                purged = conn.execute("DELETE FROM sessions WHERE owner = %s", [name]).rowcount
            if found is not None:
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
            elif not purge:
                raise CsError(f"no member {name} here: nothing to remove")
    except pg.Error as exc:
        raise failed(exc, f"cannot remove {name}") from None
    return {"dropped": found is not None, "purged": purged}
