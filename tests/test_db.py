"""The index database: migrations create exactly what the SQL files declare,
upgrades from any earlier migration reach the same schema, files are private."""

import os
import re
import stat

from cs import db as dbmod

_CREATE_RE = re.compile(
    r"CREATE\s+(?:VIRTUAL\s+|UNIQUE\s+)?(TABLE|INDEX|TRIGGER|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)",
    re.IGNORECASE,
)
_DROP_RE = re.compile(r"DROP\s+(TABLE|INDEX|TRIGGER|VIEW)\s+(?:IF\s+EXISTS\s+)?(\w+)", re.IGNORECASE)


def declared_objects():
    """(type, name) of everything the shipped migration files create, minus what
    later ones drop, read from the files themselves."""
    objects = set()
    for _name, sql in dbmod.migration_files():
        for statement in dbmod.split_statements(sql):
            body = "\n".join(l for l in statement.splitlines() if not l.strip().startswith("--"))
            m = _CREATE_RE.match(body.strip())
            if m:
                kind = m.group(1).lower()
                objects.add(("table" if kind == "table" else kind, m.group(2)))
            d = _DROP_RE.match(body.strip())
            if d:
                objects = {o for o in objects if o[1] != d.group(2)}
    return objects


def actual_objects(db):
    rows = db.execute(
        "SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "AND tbl_name NOT LIKE '\\_%' ESCAPE '\\'"  # sqlite-utils' own _sqlite_migrations
    ).fetchall()
    names = {(t, n) for t, n in rows}
    # FTS5 shadow tables (lines_fts_data, ...) are SQLite's, not ours.
    virtual = {
        n
        for t, n in names
        if t == "table" and "VIRTUAL" in db.execute("SELECT sql FROM sqlite_master WHERE name=?", [n]).fetchone()[0]
    }
    return {(t, n) for t, n in names if not any(n.startswith(v + "_") for v in virtual)}


def schema_sql(db):
    return sorted(
        r[0]
        for r in db.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name NOT LIKE '\\_%' ESCAPE '\\'"
        ).fetchall()
    )


def test_blank_database_has_what_migrations_declare(tmp_path):
    db = dbmod.open_db(tmp_path / "index.db")
    declared = declared_objects()
    assert ("table", "sessions") in declared and ("table", "lines_fts") in declared
    assert actual_objects(db) == declared
    applied = [r[0] for r in db.execute("SELECT name FROM _sqlite_migrations").fetchall()]
    assert applied == [name for name, _ in dbmod.migration_files()]


def test_upgrade_from_each_earlier_migration_reaches_same_schema(tmp_path):
    fresh = dbmod.open_db(tmp_path / "fresh.db")
    for i, (name, _sql) in enumerate(dbmod.migration_files()):
        path = tmp_path / f"old{i}.db"
        old = dbmod.open_db(path, stop_before=name)
        old.conn.close()
        upgraded = dbmod.open_db(path)
        assert schema_sql(upgraded) == schema_sql(fresh)
        assert actual_objects(upgraded) == declared_objects()


def test_reopening_is_idempotent(tmp_path):
    dbmod.open_db(tmp_path / "index.db").conn.close()
    db = dbmod.open_db(tmp_path / "index.db")
    assert db.execute("SELECT count(*) FROM _sqlite_migrations").fetchone()[0] == len(dbmod.migration_files())


def test_db_wal_shm_private_under_umask_000(tmp_path):
    old = os.umask(0)
    try:
        path = tmp_path / "home" / "index.db"
        db = dbmod.open_db(path)
        db.execute("INSERT INTO sessions (id) VALUES ('x')")
        for suffix in ("", "-wal", "-shm"):
            p = tmp_path / "home" / ("index.db" + suffix)
            assert p.exists(), p
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
        assert stat.S_IMODE((tmp_path / "home").stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_delete_session_removes_fts_rows(tmp_path):
    db = dbmod.open_db(tmp_path / "index.db")
    db.execute("INSERT INTO sessions (id) VALUES ('a')")
    db.execute(
        "INSERT INTO lines (session_id, ts, direction, text, segment, offset) "
        "VALUES ('a', 't', 'output', 'needle in a haystack', 1, 0)"
    )
    assert db.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH 'needle'").fetchone()[0] == 1
    dbmod.delete_sessions(db, ["a"])
    assert db.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH 'needle'").fetchone()[0] == 0


def test_upgrade_from_0001_reindexes_from_the_logs(cs_home):
    """An index built under 0001 (lines unique by text) is emptied by 0002 and
    filled again from the logs by the next pass: nothing lost, nothing twice."""
    from cs.index import indexer
    from cs.log import paths
    from tests.helpers.logs import LogWriter

    w = LogWriter(paths.logs_dir())
    w.output("kept across the upgrade\r\n").end()
    old = dbmod.open_db(stop_before="0002_lines_by_hash")
    old.execute("INSERT INTO sessions (id, status) VALUES (?, 'finished')", [w.sid])
    old.execute(
        "INSERT INTO lines (session_id, ts, direction, text, segment, offset) "
        "VALUES (?, 't', 'output', 'kept across the upgrade', 1, 0)",
        [w.sid],
    )
    old.execute(
        "INSERT INTO log_files (name, session_id, segment, inode, size, offset) VALUES (?, ?, 1, ?, ?, ?)",
        [w.path.name, w.sid, w.path.stat().st_ino, w.path.stat().st_size, w.path.stat().st_size],
    )
    old.conn.close()
    db = dbmod.open_db()
    assert db.execute("SELECT count(*) FROM lines").fetchone()[0] == 0
    indexer.index_pass(db)
    assert [r[0] for r in db.execute("SELECT text FROM lines").fetchall()] == ["kept across the upgrade"]
    db.execute("INSERT INTO lines_fts(lines_fts) VALUES ('integrity-check')")


def test_lines_written_by_other_tools_are_searchable(tmp_path):
    """Rows without text_hash (not the indexer's) get their FTS row by trigger."""
    db = dbmod.open_db(tmp_path / "index.db")
    db.execute("INSERT INTO sessions (id) VALUES ('a')")
    for _ in range(2):
        db.execute(
            "INSERT OR IGNORE INTO lines (session_id, ts, direction, text, segment, offset) "
            "VALUES ('a', 't', 'output', 'written by hand', 1, 0)"
        )
    assert db.execute("SELECT count(*) FROM lines_fts WHERE lines_fts MATCH '\"by hand\"'").fetchone()[0] == 2
    db.execute("INSERT INTO lines_fts(lines_fts) VALUES ('integrity-check')")
