"""Shared fixtures. Tests drive the real installed `cs` (the console script next
to the running interpreter), real PTYs, real files and a real SQLite database."""

import os
import shutil
import sys
from pathlib import Path

import pytest


def find_cs_exe() -> str:
    beside = Path(sys.executable).parent / "cs"
    if beside.exists():
        return str(beside)
    found = shutil.which("cs")
    if not found:
        raise RuntimeError("the cs console script is not installed (pip install -e .[test])")
    return found


@pytest.fixture
def cs_exe() -> str:
    return find_cs_exe()


@pytest.fixture
def cs_home(tmp_path, monkeypatch) -> Path:
    """A private cs home for one test, exported as CS_HOME; no CS_SESSION_ID
    leaks in from a recorded terminal running the tests."""
    home = tmp_path / "cs-home"
    monkeypatch.setenv("CS_HOME", str(home))
    monkeypatch.delenv("CS_SESSION_ID", raising=False)
    monkeypatch.delenv("CS_DISABLE", raising=False)
    return home


@pytest.fixture
def logs(cs_home) -> Path:
    """The logs directory of the test's cs home, created as cs creates it."""
    from cs.log import paths

    return paths.ensure_private_dir(paths.logs_dir())


def missing_tool(what: str):
    """A tool the tests drive is not installed. On a developer's machine that
    skips the test, saying why; in CI, whose setup installs everything
    (.ci/setup), it is a failure: a green run must not hide untested parts."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed, but CI must have it (see .ci/setup)")
    pytest.skip(f"{what} is not installed")
