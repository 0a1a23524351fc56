-- The state of logs/ at the last complete, clean indexing pass (cs/index/indexer.py,
-- "the watermark"): while the directory's identity, mtime and ctime are what this row
-- says, no log was added, removed, renamed or replaced since, so a reading command's
-- catch-up reads only the sessions indexed as running instead of listing logs/.
-- At most one row; derived data like the rest (a rebuilt index starts without it).
CREATE TABLE catch_up_watermark (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    logs_dir TEXT NOT NULL,
    dev INTEGER NOT NULL,
    ino INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ctime_ns INTEGER NOT NULL,
    sessions INTEGER NOT NULL             -- sessions on disk at that pass
);
-- The sessions that catch-up reads while logs/ is unchanged: found without reading the others.
CREATE INDEX sessions_unended ON sessions(id) WHERE status IS NULL OR status NOT IN ('finished', 'cut_off');
