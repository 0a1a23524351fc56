"""`cs resume --team ID`: continue a teammate's shared Claude Code conversation.

`find` picks the shared session (a unique id prefix, `OWNER/PREFIX`, or
`--member`); `checkout` says where it continues: the current directory when
it is a checkout of the same repository (its `origin`, cs.team.remote,
equals the one shipped with the session), or the directory given with
`--cwd`; `transcript` reads the shared transcript (what the owner's Claude Code
wrote, every string redacted before it left their machine); `place` writes
it where the member's Claude Code looks for it
(`<config dir>/projects/<cwd folder>/<id>.jsonl`, 0600, each line's `cwd`
now the member's directory). The CLI then runs `cs record -- claude --resume
<id>` there with CS_CONTINUES=OWNER/ID, so the new recording is recorded and
its log says which session it continued (a `continued` event line,
docs/log-format.md).

Team rows are untrusted: the Claude session id must be a uuid (it names a
file), a subagent's transcript name must be one plain file name, and a line
that is not a JSON object is left out. Tests: tests/test_team_handoff.py.
"""

import json
import os
import re
from pathlib import Path

from cs.errors import CsError
from cs.team.connect import failed, psycopg

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_SUBAGENT = re.compile(r"^([0-9a-f-]{36})/subagents/([A-Za-z0-9_.-]{1,200})$")


class Shared:
    """The shared session being continued."""

    __slots__ = ("owner", "id", "month", "claude_session_id", "git_remote", "cwd")

    def __init__(self, owner, sid, month, claude_session_id, git_remote, cwd):
        self.owner, self.id, self.month = owner, sid, month
        self.claude_session_id, self.git_remote, self.cwd = claude_session_id, git_remote, cwd

    @property
    def ref(self) -> str:
        return f"{self.owner}/{self.id}"


def find(conn, ref: str, member: str = None) -> Shared:
    """The one shared session `ref` names (cs.team.read.resolve: PREFIX or
    OWNER/PREFIX, --member); CsError when it is not a Claude Code session."""
    from cs.team import read

    row = read.resolve(conn, ref, member)
    shared = Shared(
        row["owner"], row["id"], row["month"], row.get("claude_session_id"), row.get("git_remote"), row.get("cwd")
    )
    if not shared.claude_session_id:
        raise CsError(f"{shared.owner}'s session {shared.id[:8]} is not a Claude Code session: nothing to resume")
    return shared


def checkout(shared: Shared, here: str, cwd_option: str = None) -> tuple:
    """(the directory to continue in, a note or None). The current directory
    must be a checkout of the shared session's repository (its git remote);
    --cwd DIR chooses the directory instead (a note when its remote differs)."""
    from cs.team import remote

    directory = os.path.abspath(cwd_option or here)
    if not os.path.isdir(directory):
        raise CsError(f"{directory} is not a directory: --cwd DIR names where to continue the session")
    mine = remote.of_checkout(directory)
    if cwd_option:
        note = None
        if shared.git_remote and mine != shared.git_remote:
            note = f"{directory} is not a checkout of {shared.git_remote} (its origin: {mine or 'none'}); continuing there as asked"
        return directory, note
    if not shared.git_remote:
        raise CsError(
            f"{shared.owner} shared this session without a git remote: say where to continue it with --cwd DIR"
        )
    if mine != shared.git_remote:
        raise CsError(
            f"this directory is not a checkout of {shared.git_remote} (its origin: {mine or 'none'}):"
            f" cd into your checkout of it, or choose a directory with --cwd DIR"
        )
    return directory, None


def transcript(conn, shared: Shared) -> dict:
    """{claude session id or subagent path: [line, ...]} of the shared session's
    main Claude session and its subagents, in order. CsError when none was shipped."""
    main = shared.claude_session_id.lower()
    try:
        rows = conn.execute(
            "SELECT claude_session_id, line FROM transcript_lines WHERE owner = %s AND session_id = %s"
            " AND month = %s AND (claude_session_id = %s OR starts_with(claude_session_id, %s))"
            " ORDER BY claude_session_id, line_no",
            [shared.owner, shared.id, shared.month, main, main + "/"],
        ).fetchall()
        conn.rollback()
    except psycopg().Error as exc:
        raise failed(exc, "cannot read the shared transcript") from None
    files = {}
    for name, line in rows:
        files.setdefault(name, []).append(line)
    if main not in files:
        raise CsError(
            f"{shared.owner} shared no transcript of {shared.id[:8]} (shared before transcripts were;"
            f" ask them to share it again: `cs share {shared.id[:8]}`)"
        )
    return files


def place(files: dict, claude_id: str, directory: str, config_dir: str) -> tuple:
    """Write the transcript where Claude Code looks for it; (its path, written
    or already there). A transcript Claude Code already has (the member
    resumed this session before) is never overwritten."""
    from cs.claude import archive
    from cs.log import paths

    claude_id = claude_id.lower()
    if not _UUID.match(claude_id):
        raise CsError(f"the shared Claude session id {claude_id[:40]!r} is not a uuid: not resumed")
    folder = Path(config_dir) / "projects" / archive.project_folder_name(directory)
    target = folder / f"{claude_id}.jsonl"
    if target.exists():
        return target, False
    paths.ensure_private_dir(folder)
    for name, lines in files.items():
        found = _SUBAGENT.match(name)
        if name != claude_id and not (found and found.group(1) == claude_id and found.group(2) not in (".", "..")):
            continue
        where = target if name == claude_id else folder / claude_id / "subagents" / found.group(2)
        if where != target:
            paths.ensure_private_dir(where.parent.parent)
            paths.ensure_private_dir(where.parent)
        paths.write_private_atomically(where, _lines_here(lines, directory))
    return target, True


def _lines_here(lines, directory: str) -> bytes:
    """The transcript's lines, each a JSON object, with `cwd` the member's directory."""
    out = []
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if not isinstance(value, dict):
            continue
        if "cwd" in value:
            value["cwd"] = directory
        out.append(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return ("\n".join(out) + "\n").encode() if out else b""
