"""The one way tests run the real `cs` console script."""

import subprocess

from tests.helpers.tools import find_cs_exe


def run_cs(cs_exe=None, *args, check=True, env=None, text=True, timeout=60, input=None):
    """Run `cs ARGS` as a user would; never a traceback. With check, a non-zero
    exit fails the test with everything cs printed."""
    proc = subprocess.run(
        [cs_exe or find_cs_exe(), *args], capture_output=True, text=text, env=env, timeout=timeout, input=input
    )
    stderr = proc.stderr if text else proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr, stderr
    if check and proc.returncode != 0:
        raise AssertionError(f"cs {' '.join(map(str, args))} failed ({proc.returncode}):\n{proc.stdout}\n{stderr}")
    return proc
