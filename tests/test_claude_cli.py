"""cs.record.claude_cli: the subcommands of the installed Claude Code, read from
its own --help once per installed version, kept privately, never in the way."""

import os
import stat
import subprocess
import time

import pytest

from cs.record import claude_cli
from tests.helpers.fake_anthropic import claude_home, find_claude, find_new_claude, find_old_claude
from tests.helpers.shell import make_fake_claude

RELEASES = {"pinned": find_claude, "newest": find_new_claude, "older": find_old_claude}


def real_claude(which):
    found = RELEASES[which]()
    if not found:
        pytest.skip(f"the {which} Claude Code release is not installed (bash .ci/setup)")
    return found


@pytest.mark.parametrize("which", list(RELEASES))
def test_the_subcommands_are_read_from_the_real_help(which, tmp_path):
    claude = real_claude(which)
    env = claude_home(tmp_path, tmp_path, "sk-ant-api03-" + "x" * 40)
    help_text = subprocess.run([claude, "--help"], capture_output=True, text=True, env=env, timeout=60).stdout
    facts = claude_cli.facts_from_help(help_text)
    assert facts is not None and {"mcp", "doctor", "install"} <= facts.commands
    if which != "older":  # 2.1.x: background sessions, aliases after '|'
        assert {"rm", "logs", "stop", "kill", "attach", "plugin", "plugins", "update", "upgrade"} <= facts.commands
    assert not {"Usage", "Options", "-h", "--help", "claude"} & facts.commands


@pytest.mark.parametrize(
    "text",
    ["", "hello\n", '["--help"]\n', "Usage: other\n\nNo options here\n"],
)
def test_help_that_is_not_commanders_is_not_understood(text):
    assert claude_cli.facts_from_help(text) is None


def test_the_facts_round_trip_through_their_file():
    facts = claude_cli.CliFacts(["rm", "stop", "kill"])
    assert claude_cli.parse_facts(claude_cli.format_facts(facts)) == facts
    assert claude_cli.parse_facts(claude_cli.format_facts(None)) is None
    assert claude_cli.parse_facts("command rm\n") is None  # not ours


def test_learned_facts_are_private_and_keyed_by_the_installed_file(tmp_path):
    home = tmp_path / "cs-home"
    claude = make_fake_claude(tmp_path / "bin")
    assert claude_cli.known(str(claude), str(home)) is None and not claude_cli.is_learned(str(claude), str(home))
    assert claude_cli.learn(str(claude), str(home))
    assert claude_cli.known(str(claude), str(home)) == claude_cli.CliFacts(["mcp", "stop", "kill"])
    folder = home / claude_cli.FACTS_DIR
    (kept,) = folder.iterdir()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700 and stat.S_IMODE(kept.stat().st_mode) == 0o600
    # An upgrade replaces the file: a new identity, unknown again until learned.
    claude.write_text(claude.read_text() + "\n# 2.0\n")
    os.utime(claude, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert claude_cli.known(str(claude), str(home)) is None


def test_a_program_that_is_not_claude_code_is_kept_as_not_understood(tmp_path):
    home = tmp_path / "cs-home"
    program = tmp_path / "claude"
    program.write_text("#!/bin/sh\necho 'I am not Claude Code'\n")
    program.chmod(0o755)
    assert claude_cli.learn(str(program), str(home))
    assert claude_cli.is_learned(str(program), str(home)) and claude_cli.known(str(program), str(home)) is None


def test_learning_in_the_background_returns_at_once_and_lands(tmp_path):
    home = tmp_path / "cs-home"
    slow = tmp_path / "claude"
    slow.write_text(
        "#!/bin/sh\nsleep 1\nprintf 'Usage: claude [options]\\n\\nOptions:\\n  -h, --help  Help\\n\\n"
        "Commands:\\n  rm <id>  Remove\\n'\n"
    )
    slow.chmod(0o755)
    started = time.monotonic()
    claude_cli.learn_in_background(str(slow), str(home))
    assert time.monotonic() - started < 0.9, "the caller waited for --help"
    deadline = time.monotonic() + 20
    while claude_cli.known(str(slow), str(home)) is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert claude_cli.known(str(slow), str(home)) == claude_cli.CliFacts(["rm"])
