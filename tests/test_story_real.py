"""The story of a session, live: the real Claude Code CLI (the pinned, the
newest and the older release) recorded by `cs record` in tmux, then `cs show`
and `cs show --screen` checked as on the fixtures (tests/test_story.py,
tests/helpers/story_checks.py): each prompt and reply once, in order, the tool
call, the permission question and its answer, the banner once and first, the
exit, no chrome. No timing in the assertions (the waits only drive the session)."""

import os
import shutil

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.fake_anthropic import find_claude, find_new_claude, find_old_claude
from tests.helpers.story_checks import check_story
from tests.helpers.story_sessions import record
from tests.helpers.tools import missing_tool

pytestmark = pytest.mark.slow

RELEASES = {"pinned": find_claude, "newest": find_new_claude, "older": find_old_claude}


@pytest.mark.parametrize("which, cols", [("pinned", 80), ("newest", 120), ("older", 120)])
def test_a_real_session_tells_its_story(which, cols, cs_exe, cs_home, tmp_path):
    claude = RELEASES[which]()
    if not claude:
        missing_tool(f"the {which} Claude Code CLI (.ci/setup installs it)")
    tmux = shutil.which("tmux") or missing_tool("tmux")
    session_id, _history = record(claude, cols, tmp_path, cs_exe, cs_home, tmux)
    # The user's HOME, where Claude Code kept its transcript (tests.helpers.story_sessions.record).
    env = dict(os.environ, HOME=str(tmp_path / "home"))
    run_cs(cs_exe, "index", env=env)
    check_story(run_cs(cs_exe, "show", session_id, env=env).stdout.splitlines())
    check_story(run_cs(cs_exe, "show", session_id, "--screen", env=env).stdout.splitlines(), transcript=False)
