"""Claude Code's transcripts read defensively, archived without loss, indexed
once: lines written the way Claude Code writes them (and the ways it may not),
a real cs home, the real indexer and `cs` commands."""

import json
import os

import pytest

from cs.claude import archive, transcript
from tests.helpers.cli import run_cs
from tests.helpers.logs import LogWriter
from tests.helpers.transcripts import CLAUDE_ID, assistant, claude_recording, line, user, write

HOSTILE = [
    b"not json at all\n",
    b'{"type": "user", "message": "not an object"}\n',
    b"[1, 2, 3]\n",
    b'{"type": "from-the-future", "payload": {"x": 1}}\n',
    b"[" * 100_000 + b"\n",
    line(
        type="user",
        sessionId=CLAUDE_ID,
        timestamp="2026-12-01T10:00:00Z",
        message={"content": [None, 7, {"type": "text"}]},
    ),
    line(
        type="assistant",
        sessionId=CLAUDE_ID,
        timestamp="2026-12-01T10:00:00Z",
        message={"id": "m", "content": "text", "usage": {"input_tokens": 10**30}},
    ),
    b'{"type": "user", "timestamp": "2026-12-01T10:00:00Z", "message": {"content": "cut off in the mid',
]


def test_hostile_and_unknown_lines_are_skipped_and_counted_never_raised():
    counts = transcript.Counts()
    entries = [e for raw in HOSTILE for e in transcript.parse_line(raw, counts)]
    assert counts.unknown == 1 and counts.bad >= 4
    assert [e.kind for e in entries] == ["reply"]
    assert transcript.usage_numbers(entries[0].usage) == (0, 0, 0, 0)  # 10**30 is not a count


def test_one_response_written_as_several_lines_counts_once_and_tool_blocks_are_entries():
    counts = transcript.Counts()
    text = assistant([{"type": "text", "text": "Reading it."}])
    tool = assistant([{"type": "tool_use", "name": "Read", "input": {"file_path": "/x"}}])
    entries = transcript.parse_line(text, counts) + transcript.parse_line(tool, counts)
    assert [(e.kind, e.text) for e in entries] == [("reply", "Reading it."), ("tool", 'Read {"file_path":"/x"}')]
    assert {e.usage_key for e in entries} == {("msg_1", "req_1")}


def test_meta_text_in_user_turns_is_not_a_prompt_and_results_are_capped():
    """A slash command is a command, what it printed and an interruption are
    notices, Claude Code's caveats and reminders are nothing; none is a prompt."""
    counts = transcript.Counts()
    command = user(
        "<command-name>/model</command-name>\n<command-message>model</command-message>\n<command-args>opus</command-args>"
    )
    assert [(e.kind, e.text) for e in transcript.parse_line(command, counts)] == [("command", "/model opus")]
    said = user("<local-command-stdout>Total cost: $0.01</local-command-stdout>")
    assert [(e.kind, e.text) for e in transcript.parse_line(said, counts)] == [("notice", "Total cost: $0.01")]
    stopped = user("[Request interrupted by user]")
    assert [(e.kind, e.text) for e in transcript.parse_line(stopped, counts)] == [("notice", "Interrupted")]
    assert transcript.parse_line(user("<local-command-caveat>Caveat: ...</local-command-caveat>"), counts) == []
    assert transcript.parse_line(user("<system-reminder>x</system-reminder>"), counts) == []
    result = line(
        type="user",
        sessionId=CLAUDE_ID,
        timestamp="2026-12-01T10:00:03Z",
        message={"content": [{"type": "tool_result", "tool_use_id": "t", "content": "x" * 100}]},
    )
    (entry,) = transcript.parse_line(result, counts, result_cap=10)
    assert entry.kind == "result" and entry.text == "x" * 10


def test_the_archive_only_grows_whatever_claude_code_does_to_its_copy(cs_home, tmp_path):
    source = tmp_path / "claude" / "projects" / "-home-u-proj" / f"{CLAUDE_ID}.jsonl"
    first, second, third = user("one"), user("two", ts="2026-12-01T10:00:05Z"), user("three", ts="2026-12-01T10:00:09Z")
    write(source, first + second)
    assert archive.archive_session(source) == []
    copy = archive.archived_transcript(CLAUDE_ID)
    assert copy.read_bytes() == first + second and copy.stat().st_mode & 0o777 == 0o600
    write(source, first + second + third[:20])  # a line still being written: not yet
    archive.archive_session(source)
    assert copy.read_bytes() == first + second
    write(source, third)  # Claude Code rewrote its file with less: we keep what we had
    archive.archive_session(source)
    assert copy.read_bytes() == first + second + third
    source.unlink()  # and deleted it (cleanupPeriodDays)
    assert copy.read_bytes() == first + second + third


def test_archiving_never_follows_a_link_out_of_the_sessions_folder(cs_home, tmp_path):
    source = tmp_path / "claude" / "projects" / "p" / f"{CLAUDE_ID}.jsonl"
    write(source, user("hello"))
    secret = tmp_path / "elsewhere.txt"
    secret.write_text("not for the archive")
    (source.parent / CLAUDE_ID / "tool-results").mkdir(parents=True)
    os.symlink(secret, source.parent / CLAUDE_ID / "tool-results" / "planted.txt")
    (source.parent / CLAUDE_ID / "tool-results" / "real.txt").write_text("a real spilled result")
    archive.archive_session(source)
    saved = archive.archive_root() / CLAUDE_ID / "tool-results"
    assert sorted(p.name for p in saved.iterdir()) == ["real.txt"]


@pytest.fixture
def recorded(cs_home, logs, tmp_path, monkeypatch):
    """A finished recording of `claude` whose log names its Claude session, the
    transcript where Claude Code keeps it (hostile lines included), indexed."""
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    w = claude_recording(
        logs,
        config,
        "● The weather on the moon is\r\n  dusty and cold today.\r\n",
        user("how is the moon")
        + b"".join(HOSTILE[:4])
        + assistant([{"type": "text", "text": "The weather on the moon is dusty and cold today."}])
        + assistant([{"type": "tool_use", "name": "Bash", "input": {"command": "ls"}}]),
    )
    source = config / "projects" / "-home-u-proj" / f"{CLAUDE_ID}.jsonl"
    write(
        source.parent / CLAUDE_ID / "subagents" / "agent-a1.jsonl",
        assistant(
            [{"type": "text", "text": "The subagent surveyed every lunar crater."}],
            msg_id="msg_sub",
            req="req_sub",
            usage={"input_tokens": 5, "output_tokens": 1},
        ),
    )
    run_cs(None, "index", "-q")
    return w.sid


def test_a_phrase_wrapped_on_the_screen_is_found_once_as_the_transcript_says_it(recorded):
    hits = [json.loads(x) for x in run_cs(None, "search", "--jsonl", "moon is dusty").stdout.splitlines()]
    assert [(h["source"], h["text"]) for h in hits] == [
        ("transcript", "The weather on the moon is dusty and cold today.")
    ]
    # The screen line alone is still there for a screen-only search, as the screen showed it.
    screen = [
        json.loads(x)["text"]
        for x in run_cs(None, "search", "--jsonl", "--source", "screen", "weather").stdout.splitlines()
    ]
    assert screen == ["● The weather on the moon is"]


def test_tokens_of_a_response_written_twice_are_counted_once(recorded):
    stats = json.loads(run_cs(None, "stats", "--json").stdout)
    assert stats["tokens"]["total"] == {
        "input_tokens": 100 + 5,
        "output_tokens": 7 + 1,  # + the subagent's
        "cache_read_tokens": 3,
        "cache_write_tokens": 2,
    }


def test_a_subagents_transcript_belongs_to_its_session(recorded):
    (hit,) = [json.loads(x) for x in run_cs(None, "search", "--jsonl", "lunar crater").stdout.splitlines()]
    assert hit["session_id"] == recorded and hit["kind"] == "reply"


def test_conflicting_search_options_are_refused(recorded):
    proc = run_cs(None, "search", "--kind", "reply", "--source", "screen", "moon", check=False)
    assert proc.returncode == 2 and "--kind" in proc.stderr


def test_a_recording_whose_log_names_no_session_is_matched_by_directory_and_time(cs_home, logs, tmp_path, monkeypatch):
    """A kill before anything was noted, or an older cs: the transcript written in
    the recording's directory during the recording is found and linked; one
    written in another directory, or at another time, is not."""
    config = tmp_path / "claude-config"
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(config))
    w = LogWriter(logs, argv=("claude",), cwd="/home/u/proj", t0=1796119200.0)
    w.output("hello\r\n", dt=30)
    w.close()  # cut off: no end line
    folder = config / "projects" / "-home-u-proj"
    write(folder / f"{CLAUDE_ID}.jsonl", user("matched by time and place", ts="2026-12-01T10:00:10.000Z"))
    other = "99999999-2222-4333-8444-555555555555"
    write(
        folder / f"{other}.jsonl",
        user("a day later", ts="2026-12-02T10:00:10.000Z").replace(CLAUDE_ID.encode(), other.encode()),
    )
    run_cs(None, "index", "-q")
    prompts = [
        (json.loads(x)["text"], json.loads(x)["session_id"])
        for x in run_cs(None, "search", "--jsonl", "--kind", "prompt", "a").stdout.splitlines()
    ]
    # The other transcript is not the recording's: a session of its own (tests/test_claude_unrecorded.py).
    assert sorted(prompts) == [("a day later", other), ("matched by time and place", w.sid)]


def test_pruning_the_last_recording_of_a_claude_session_removes_its_archived_transcript(recorded, cs_home):
    assert archive.archived_transcript(CLAUDE_ID).exists()
    result = json.loads(run_cs(None, "prune", "--older", "0d", "--json").stdout)
    assert [s["id"] for s in result["removed"]] == [recorded]
    assert result["transcripts_removed"] == 1
    assert not archive.archived_transcript(CLAUDE_ID).exists()
    assert run_cs(None, "stats", "--json").returncode == 0
    assert json.loads(run_cs(None, "stats", "--json").stdout)["tokens"]["total"]["input_tokens"] == 0


def test_an_archive_carries_the_transcript_to_another_home(recorded, cs_home, tmp_path, monkeypatch):
    archive_file = tmp_path / "moved.tar.gz"
    run_cs(None, "export", "--format", "archive", "-o", str(archive_file), recorded[:8])
    monkeypatch.setenv("CS_HOME", str(tmp_path / "other-home"))
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "nothing-here"))  # Claude Code forgot it all
    run_cs(None, "import", str(archive_file))
    hits = [
        json.loads(x) for x in run_cs(None, "search", "--jsonl", "--source", "transcript", "dusty").stdout.splitlines()
    ]
    assert [h["session_id"] for h in hits] == [recorded]
    shown = run_cs(None, "show", recorded[:8], "--conversation").stdout
    assert "> how is the moon" in shown
    copied = tmp_path / "other-home" / "claude" / f"{CLAUDE_ID}.jsonl"
    assert copied.stat().st_mode & 0o777 == 0o600
