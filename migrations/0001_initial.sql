-- Initial schema. Shipped migrations are never edited: change the schema with a
-- new numbered file. Everything here can be rebuilt from the JSONL logs.

-- One row per recorded session, from the log's start and end lines.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,                  -- session uuid (the log file name)
    started_at TEXT,                      -- RFC3339 UTC
    ended_at TEXT,                        -- from the end line; NULL while running or if cut off
    last_event_at TEXT,                   -- timestamp of the newest line indexed
    status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'finished', 'cut_off')),
    command TEXT,                         -- argv joined for display
    argv TEXT,                            -- JSON array
    cwd TEXT,
    project TEXT,                         -- basename of the git top level, else of cwd
    host TEXT,
    user TEXT,
    term TEXT,
    cols INTEGER,
    rows INTEGER,
    git_branch TEXT,
    git_commit TEXT,
    cs_version TEXT,
    format INTEGER,
    exit_code INTEGER,
    signal INTEGER,
    bytes_in INTEGER NOT NULL DEFAULT 0,
    bytes_out INTEGER NOT NULL DEFAULT 0,
    claude_session_id TEXT,
    log_bytes INTEGER NOT NULL DEFAULT 0  -- size on disk of all its log files
);
CREATE INDEX sessions_started_at ON sessions(started_at);
CREATE INDEX sessions_cwd ON sessions(cwd);
CREATE INDEX sessions_project ON sessions(project);

-- Text as the screen showed it (output) or as the user submitted it (input).
-- Each distinct line is stored once per session, at its first appearance.
CREATE TABLE lines (
    id INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    ts TEXT NOT NULL,                     -- RFC3339 UTC of the chunk where the line began
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output')),
    text TEXT NOT NULL,
    segment INTEGER NOT NULL,             -- log segment number (1 = <uuid>.jsonl)
    offset INTEGER NOT NULL,              -- byte offset of that chunk's JSONL line in the segment
    provisional INTEGER NOT NULL DEFAULT 0, -- 1: still on the screen of a live session; replaced
                                          -- or confirmed by the next indexing pass
    UNIQUE (session_id, direction, text)
);
CREATE INDEX lines_session_ts ON lines(session_id, ts);
CREATE INDEX lines_ts ON lines(ts);
CREATE INDEX lines_provisional ON lines(session_id) WHERE provisional = 1;

-- Full-text index over lines.text. The trigram tokenizer makes every
-- substring of three or more characters searchable ("1234" finds "E1234").
CREATE VIRTUAL TABLE lines_fts USING fts5(
    text, content='lines', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER lines_ai AFTER INSERT ON lines BEGIN
    INSERT INTO lines_fts(rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER lines_ad AFTER DELETE ON lines BEGIN
    INSERT INTO lines_fts(lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;
CREATE TRIGGER lines_au AFTER UPDATE OF text ON lines BEGIN
    INSERT INTO lines_fts(lines_fts, rowid, text) VALUES ('delete', old.id, old.text);
    INSERT INTO lines_fts(rowid, text) VALUES (new.id, new.text);
END;

-- How far each log file has been read, so indexing is incremental.
CREATE TABLE log_files (
    name TEXT PRIMARY KEY,                -- file name inside the logs directory
    session_id TEXT NOT NULL,
    segment INTEGER NOT NULL,
    inode INTEGER,
    size INTEGER NOT NULL DEFAULT 0,      -- size when last read (on disk)
    offset INTEGER NOT NULL DEFAULT 0,    -- uncompressed bytes consumed: complete lines only
    skipped_lines INTEGER NOT NULL DEFAULT 0  -- corrupt or foreign lines seen
);
CREATE INDEX log_files_session ON log_files(session_id);

-- The renderer of a session that was still live when an indexing process last
-- stopped, so the next process resumes where it left off instead of
-- re-rendering the session from its start. Only valid while `positions` (JSON
-- [[segment, offset], ...]) equals what log_files says was consumed; anything
-- else (another cs version, a file replaced) means: render again from the start.
CREATE TABLE render_state (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    positions TEXT NOT NULL,
    cs_version TEXT NOT NULL,
    state BLOB NOT NULL
);
