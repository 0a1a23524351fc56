"""The real Claude Code CLI, run through the shell function and `cs record`, in a
real terminal (tmux), against a loopback stand-in of the Anthropic API.

What must hold: the user cannot tell the wrapper is there (same screen, same
exit status, same bytes on a pipe), and the log holds what was typed and what
was shown. Skipped only when no claude binary is installed.
"""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.helpers.claude import (
    COLS,
    PROMPT,
    REPLY,
    ROWS,
    decoded,
    interrupt_twice,
    normalise,
    run_conversation,
)
from tests.helpers.shell import logs, records, start_record
from tests.helpers.tools import missing_tool

pytestmark = pytest.mark.slow  # the real Claude Code CLI in a terminal


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_interactive_claude_looks_the_same_through_the_wrapper_and_is_recorded(shell, tmux_bin, world, cs_home, api):
    bare_during, bare_after = run_conversation(tmux_bin, world, shell, with_cs=False)
    assert not logs(cs_home), "the bare run must not be recorded"
    wrapped_during, wrapped_after = run_conversation(tmux_bin, world, shell, with_cs=True)

    # (a) the user sees the same thing, and claude exits the same way.
    assert REPLY in bare_during
    assert normalise(wrapped_during) == normalise(bare_during)
    assert normalise(wrapped_after) == normalise(bare_after)
    assert re.search(r"^rc=0$", wrapped_after, re.M)

    # Both conversations reached the API with the typed prompt.
    typed = [m for m in api.message_requests() if PROMPT in json.dumps(m)]
    assert len(typed) >= 2

    # (b) the log holds the typed prompt and the streamed reply.
    (log,) = logs(cs_home)
    start = start_record(log)
    assert Path(start["argv"][0]).name == "claude" and start["argv"][1:] == []
    assert (start["cols"], start["rows"]) == (COLS, ROWS)
    assert PROMPT.encode() in decoded(log, "input")
    shown = decoded(log, "output")
    for word in REPLY.split():
        assert word.encode() in shown, word
    end = list(records(log))[-1]
    assert end["type"] == "end" and end["exit_code"] == 0
    # Claude Code (2.1.330) prints `claude --resume <its session id>` on exit
    # after a conversation; the end line keeps that id.
    assert re.search(r"claude --resume \S+", bare_after)
    resume = re.search(r"claude --resume (\S+)", wrapped_after)
    assert resume and end.get("claude_session_id") == resume.group(1)


def test_print_mode_through_the_wrapper_gives_the_same_bytes_on_a_pipe(world, cs_home, claude_bin):
    env, cwd = world["env"], world["project"]
    bare = subprocess.run(
        [claude_bin, "-p", "hi"], env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30
    )
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout == (REPLY + "\n").encode()
    assert not logs(cs_home)

    wrapped = subprocess.run(
        [shutil.which("bash"), "--norc", "--noprofile", "-c", 'eval "$(cs init bash)"; claude -p hi'],
        env=env,
        cwd=cwd,
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
    )
    assert wrapped.returncode == bare.returncode, wrapped.stderr
    assert wrapped.stdout == bare.stdout
    assert wrapped.stderr == bare.stderr

    (log,) = logs(cs_home)
    start = start_record(log)
    assert start["argv"][1:] == ["-p", "hi"]
    assert start["stdout_tty"] is False
    assert decoded(log, "output") == bare.stdout
    end = list(records(log))[-1]
    assert end["type"] == "end" and end["exit_code"] == 0


def test_ctrl_c_twice_leaves_claude_the_same_way_through_the_wrapper(tmux_bin, world, cs_home):
    """Ctrl-C must reach claude as the key it is (the recorder's terminal is
    raw), not kill the recorder; the exit is the same as without it."""
    bare_during, bare_after = run_conversation(tmux_bin, world, "bash", False, interrupt_twice)
    wrapped_during, wrapped_after = run_conversation(tmux_bin, world, "bash", True, interrupt_twice)
    assert normalise(wrapped_during) == normalise(bare_during)
    assert normalise(wrapped_after) == normalise(bare_after)
    (log,) = logs(cs_home)
    assert decoded(log, "input").count(b"\x03") == 2
    end = list(records(log))[-1]
    rc = int(re.search(r"^rc=(\d+)$", wrapped_after, re.M).group(1))
    assert end["type"] == "end" and end["exit_code"] == rc


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_print_mode_through_each_shell_wrapper(shell, world, cs_home, claude_bin):
    exe = shutil.which(shell)
    if not exe:
        missing_tool(shell)
    env, cwd = world["env"], world["project"]
    if shell == "fish":
        # `--`: fish would take -p for one of its own options.
        argv = [exe, "--no-config", "-c", "cs init fish | source; claude $argv", "--", "-p", "say it"]
    else:
        flag = "--norc" if shell == "bash" else "-f"
        argv = [exe, flag, "-c", f'eval "$(cs init {shell})"; claude "$@"', shell, "-p", "say it"]
    wrapped = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, stdin=subprocess.DEVNULL, timeout=30)
    assert wrapped.returncode == 0, wrapped.stderr
    assert wrapped.stdout == (REPLY + "\n").encode()
    (log,) = logs(cs_home)
    assert start_record(log)["argv"][1:] == ["-p", "say it"]
    assert decoded(log, "output") == wrapped.stdout


def test_prompt_piped_into_claude_passes_through_the_wrapper(world, cs_home, api):
    """`... | claude -p`: stdin is a pipe, not a terminal; the prompt must reach
    claude (and the log) whole, and the answer come out as without cs."""
    env, cwd = world["env"], world["project"]
    piped = "summarise: the otters are juggling"
    results = []
    for load in ("", 'eval "$(cs init bash)"; '):
        before = len(api.message_requests())
        proc = subprocess.run(
            [shutil.which("bash"), "--norc", "--noprofile", "-c", f'{load}printf %s "$1" | claude -p', "bash", piped],
            env=env,
            cwd=cwd,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )
        results.append(proc)
        assert any(piped in json.dumps(body) for body in api.message_requests()[before:])
    bare, wrapped = results
    assert bare.returncode == wrapped.returncode == 0, (bare.stderr, wrapped.stderr)
    assert wrapped.stdout == bare.stdout == (REPLY + "\n").encode()
    (log,) = logs(cs_home)
    start = start_record(log)
    assert start["argv"][1:] == ["-p"] and start["stdin_tty"] is False
    assert decoded(log, "input") == piped.encode()
    assert decoded(log, "output") == wrapped.stdout
