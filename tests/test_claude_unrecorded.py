"""Claude Code sessions cs did not record (issue 24, cs/claude/unrecorded.py):
transcripts generated the way Claude Code writes them, put under the test's own
~/.claude (conftest gives every test an empty HOME), taken in by the real
`cs index` into a real cs home; what Claude Code does to its files afterwards
(rewrite, truncate, delete, a line half written) never loses what we have."""

import json
import os
import stat
from pathlib import Path

from cs.claude import archive, resume, unrecorded
from cs.index import indexer
from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.transcripts import CLAUDE_ID, assistant, claude_recording, line, user, write

PROJECT = "/home/u/proj"


def claude_dir():
    return os.path.join(os.environ["HOME"], ".claude")


def source_path(claude_id=CLAUDE_ID):
    return os.path.join(claude_dir(), "projects", "-home-u-proj", f"{claude_id}.jsonl")


def conversation(prompt="where is the flux capacitor", reply="Under the seat, next to the plutonium."):
    return (
        user(prompt, ts="2026-12-01T10:00:01.000Z", gitBranch="main", version="2.1.330")
        + assistant([{"type": "text", "text": reply}], ts="2026-12-01T10:00:05.000Z")
        + assistant(
            [{"type": "tool_use", "name": "Bash", "input": {"command": "ls /seat"}}],
            msg_id="msg_2",
            req="req_2",
            ts="2026-12-01T10:00:09.000Z",
        )
    )


def put(data: bytes, claude_id=CLAUDE_ID):
    write(Path(source_path(claude_id)), data)


def listed():
    return json.loads(run_cs(None, "list", "--json").stdout)


def hits(words):
    proc = run_cs(None, "search", "--json", words, check=False)
    return json.loads(proc.stdout) if proc.stdout.strip() else []


def test_an_unrecorded_transcript_is_a_session_of_its_own(tmp_path):
    """Listed (marked transcript-only), searchable, shown as its story,
    counted by stats, its files archived privately with subagents and tool
    results; `cs index` says how many it found."""
    put(conversation())
    folder = os.path.join(claude_dir(), "projects", "-home-u-proj", CLAUDE_ID)
    os.makedirs(os.path.join(folder, "subagents"))
    os.makedirs(os.path.join(folder, "tool-results"))
    with open(os.path.join(folder, "subagents", "agent-1.jsonl"), "wb") as f:
        f.write(user("subagent looks for the hoverboard", ts="2026-12-01T10:00:06.000Z", isSidechain=True))
    with open(os.path.join(folder, "tool-results", "r1.txt"), "w") as f:
        f.write("a long tool result")

    out = run_cs(None, "index").stdout
    assert "found 1 Claude Code session(s) cs did not record" in out

    (row,) = listed()
    assert row["id"] == CLAUDE_ID and row["source"] == "transcript"
    assert (row["cwd"], row["project"], row["git_branch"]) == (PROJECT, "proj", "main")
    assert (row["started_at"], row["ended_at"]) == ("2026-12-01T10:00:01.000Z", "2026-12-01T10:00:09.000Z")
    assert "transcript-only" in run_cs(None, "list").stdout

    assert [h["session_id"] for h in hits("flux capacitor")] == [CLAUDE_ID]
    assert [h["session_id"] for h in hits("hoverboard")] == [CLAUDE_ID]  # a subagent's line
    shown = run_cs(None, "show", CLAUDE_ID[:8]).stdout
    assert "> where is the flux capacitor" in shown
    assert "● Under the seat, next to the plutonium." in shown
    assert "⚙ Bash(ls /seat)" in shown

    tokens = json.loads(run_cs(None, "stats", "--json").stdout)
    assert tokens["sessions"]["count"] == 1
    assert tokens["tokens"]["total"]["input_tokens"] == 200  # two API responses, each once

    for rel in (f"{CLAUDE_ID}.jsonl", f"{CLAUDE_ID}/subagents/agent-1.jsonl", f"{CLAUDE_ID}/tool-results/r1.txt"):
        mode = os.stat(archive.archive_root() / rel).st_mode
        assert stat.S_IMODE(mode) == 0o600, rel


def test_what_claude_code_does_to_its_file_afterwards_never_loses_what_we_have():
    """Rewritten (compacted), truncated, then deleted: every line we copied
    stays searchable; what is new after a rewrite is taken in too."""
    put(conversation())
    run_cs(None, "index")
    put(user("a compacted summary of the temporal displacement", ts="2026-12-01T11:00:00.000Z"))  # rewritten, shorter
    run_cs(None, "index")
    assert [h["session_id"] for h in hits("flux capacitor")] == [CLAUDE_ID]
    assert [h["session_id"] for h in hits("temporal displacement")] == [CLAUDE_ID]
    os.truncate(source_path(), 10)
    run_cs(None, "index")
    os.unlink(source_path())
    run_cs(None, "index")
    assert [h["session_id"] for h in hits("plutonium")] == [CLAUDE_ID]
    assert [r["id"] for r in listed()] == [CLAUDE_ID]
    kept = archive.archived_transcript(CLAUDE_ID).read_bytes()
    assert b"flux capacitor" in kept and b"temporal displacement" in kept


def test_a_line_being_written_is_read_up_to_its_last_whole_line():
    whole = conversation()
    half = user("gigawatts are needed", ts="2026-12-01T10:00:10.000Z")
    put(whole + half[:30])
    run_cs(None, "index")
    assert hits("gigawatts") == []
    assert b"gigawatts" not in archive.archived_transcript(CLAUDE_ID).read_bytes()
    put(whole + half)
    run_cs(None, "index")
    assert [h["session_id"] for h in hits("gigawatts")] == [CLAUDE_ID]


def test_a_recorded_transcript_is_not_a_session_of_its_own(logs, monkeypatch):
    """The recording's transcript joins the recording, even when the indexer
    saw the transcript before it knew the recording linked it (a race with
    the recorder): then the transcript-only session goes, its lines with it."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", claude_dir())
    transcript = conversation()
    put(transcript)
    run_cs(None, "index")  # no recording yet: a session of its own
    assert [r["source"] for r in listed()] == ["transcript"]

    w = claude_recording(logs, Path(claude_dir()), "the screen\r\n", transcript)
    run_cs(None, "index")
    rows = listed()
    assert [(r["id"], r["source"]) for r in rows] == [(w.sid, "recording")]
    assert [h["session_id"] for h in hits("flux capacitor")] == [w.sid]
    tokens = json.loads(run_cs(None, "stats", "--json").stdout)
    assert tokens["tokens"]["total"]["input_tokens"] == 200


def test_an_older_conversation_resumed_under_cs_keeps_what_came_before(logs, monkeypatch):
    """`claude --resume` of a conversation cs never recorded: what was said
    before the recording stays a transcript-only session, the rest is the
    recording's."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", claude_dir())
    before = user("an old question about the DeLorean", ts="2026-11-30T09:00:00.000Z")
    put(before)
    run_cs(None, "index")
    later = conversation()  # 2026-12-01T10:00:01Z on: during the recording
    w = claude_recording(logs, Path(claude_dir()), "the screen\r\n", before + later)
    run_cs(None, "index")
    by_source = {r["source"]: r["id"] for r in listed()}
    assert by_source == {"transcript": CLAUDE_ID, "recording": w.sid}
    assert [h["session_id"] for h in hits("DeLorean")] == [CLAUDE_ID]
    assert [h["session_id"] for h in hits("flux capacitor")] == [w.sid]


def test_archive_unrecorded_off_takes_in_only_recorded_transcripts(logs, monkeypatch):
    put(conversation())
    run_cs(None, "config", "archive_unrecorded", "off")
    assert "found" not in run_cs(None, "index").stdout
    assert listed() == [] and hits("flux capacitor") == []
    assert not archive.archived_transcript(CLAUDE_ID).exists()


def test_readers_say_plainly_there_is_no_recording(tmp_path):
    put(conversation())
    run_cs(None, "index")
    for args in (("show", "--raw"), ("replay", "--no-wait"), ("export", "--format", "html"), ("export",)):
        proc = run_cs(None, *args, CLAUDE_ID[:8], check=False)
        assert proc.returncode != 0, args
        assert "has no recording to" in proc.stderr and f"cs show {CLAUDE_ID[:8]}" in proc.stderr, args
    # A search hit points at what there is: the story, not a replay.
    assert {h["replay"] for h in hits("flux capacitor")} == {f"cs show {CLAUDE_ID[:8]}"}
    assert f"cs show {CLAUDE_ID[:8]}" in run_cs(None, "search", "flux capacitor").stdout
    markdown = run_cs(None, "export", "--format", "markdown", CLAUDE_ID[:8]).stdout
    assert "where is the flux capacitor" in markdown and "plutonium" in markdown
    text = run_cs(None, "export", "--format", "text", CLAUDE_ID[:8]).stdout
    assert "> where is the flux capacitor" in text


def test_forgotten_and_pruned_sessions_stay_gone_while_claude_code_still_has_them():
    put(conversation())
    other = "22222222-3333-4444-8555-666666666666"
    put(user("a newer question about hoverboards", ts="2026-12-05T10:00:00.000Z"), claude_id=other)
    run_cs(None, "index")
    assert len(listed()) == 2
    out = run_cs(None, "forget", "--yes", CLAUDE_ID[:8]).stdout
    assert "Removed 1 session(s)" in out
    assert not archive.archived_transcript(CLAUDE_ID).exists()
    run_cs(None, "index")
    assert [r["id"] for r in listed()] == [other] and hits("flux capacitor") == []

    pruned = json.loads(run_cs(None, "prune", "--keep", "0", "--json").stdout)
    assert [r["id"] for r in pruned["removed"]] == [other]
    run_cs(None, "index")
    assert listed() == [] and hits("hoverboards") == []
    assert os.path.exists(source_path(other))  # Claude Code's own file is never touched


def test_a_rebuilt_index_takes_them_in_again_from_the_archive():
    put(conversation())
    run_cs(None, "index")
    os.unlink(source_path())  # Claude Code's clean-up
    run_cs(None, "index", "--rebuild")
    assert [r["id"] for r in listed()] == [CLAUDE_ID]
    assert [h["session_id"] for h in hits("flux capacitor")] == [CLAUDE_ID]


def test_resume_puts_the_archived_transcript_back_for_claude_code(tmp_path, cs_home):
    project = tmp_path / "proj"
    project.mkdir()
    transcript = b"".join(
        raw.replace(PROJECT.encode(), str(project).encode()) for raw in conversation().splitlines(keepends=True)
    )
    folder = os.path.join(claude_dir(), "projects", archive.project_folder_name(str(project)))
    write(Path(folder) / f"{CLAUDE_ID}.jsonl", transcript)
    run_cs(None, "index")
    os.unlink(os.path.join(folder, f"{CLAUDE_ID}.jsonl"))
    db = indexer.open_index()
    claude_id, cwd, config_dir = resume.find(db, recording_id=CLAUDE_ID)
    assert (claude_id, cwd) == (CLAUDE_ID, str(project))
    target = resume.prepare(claude_id, cwd, config_dir)
    assert target.restored and target.transcript.read_bytes() == transcript


def test_an_idle_pass_reads_no_transcript_again(cs_home):
    """The watermark (path, size, mtime): a second pass archives nothing; a
    transcript that grew is taken in again, alone."""
    put(conversation())
    put(user("another one", ts="2026-12-02T10:00:00.000Z"), claude_id="33333333-3333-4444-8555-666666666666")
    db = indexer.open_index()
    first = unrecorded.take_in(db)
    assert (first.seen, first.archived, first.new_sessions) == (2, 2, 2)
    again = unrecorded.take_in(db)
    assert (again.seen, again.archived, again.new_sessions) == (2, 0, 0)
    with open(source_path(), "ab") as f:
        f.write(user("grown", ts="2026-12-01T10:01:00.000Z"))
    grown = unrecorded.take_in(db)
    assert (grown.archived, grown.new_sessions) == (1, 0)


def test_take_in_stops_at_its_deadline_and_goes_on_next_time(cs_home):
    for i in range(3):
        put(
            user(f"question {i}", ts=f"2026-12-0{i + 1}T10:00:00.000Z"),
            claude_id=f"4444444{i}-3333-4444-8555-666666666666",
        )
    db = indexer.open_index()
    stopped = unrecorded.take_in(db, deadline=0)
    assert stopped.incomplete and stopped.new_sessions == 0
    assert unrecorded.take_in(db).new_sessions == 3


def test_claude_config_dir_is_looked_in_too(tmp_path, monkeypatch):
    other = tmp_path / "work-claude"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(other))
    write(other / "projects" / "-home-u-proj" / f"{CLAUDE_ID}.jsonl", conversation())
    put(
        user("from the default folder", ts="2026-12-03T10:00:00.000Z"), claude_id="55555555-3333-4444-8555-666666666666"
    )
    run_cs(None, "index")
    assert len(listed()) == 2
    assert [h["session_id"] for h in hits("flux capacitor")] == [CLAUDE_ID]


def test_unknown_and_hostile_lines_make_no_session_and_no_crash():
    put(b"not json\n" + line(type="summary", summary="x") + b"[1, 2]\n")
    assert "found" not in run_cs(None, "index").stdout
    assert listed() == []
    put(b"not json\n" + conversation())
    run_cs(None, "index")
    assert [r["id"] for r in listed()] == [CLAUDE_ID]


def test_a_log_named_like_the_transcript_is_its_recording(logs):
    """The recorder passes `--session-id <its own id>`: a transcript with the
    id of a log in logs/ is that recording's, even before its log is indexed."""
    w = LogWriter(logs, argv=("claude",), cwd=PROJECT, t0=1796119200.0)
    put(conversation(), claude_id=w.sid)
    db = indexer.open_index()
    assert unrecorded.take_in(db).new_sessions == 0


def test_the_web_page_of_a_transcript_only_session_tells_its_conversation_and_no_player():
    from tests.helpers.web import get, web_server

    put(conversation())
    run_cs(None, "index")
    with web_server() as (base, token):
        status, _headers, body = get(f"{base}/session/{CLAUDE_ID}", {"Cookie": f"cs_web={token}"})
    page = body.decode() if isinstance(body, bytes) else body
    assert status == 200
    assert "No recording" in page and "where is the flux capacitor" in page
    assert 'id="player"' not in page and "download/asciicast" not in page


def test_a_forgotten_recording_does_not_come_back_as_a_transcript_only_session(logs, monkeypatch):
    """Forget a recording of claude while Claude Code still has its transcript:
    neither the next pass nor a rebuilt index takes it in as a session."""
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", claude_dir())
    w = claude_recording(logs, Path(claude_dir()), "the screen\r\n", conversation())
    run_cs(None, "index")
    run_cs(None, "forget", "--yes", w.sid[:8])
    run_cs(None, "index")
    run_cs(None, "index", "--rebuild")
    assert listed() == [] and hits("flux capacitor") == []
    assert os.path.exists(source_path())


def test_tail_says_there_is_no_recording_and_latest_is_the_newest_recording(logs):
    put(conversation())
    run_cs(None, "index")
    proc = run_cs(None, "tail", CLAUDE_ID[:8], check=False)
    assert proc.returncode != 0 and "has no recording to tail" in proc.stderr
    assert "no recorded sessions yet" in run_cs(None, "tail", "--latest", check=False).stderr


def test_a_long_transcript_is_indexed_a_step_at_a_time_and_goes_on_next_time(cs_home, monkeypatch):
    """Each step is committed (readers see it); past the deadline the rest
    waits for the next pass, and the watermark is not noted meanwhile."""
    monkeypatch.setattr(unrecorded, "_STEP_BYTES", 200)
    put(conversation())
    db = indexer.open_index()
    result = unrecorded.TakeIn()
    with db.atomic():
        assert unrecorded._prepare(db, source_path(), CLAUDE_ID, claude_dir(), result)
    assert unrecorded._index_until(db, CLAUDE_ID, 0, result) is False
    (offset,) = db.execute("SELECT indexed_offset FROM claude_transcripts").fetchone()
    assert 0 < offset < len(conversation())
    assert unrecorded._index_until(db, CLAUDE_ID, float("inf"), result) is True
    texts = {t for (t,) in db.execute("SELECT text FROM lines")}
    assert "where is the flux capacitor" in texts and 'Bash {"command":"ls /seat"}' in texts


def test_the_first_run_says_what_it_takes_in_and_how_many_sessions_it_found():
    for i in range(60):
        put(
            user(f"question number {i}", ts="2026-12-01T10:00:00.000Z"),
            claude_id=f"{i:08d}-3333-4444-8555-666666666666",
        )
    proc = run_cs(None, "index")
    assert "taking in 60 Claude Code transcripts" in proc.stderr
    assert "found 60 Claude Code session(s) cs did not record, among 60 transcripts" in proc.stdout
    again = run_cs(None, "index")
    assert "taking in" not in again.stderr and "found" not in again.stdout
