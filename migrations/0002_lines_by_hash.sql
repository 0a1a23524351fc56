-- Smaller, faster lines (index size and indexing speed; see docs/schema.md):
--  * a line is unique per session by a 64-bit hash of its text (blake2b,
--    cs.indexer.text_hash), so the unique index no longer holds a second copy
--    of every line; that index also serves lookups by session, so the two
--    ts indexes go (search sorts its matches; nothing scans lines by time);
--  * the indexer adds the FTS rows of each batch itself with one
--    INSERT ... SELECT (an FTS insert inside a trigger makes FTS5 flush for
--    every row: three times slower). The insert trigger now only serves other
--    writers (tools, tests), recognised by a NULL text_hash: they stay
--    searchable, though not deduplicated. Deletes and text updates stay in
--    sync by trigger, so anything may delete lines (retention,
--    cs.db.delete_session).
-- SQLite cannot change a UNIQUE constraint in place and SQL cannot compute
-- the hash, so lines are dropped and the logs read again: the index is
-- derived data, rebuilt by the next `cs index` (or any reading command).

DROP TRIGGER lines_ai;
DROP TRIGGER lines_ad;
DROP TRIGGER lines_au;
DROP TABLE lines_fts;
DROP INDEX lines_provisional;
DROP INDEX lines_session_ts;
DROP INDEX lines_ts;
DROP TABLE lines;

CREATE TABLE lines (
    -- AUTOINCREMENT: ids are never reused, so "id > the largest id before this
    -- batch" is exactly the batch's new rows, whose FTS rows the indexer adds.
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    ts TEXT NOT NULL,                     -- RFC3339 UTC of the chunk where the line began
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    text TEXT NOT NULL,
    text_hash INTEGER,                    -- cs.indexer.text_hash(text); NULL: not written by the indexer
    segment INTEGER NOT NULL,             -- log segment number (1 = <uuid>.jsonl)
    offset INTEGER NOT NULL,              -- byte offset of that chunk's JSONL line in the segment
    provisional INTEGER NOT NULL DEFAULT 0, -- 1: still on the screen of a live session; replaced
                                          -- or confirmed by the next indexing pass
    UNIQUE (session_id, direction, text_hash)
);
CREATE INDEX lines_provisional ON lines(session_id) WHERE provisional = 1;

CREATE VIRTUAL TABLE lines_fts USING fts5(
    text, content='lines', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER lines_ai AFTER INSERT ON lines WHEN new.text_hash IS NULL BEGIN
    INSERT INTO lines_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER lines_ad AFTER DELETE ON lines BEGIN
    INSERT INTO lines_fts(lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER lines_au AFTER UPDATE OF text ON lines BEGIN
    INSERT INTO lines_fts(lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO lines_fts(rowid, text) VALUES (new.id, new.text);
END;

-- Read every log again.
DELETE FROM log_files;
DELETE FROM render_state;
