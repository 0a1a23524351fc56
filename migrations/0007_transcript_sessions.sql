-- Claude Code sessions cs did not record (issue 24, cs/claude/unrecorded.py):
--  * sessions gain a `source`: 'recording' (a log in logs/, as before) or
--    'transcript' (no recording: Claude Code's transcript, archived in
--    <cs home>/claude/, is all there is; its id is the Claude session id);
--  * claude_sources: the watermark of the transcripts in Claude Code's
--    projects folders, (path, size, mtime) when last archived, so that an
--    idle pass reads none of them again.

ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'recording';

CREATE TABLE claude_sources (
    -- blake2b (16 bytes, hex) of <config dir>/projects/<folder>/<id>.jsonl: the
    -- folder is named after the working directory, which may hold a secret, and
    -- nothing of a secret goes into the database (tests/test_secrets_everywhere.py)
    path_hash TEXT PRIMARY KEY,
    claude_session_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL
);
