-- Claude Code's own transcripts, kept with each recording (cs/claude, docs/schema.md):
--  * lines gain a third source, 'transcript' (the conversation as Claude Code
--    wrote it: prompts, replies, tool calls, tool results), and a `kind`;
--  * claude_links: which Claude sessions a recording produced, and how we know;
--  * claude_transcripts: how far each archived transcript has been indexed;
--  * claude_usage: token usage, one row per API response (message id, request id).
-- SQLite cannot change a CHECK constraint in place: lines are recreated and the
-- logs read again (the index is derived data; the next pass rebuilds it).

DROP TRIGGER lines_ai;
DROP TRIGGER lines_ad;
DROP TRIGGER lines_au;
DROP TABLE lines_fts;
DROP INDEX lines_provisional;
DROP TABLE lines;

CREATE TABLE lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    ts TEXT NOT NULL,                     -- RFC3339 UTC: the chunk where the line began, or the transcript line's time
    direction TEXT NOT NULL CHECK (direction IN ('input', 'output', 'transcript')),
    text TEXT NOT NULL,
    text_hash INTEGER,
    segment INTEGER NOT NULL,             -- log segment number; 0 for transcript lines
    offset INTEGER NOT NULL,              -- byte offset in the segment; for transcript lines, in the archived transcript
    provisional INTEGER NOT NULL DEFAULT 0,
    kind TEXT,                            -- transcript lines: prompt, reply, tool, result
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

CREATE TABLE claude_links (
    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,  -- the recording
    claude_session_id TEXT NOT NULL,
    how TEXT NOT NULL,                    -- session-id | running | resume | exit-message | matched
    config_dir TEXT,                      -- Claude Code's config dir at the time, when known
    PRIMARY KEY (session_id, claude_session_id)
);
CREATE INDEX claude_links_claude ON claude_links(claude_session_id);

CREATE TABLE claude_transcripts (
    claude_session_id TEXT PRIMARY KEY,          -- <id>, or <id>/subagents/<file> for a subagent's
    indexed_offset INTEGER NOT NULL DEFAULT 0,  -- bytes of the archived transcript indexed
    entries INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0          -- unknown or unreadable lines, counted
);

CREATE TABLE claude_usage (
    message_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    claude_session_id TEXT,
    session_id TEXT REFERENCES sessions(id) ON DELETE CASCADE,  -- the recording it is attributed to
    ts TEXT,
    model TEXT,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    sidechain INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (message_id, request_id)
);
CREATE INDEX claude_usage_session ON claude_usage(session_id);

-- Read every log again.
DELETE FROM log_files;
DELETE FROM render_state;
