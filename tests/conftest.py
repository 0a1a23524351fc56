"""Shared fixtures. Tests drive the real installed `cs` (the console script next
to the running interpreter), real PTYs, real files and a real SQLite database.

Every test runs with its own cs home (`cs_home`, autouse): no test can read or
write the real ~/.claude-sessions, whatever it forgets to ask for.
"""

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.claude import API_KEY, REPLY
from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude
from tests.helpers.shell import system_path_dirs
from tests.helpers.tools import find_cs_exe, missing_tool


def pytest_collection_modifyitems(config, items):
    """Tests marked linux_only (they read /proc) skip elsewhere, saying why."""
    if sys.platform.startswith("linux"):
        return
    skip = pytest.mark.skip(reason=f"reads Linux's /proc, which {sys.platform} has not (docs/platforms.md)")
    for item in items:
        if "linux_only" in item.keywords:
            item.add_marker(skip)


def pytest_report_header(config):
    """FTS5's trigram tokenizer (and so substring search) depends on it."""
    conn = sqlite3.connect(":memory:")
    try:
        options = {row[0] for row in conn.execute("PRAGMA compile_options")}
    finally:
        conn.close()
    return [f"sqlite: {sqlite3.sqlite_version} (FTS5: {'ENABLE_FTS5' in options})"]


@pytest.fixture
def cs_exe() -> str:
    return find_cs_exe()


@pytest.fixture(autouse=True)
def cs_home(tmp_path, monkeypatch) -> Path:
    """A private cs home for every test, exported as CS_HOME; no CS_SESSION_ID
    leaks in from a recorded terminal running the tests. HOME is an empty
    folder of the test's own, and CLAUDE_CONFIG_DIR unset: the indexer takes in
    every Claude Code transcript under ~/.claude (cs.claude.unrecorded), never
    the real user's."""
    home = tmp_path / "cs-home"
    user_home = tmp_path / "user-home"
    user_home.mkdir(exist_ok=True)
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    monkeypatch.setenv("CS_HOME", str(home))
    monkeypatch.delenv("CS_SESSION_ID", raising=False)
    monkeypatch.delenv("CS_DISABLE", raising=False)
    return home


@pytest.fixture
def logs(cs_home) -> Path:
    """The logs directory of the test's cs home, created as cs creates it."""
    from cs.log import paths

    return paths.ensure_private_dir(paths.logs_dir())


# ---- the real Claude Code CLI against the loopback API (tests.helpers.claude)


@pytest.fixture
def claude_bin():
    path = find_claude()
    if not path:
        missing_tool("the Claude Code CLI (set CS_CLAUDE_BIN, or put claude on PATH)")
    return path


@pytest.fixture
def tmux_bin():
    path = shutil.which("tmux")
    if not path:
        missing_tool("tmux")
    return path


@pytest.fixture
def api():
    with FakeAnthropic(REPLY) as fake:
        yield fake


@pytest.fixture
def world(tmp_path, cs_exe, cs_home, claude_bin, api):
    """A project directory claude trusts, a HOME it needs no onboarding in, and
    PATH with claude, cs and the system tools, in that order."""
    project = tmp_path / "project"
    project.mkdir()
    env = claude_home(tmp_path, project, API_KEY, api.url)
    claude_dir = Path(claude_bin).parent
    node = shutil.which("node")
    path = [claude_dir, Path(cs_exe).parent, *system_path_dirs()]
    if node:
        path.append(Path(node).parent)
    env.update(
        {
            "PATH": os.pathsep.join(dict.fromkeys(str(p) for p in path)),
            "CS_HOME": str(cs_home),
            "CS_NO_DAEMON": "1",
            "LANG": "C.UTF-8",
            "SHELL": shutil.which("bash") or "/bin/bash",
        }
    )
    return {"env": env, "project": project, "tmp": tmp_path}


@pytest.fixture
def keypair(tmp_path):
    """(identity file, public key) of a new age key made by Debian's age-keygen."""
    if not shutil.which("age-keygen"):
        missing_tool("age (apt install age)")
    key = tmp_path / "key.txt"
    subprocess.run(["age-keygen", "-o", str(key)], check=True, capture_output=True)
    public = subprocess.run(["age-keygen", "-y", str(key)], check=True, capture_output=True, text=True).stdout.strip()
    return key, public
