"""Kill `cs compress` with SIGKILL at random points, then check that every
session still reads as exactly the same stream, no index row names a missing
file, and the next run completes: everything compressed, no temp file left."""

import os
import random
import shutil
import subprocess
import sys
import time

import pytest

from cs.log import store
from cs.log import paths

sys.path.insert(0, os.path.dirname(__file__))
from test_prune_helpers import index_all, index_state, kill_when, make_tui_session, run_cs  # noqa: E402

N_SESSIONS = 16


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    home = tmp_path_factory.mktemp("compress-crash") / "home"
    old_env = os.environ.get("CS_HOME")
    os.environ["CS_HOME"] = str(home)
    try:
        logs = paths.logs_dir()
        sids = [make_tui_session(logs, 10 + i, 500_000, segments=1 + i % 3, seed=i) for i in range(N_SESSIONS)]
        index_all(logs, sids)
        streams = {sid: list(store.iter_session_records(logs, sid)) for sid in sids}
    finally:
        if old_env is None:
            del os.environ["CS_HOME"]
        else:
            os.environ["CS_HOME"] = old_env
    return home, streams


def _gz_count(logs):
    return sum(1 for n in os.listdir(logs) if n.endswith(".jsonl.gz"))


def _check(home, streams):
    logs = home / "logs"
    for sid, want in streams.items():
        assert list(store.iter_session_records(logs, sid)) == want, sid
    _, names, _, _ = index_state(home / "index.db")
    assert names <= set(os.listdir(logs)), sorted(names - set(os.listdir(logs)))


@pytest.mark.parametrize("trial", range(5))
def test_compress_killed_anywhere_loses_nothing(trial, template, tmp_path, cs_exe, monkeypatch):
    src, streams = template
    home = tmp_path / "home"
    shutil.copytree(src, home)
    monkeypatch.setenv("CS_HOME", str(home))
    logs = home / "logs"
    n_files = len(os.listdir(logs))
    rng = random.Random(trial * 7919 + int(time.time()))

    proc = subprocess.Popen([cs_exe, "compress", "--older", "1d"], stdout=subprocess.DEVNULL)
    if trial == 0:
        kill_when(proc, lambda: False, timeout=rng.uniform(0.1, 0.8))
    elif trial == 1:  # while a temp file is being written
        kill_when(proc, lambda: any(n.endswith(".gz.tmp") for n in os.listdir(logs)), timeout=30)
    else:  # after a random number of segments
        k = rng.randint(1, n_files - 1)
        kill_when(proc, lambda: _gz_count(logs) >= k, timeout=30)
    left = os.listdir(logs)
    print(f"trial {trial}: killed with {_gz_count(logs)} .gz, "
          f"{sum(n.endswith('.tmp') for n in left)} temp, of {n_files} segments")

    _check(home, streams)
    run_cs(cs_exe, "compress", "--older", "1d")
    _check(home, streams)
    names = os.listdir(logs)
    assert all(n.endswith(".jsonl.gz") for n in names) and len(names) == n_files
    for n in names:
        assert (logs / n).stat().st_mode & 0o777 == 0o600
    _, rows, _, _ = index_state(home / "index.db")
    assert rows == set(names)
