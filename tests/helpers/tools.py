"""Finding the tools the tests drive."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def find_cs_exe() -> str:
    """The installed `cs` console script next to the running interpreter."""
    beside = Path(sys.executable).parent / "cs"
    if beside.exists():
        return str(beside)
    found = shutil.which("cs")
    if not found:
        raise RuntimeError("the cs console script is not installed (pip install -e .[test])")
    return found


def missing_tool(what: str):
    """A tool the tests drive is not installed. On a developer's machine that
    skips the test, saying why; in CI, whose setup installs everything
    (.ci/setup), it is a failure: a green run must not hide untested parts."""
    if os.environ.get("CI"):
        pytest.fail(f"{what} is not installed, but CI must have it (see .ci/setup)")
    pytest.skip(f"{what} is not installed")


def process_state(pid: int) -> str:
    """ps's STAT of a process ("" when there is none): "Z..." for a zombie.
    ps answers the same on Linux and macOS, where there is no /proc."""
    r = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return r.stdout.strip()


def process_args(pid: int) -> str:
    """A process's command line as ps shows it, whole ("" when there is none):
    `-ww`, or ps cuts it at 80 columns when its output is not a terminal (a
    long virtualenv path then hides the arguments)."""
    r = subprocess.run(["ps", "-ww", "-o", "args=", "-p", str(pid)], capture_output=True, text=True)
    return r.stdout.strip()
