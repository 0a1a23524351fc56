"""cs.record.claude_link: which Claude Code session a recording of `claude` is in.
(The whole path, with the real Claude Code, is in tests/test_claude_e2e_transcripts.py.)"""

import json
import time

import pytest

from cs.record import claude_link

RECORDING = "0a0b0c0d-0e0f-4000-8000-000000000001"


@pytest.mark.parametrize(
    "argv, injected",
    [
        (["claude"], True),
        (["/usr/local/bin/claude", "-p", "hi"], True),
        (["claude", "fix the --resume flag"], True),  # a prompt that mentions an option
        (["claude", "--resume", "x"], False),
        (["claude", "-r"], False),
        (["claude", "--continue"], False),
        (["claude", "-c", "more"], False),
        (["claude", "--session-id=abc"], False),
        (["claude", "--fork-session", "-r", "x"], False),
        (["claude", "mcp", "list"], False),
        (["claude", "--version"], False),
        (["claude", "--", "--resume"], True),
        (["bash"], False),
    ],
)
def test_the_id_is_fixed_only_when_the_user_did_not_choose_a_session(argv, injected):
    child, fixed = claude_link.plan(argv, RECORDING)
    if injected:
        assert child == [argv[0], "--session-id", RECORDING, *argv[1:]] and fixed == RECORDING
    else:
        assert child == argv and fixed is None


def test_the_user_can_turn_the_fixed_id_off():
    assert claude_link.plan(["claude"], RECORDING, {"CS_NO_SESSION_ID": "1"}) == (["claude"], None)


class Sink:
    def __init__(self):
        self.events = []

    def output(self, data):
        pass

    def input(self, data, masked=False):
        pass

    def resize(self, cols, rows):
        pass

    def event(self, kind, fields):
        self.events.append((kind, fields["claude_session_id"], fields["how"]))


def test_a_new_session_in_the_same_process_is_noticed_after_the_line_that_started_it(tmp_path):
    sessions = tmp_path / "sessions"
    sessions.mkdir()
    pidfile = sessions / "4242.json"
    pidfile.write_text(json.dumps({"pid": 4242, "sessionId": RECORDING}))
    sink = Sink()
    tracker = claude_link.SessionTracker(sink, str(tmp_path), RECORDING)
    tracker.spawned(4242)
    tracker.input(b"/clear\r")  # Claude Code has not acted on it yet
    assert sink.events == [("claude_session", RECORDING, "session-id")]
    new = "0a0b0c0d-0e0f-4000-8000-000000000002"
    pidfile.write_text(json.dumps({"pid": 4242, "sessionId": new.upper()}))
    time.sleep(claude_link.CHECK_INTERVAL_S + 0.05)
    tracker.output(b"screen redrawn")  # output after the line: looked at again
    assert sink.events[-1] == ("claude_session", new, "running")
    pidfile.write_text("{not json")
    time.sleep(claude_link.CHECK_INTERVAL_S + 0.05)
    tracker.output(b"more")  # Claude Code's file is not ours to trust: nothing breaks
    assert len(sink.events) == 2
