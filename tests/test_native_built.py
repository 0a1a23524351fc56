"""The native cores are built and used on every Python cs is installed on.

`pip install` builds cs/index/_screen.c and cs/record/_relay.c as optional
extensions: without a C compiler the install still works, on the pure-Python
paths. Where a compiler and the Python headers are present (CI's machines, for
the lowest and the newest Python: .ci/run), a missing extension is a build that
silently failed, and the fast paths would go untested on that Python.
"""

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.helpers.tools import missing_tool


def a_compiler_and_the_headers():
    """True when this Python could build a C extension here."""
    cc = shlex.split(sysconfig.get_config_var("CC") or "cc")[:1]
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    return bool(cc and shutil.which(cc[0]) and headers.exists())


@pytest.fixture
def compiler():
    if not a_compiler_and_the_headers():
        missing_tool(f"a C compiler and the headers of Python {sys.version.split()[0]}")


def test_the_native_cores_are_built_and_selected(compiler):
    # In a fresh process without CS_PURE_PYTHON: what a user's `cs` gets.
    code = (
        "import cs.index._screen, cs.record._relay\n"
        "from cs.index import screen\n"
        "from cs.record import loop\n"
        "print(screen.Screen is screen.NativeScreenText, loop.native_relay() is not None)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CS_PURE_PYTHON"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert r.returncode == 0, f"a native core did not import on Python {sys.version.split()[0]}:\n{r.stderr}"
    assert r.stdout == "True True\n"
