"""The SQLite index: opened in WAL mode, private, and migrated on every open.

Migrations are the numbered SQL files in migrations/ (shipped as cs.migrations),
applied in order, each in its own transaction together with the record that it
ran (sqlite-utils' Migrations, as in simonw's llm). Shipped files are never
edited: a schema change is a new file.
"""

import os
import sqlite3
from pathlib import Path

from cs.log import paths

BUSY_TIMEOUT_MS = 5000
# Every connection to the index, whoever opens it (open_db here, the indexer's
# light reader cs.index.indexer.open_index), runs these.
PRAGMAS = (
    f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
    "PRAGMA foreign_keys = ON",
    "PRAGMA synchronous = NORMAL",
    "PRAGMA secure_delete = ON",  # deleted rows (forget, scrub, a live screen's state) are overwritten
)


def apply_pragmas(conn) -> None:
    for pragma in PRAGMAS:
        conn.execute(pragma)


def _migration_resources() -> list:
    from importlib import resources  # (not at the top: reading commands never need it)

    files = [f for f in resources.files("cs.migrations").iterdir() if f.name.endswith(".sql")]
    return sorted(files, key=lambda f: f.name)


def shipped_migrations() -> set:
    """The names of the migrations this version ships, to tell whether an
    index is fully migrated without reading any SQL: a directory listing
    (importlib.resources costs 5 ms of imports in every reading command)."""
    from importlib.util import find_spec

    spec = find_spec("cs.migrations")  # (where it is; not imported)
    where = spec.submodule_search_locations if spec else None
    if where and os.path.isdir(where[0]):
        return {name[: -len(".sql")] for name in os.listdir(where[0]) if name.endswith(".sql")}
    return {f.name[: -len(".sql")] for f in _migration_resources()}  # a zipped install


def migration_files() -> list:
    """(name, sql) for every shipped migration, in order."""
    return [(f.name[: -len(".sql")], f.read_text()) for f in _migration_resources()]


def split_statements(sql: str) -> list:
    """Split a script into statements. sqlite3's executescript() would COMMIT
    first and break the migration's transaction, so statements run one by one;
    complete_statement() knows that a trigger's BEGIN ... END is one statement."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            if current.strip():
                statements.append(current.strip())
            current = ""
    if current.strip() and not all(part.strip().startswith("--") or not part.strip() for part in current.splitlines()):
        raise ValueError(f"incomplete SQL statement in migration: {current.strip()[:80]}")
    return statements


def _migration_fn(sql: str):
    def apply(db):
        for statement in split_statements(sql):
            db.execute(statement)

    return apply


def text_hash(text: str) -> int:
    """64-bit identity of a line for the UNIQUE (session_id, direction,
    text_hash) constraint (a collision, odds about n^2 / 2^65 within one
    session, would merely drop one line). Every writer of `lines` uses it."""
    from hashlib import blake2b  # (imported when first needed: OpenSSL's load costs reading commands 3 ms)

    return int.from_bytes(blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True)


def migrations():
    from sqlite_utils.migrations import Migrations  # only when migrating: sqlite-utils costs 40 ms to import

    m = Migrations("cs")
    for name, sql in migration_files():
        m(name=name)(_migration_fn(sql))
    return m


def open_db(path: Path = None, migrate: bool = True, stop_before=None):
    """Open (creating privately if needed) and migrate the index database
    (a sqlite_utils.Database)."""
    import sqlite_utils

    path = Path(path) if path else paths.db_path()
    paths.ensure_private_dir(path.parent)
    if not path.exists():
        try:
            os.close(paths.create_private_file(path, append=False))
        except FileExistsError:
            pass  # another process created it first; fine
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    db = sqlite_utils.Database(conn)
    db.execute("PRAGMA journal_mode = WAL")
    apply_pragmas(db)
    if migrate:
        migrations().apply(db, stop_before=stop_before)
    # SQLite gives -wal and -shm the database file's mode; make sure anyway.
    for suffix in ("", "-wal", "-shm"):
        paths.make_private(Path(str(path) + suffix))
    return db


def open_existing_for_writing(db=None):
    """(db, opened_here) for maintenance that keeps an index in step with the
    files it changes: the caller's connection, else the index if one exists
    (None if not: do not create one just to delete from it)."""
    if db is not None:
        return db, False
    if not paths.db_path().exists():
        return None, False
    return open_db(), True


_DELETE_BATCH = 500  # well under SQLite's limit on bound parameters


def delete_sessions(db, session_ids) -> None:
    """Remove sessions and everything indexed from them (FTS rows go by
    trigger), in one transaction, a few hundred ids per statement (pruning
    10,000 sessions one by one costs seconds)."""
    ids = list(session_ids)
    with db.atomic():
        for i in range(0, len(ids), _DELETE_BATCH):
            batch = ids[i : i + _DELETE_BATCH]
            marks = ",".join("?" * len(batch))
            db.execute(f"DELETE FROM lines WHERE session_id IN ({marks})", batch)
            db.execute(f"DELETE FROM log_files WHERE session_id IN ({marks})", batch)
            db.execute(f"DELETE FROM claude_links WHERE session_id IN ({marks})", batch)
            db.execute(f"DELETE FROM claude_usage WHERE session_id IN ({marks})", batch)
            db.execute(f"DELETE FROM sessions WHERE id IN ({marks})", batch)
