"""Stopping a process at a chosen point, for the crash tests.

Every crash test draws its moments from a `random.Random(seed)` with a fixed
seed that it prints (`crash_seeds`), so that a failure can be replayed with
`CS_CRASH_SEED=<seed> pytest <test file>`. `kill_when` reports whether it killed
a process that was still running: a trial where the process had already
finished is not a crash, and the tests do not count it as one.
"""

import os
import signal
import time


def crash_seeds(n: int, base: int):
    """[(trial, seed)] for n trials with fixed seeds base, base+1, ...; only
    the trial of CS_CRASH_SEED when that is set (to replay a failure). The
    seed is in each test's id and printed by the test."""
    trials = list(enumerate(range(base, base + n)))
    wanted = os.environ.get("CS_CRASH_SEED")
    if wanted:
        trials = [(trial, seed) for trial, seed in trials if str(seed) == wanted]
    return trials


def kill_when(proc, condition, timeout=20) -> bool:
    """SIGKILL `proc` as soon as `condition()` holds (or after `timeout`).
    True if the process was still running when the signal was sent, False if
    it had already exited (then nothing was interrupted)."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if condition():
            break
        time.sleep(0.0005)
    running = proc.poll() is None
    if running:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    return running and proc.returncode == -signal.SIGKILL
