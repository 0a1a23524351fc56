"""`cs resume`: continue a recorded Claude session, recorded again.

Finds the Claude session (from a recording id, a Claude session id, or the
last recording of claude), the directory it ran in, and its transcript; when
Claude Code has deleted the transcript (cleanupPeriodDays), the archived copy
is put back where Claude Code looks for it first. The caller then runs
`cs record -- claude --resume <id>` in that directory, so the new session is
recorded and linked to the same Claude session. Tests:
tests/test_claude_e2e_transcripts.py.
"""

import os

from cs.claude import archive
from cs.errors import CsError, NotFound


class Target:
    def __init__(self, claude_id: str, cwd: str, transcript, restored: bool):
        self.claude_id, self.cwd, self.transcript, self.restored = claude_id, cwd, transcript, restored


def find(db, recording_id: str = None, claude_prefix: str = None) -> tuple:
    """(claude session id, cwd, config dir) for a recording, or for a Claude
    session id (prefix), or for the newest linked recording."""
    if recording_id:
        rows = db.execute(
            "SELECT l.claude_session_id, s.cwd, l.config_dir FROM claude_links l JOIN sessions s"
            " ON s.id = l.session_id WHERE l.session_id = ? ORDER BY (l.claude_session_id = s.claude_session_id) DESC,"
            " l.rowid DESC LIMIT 1",
            [recording_id],
        ).fetchall()
        if not rows:
            raise NotFound(
                f"recording {recording_id[:8]} has no Claude Code session linked to it (was it a recording of claude?)"
            )
        return rows[0]
    if claude_prefix:
        p = claude_prefix.lower()
        rows = db.execute(
            "SELECT DISTINCT l.claude_session_id, s.cwd, l.config_dir FROM claude_links l"
            " JOIN sessions s ON s.id = l.session_id WHERE substr(l.claude_session_id, 1, ?) = ?"
            " ORDER BY s.started_at DESC",
            [len(p), p],
        ).fetchall()
        ids = {r[0] for r in rows}
        if not ids:
            raise NotFound(f"no recorded Claude session with id {claude_prefix!r} (see `cs list`)")
        if len(ids) > 1:
            raise CsError(f"Claude session id {claude_prefix!r} is ambiguous: {', '.join(sorted(ids)[:5])}")
        return rows[0]
    rows = db.execute(
        "SELECT l.claude_session_id, s.cwd, l.config_dir FROM claude_links l JOIN sessions s"
        " ON s.id = l.session_id ORDER BY s.started_at DESC, l.rowid DESC LIMIT 1"
    ).fetchall()
    if not rows:
        raise NotFound("no recorded Claude Code session yet")
    return rows[0]


def prepare(claude_id: str, cwd: str, config_dir: str = None) -> Target:
    """Check the directory, make sure Claude Code will find the transcript."""
    if not cwd or not os.path.isdir(cwd):
        raise CsError(
            f"the directory this session ran in is gone: {cwd} "
            "(claude --resume looks for the session there; recreate it, or cd elsewhere and "
            f"run `claude --resume {claude_id}` yourself)"
        )
    config_dir = os.environ.get("CLAUDE_CONFIG_DIR") or config_dir or archive.default_config_dir()
    live = archive.find_transcript(config_dir, claude_id, cwd)
    if live is not None:
        return Target(claude_id, cwd, live, restored=False)
    if not archive.archived_transcript(claude_id).exists():
        raise NotFound(
            f"Claude session {claude_id} has no transcript: Claude Code deleted it and cs "
            "has no copy (it was recorded before cs kept transcripts)"
        )
    restored = archive.restore(claude_id, config_dir, cwd)
    return Target(claude_id, cwd, restored, restored=True)
