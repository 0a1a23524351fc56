-- Claude Code sessions cs did not record (issue 24, cs/claude/unrecorded.py):
--  * sessions gain a `source`: 'recording' (a log in logs/, as before) or
--    'transcript' (no recording: Claude Code's transcript, archived in
--    <cs home>/claude/, is all there is; its id is the Claude session id);
--  * claude_sources: the watermark of the transcripts in Claude Code's
--    projects folders, (path, size, mtime) when last archived, so that an
--    idle pass reads none of them again.

ALTER TABLE sessions ADD COLUMN source TEXT NOT NULL DEFAULT 'recording';

CREATE TABLE claude_sources (
    path TEXT PRIMARY KEY,                -- <config dir>/projects/<folder>/<id>.jsonl
    claude_session_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL
);
