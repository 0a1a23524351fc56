"""cs.record.claude_link: which Claude Code session a recording of `claude` is in.
(The whole path, with the real Claude Code, is in tests/test_claude_e2e_transcripts.py.)"""

import json
import time

import pytest

from cs.record import claude_cli, claude_link

RECORDING = "0a0b0c0d-0e0f-4000-8000-000000000001"


LISTED = claude_cli.CliFacts(["mcp", "rm", "logs", "stop", "kill", "attach"])


@pytest.mark.parametrize(
    "argv, cli, injected",
    [
        (["claude"], None, True),
        (["/usr/local/bin/claude", "-p", "hi"], LISTED, True),
        (["/usr/local/bin/claude", "-p", "hi"], None, False),  # unknown CLI: "hi" could be a subcommand
        (["claude", "-p", "what does this do?"], None, True),  # no subcommand has spaces or '?'
        (["claude", "fix the --resume flag"], None, True),  # a prompt that mentions an option
        (["claude", "--model", "opus", "fix it"], LISTED, True),
        (["claude", "--resume", "x"], LISTED, False),
        (["claude", "-r"], LISTED, False),
        (["claude", "--continue"], LISTED, False),
        (["claude", "-c", "more"], LISTED, False),
        (["claude", "--session-id=abc"], LISTED, False),
        (["claude", "--fork-session", "-r", "x"], LISTED, False),
        (["claude", "mcp", "list"], LISTED, False),
        (["claude", "mcp", "list"], None, False),
        (["claude", "rm", "x"], LISTED, False),  # 2.1.332's subcommands, from its --help
        (["claude", "logs", "x"], LISTED, False),
        (["claude", "--debug", "api", "stop", "x"], LISTED, False),  # a subcommand after an option's value
        (["claude", "config", "list"], claude_cli.CliFacts([]), False),  # an earlier release's, hidden
        (["claude", "--version"], LISTED, False),
        (["claude", "--", "--resume"], LISTED, False),  # after --, unsure: untouched
        (["bash"], LISTED, False),
    ],
)
def test_the_id_is_fixed_only_when_the_user_did_not_choose_a_session(argv, cli, injected):
    child, fixed = claude_link.plan(argv, RECORDING, cli=cli)
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
