"""The wrapper never changes what a `claude` command does: every subcommand the
pinned and the newest Claude Code list in their --help gives the same stdout,
stderr and exit status through `cs record` as without it — before the recorder
has read that CLI's --help (it leaves anything that could be a subcommand
alone) and after (it knows). cs.record.claude_cli, cs.record.claude_link.plan."""

import os
import subprocess

import pytest

from cs.record import claude_cli, claude_link
from tests.helpers.fake_anthropic import claude_home, find_claude, find_new_claude

pytestmark = pytest.mark.slow

RELEASES = {"pinned": find_claude, "newest": find_new_claude}
# These act on the installation itself (update it, install a native build):
# never run here. Their command lines are checked through plan() below.
NOT_RUN = {"update", "upgrade", "install"}
ARG = "cs-test-no-such-session"


def release(which):
    found = RELEASES[which]()
    if not found:
        pytest.skip(f"the {which} Claude Code release is not installed (bash .ci/setup)")
    return found


@pytest.fixture
def claude_world(tmp_path, cs_home):
    work = tmp_path / "work"
    work.mkdir()
    env = claude_home(tmp_path, work, "sk-ant-api03-" + "q" * 40, base_url="http://127.0.0.1:9")
    env.update(PATH=os.environ["PATH"], CS_HOME=str(cs_home), DISABLE_AUTOUPDATER="1")
    return work, env


def run(argv, env, cwd):
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, cwd=cwd, timeout=60)
    return done.stdout, done.stderr, done.returncode


@pytest.mark.parametrize("which", list(RELEASES))
def test_every_subcommand_behaves_the_same_through_the_wrapper(which, claude_world, cs_exe, cs_home):
    claude = release(which)
    work, env = claude_world
    facts = claude_cli.facts_from_help(run([claude, "--help"], env, work)[0])
    assert facts and len(facts.commands) >= 6
    for sub in sorted(facts.commands - NOT_RUN):  # a first run may set state up (doctor notes the install method)
        run([claude, sub, ARG], env, work)
    for learned in (False, True):
        if learned:
            assert claude_cli.learn(claude, str(cs_home), env)
            assert claude_cli.known(claude, str(cs_home)) == facts
        for sub in sorted(facts.commands - NOT_RUN):
            bare = run([claude, sub, ARG], env, work)
            wrapped = run([cs_exe, "record", "--", claude, sub, ARG], env, work)
            assert wrapped == bare, f"claude {sub} {ARG} (--help read: {learned}):\n" + difference(bare, wrapped)


def difference(bare, wrapped) -> str:
    import difflib

    return "".join(
        "".join(difflib.unified_diff(a.splitlines(True), b.splitlines(True), f"bare {name}", f"wrapped {name}"))
        for name, a, b in zip(("stdout", "stderr", "status"), map(str, bare), map(str, wrapped))
    )


@pytest.mark.parametrize("which", list(RELEASES))
def test_no_subcommand_line_is_given_a_session_id(which, claude_world):
    claude = release(which)
    work, env = claude_world
    facts = claude_cli.facts_from_help(run([claude, "--help"], env, work)[0])
    for cli in (None, facts):
        for sub in sorted(facts.commands):
            for argv in ([claude, sub], [claude, sub, ARG], [claude, "--debug", "api", sub, ARG]):
                assert claude_link.plan(argv, "0a0b0c0d-0e0f-4000-8000-000000000001", {}, cli=cli) == (argv, None)
