"""Kill `cs prune` with SIGKILL at random points over many sessions, then check:
no index row points at a missing file, nothing that should stay was touched,
any half-removed session is listed in prune.pending, and the next prune (with
options that select nothing by themselves) finishes the job."""

import json
import os
import random
import shutil
import subprocess

import pytest

from cs.log import paths
from tests.helpers.cli import run_cs
from tests.helpers.crash import crash_seeds, kill_when
from tests.helpers.logs import make_session
from tests.helpers.sessions import index_all, index_state, tree_hashes

N_OLD, N_RECENT = 700, 150


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """One cs home with old and recent sessions, indexed; each trial copies it."""
    home = tmp_path_factory.mktemp("prune-crash") / "home"
    old_env = os.environ.get("CS_HOME")
    os.environ["CS_HOME"] = str(home)
    try:
        logs = paths.logs_dir()
        rng = random.Random(7)
        old, recent = [], []
        for _i in range(N_OLD):
            segs = rng.choice([1, 1, 2, 3])
            gz = tuple(n for n in range(1, segs + 1) if rng.random() < 0.3)
            if rng.random() < 0.8:
                old.append(make_session(logs, rng.uniform(31, 300), chunks=3, segments=segs, compressed_segments=gz))
            else:
                old.append(make_session(logs, last_days_ago=rng.uniform(31, 300), chunks=3, segments=segs))
        for _i in range(N_RECENT):
            recent.append(make_session(logs, rng.uniform(0.1, 29), chunks=3, segments=rng.choice([1, 2])))
        index_all(logs, old + recent)
    finally:
        if old_env is None:
            del os.environ["CS_HOME"]
        else:
            os.environ["CS_HOME"] = old_env
    return home, set(old), set(recent)


def _files_by_session(logs):
    out = {}
    for p in logs.iterdir():
        out.setdefault(p.name.split(".")[0].lstrip("."), set()).add(p.name)
    return out


def _check_invariants(home, old, recent, template_hashes):
    logs = home / "logs"
    on_disk = {p.name for p in logs.iterdir()}
    sessions, names, nlines, nfts = index_state(home / "index.db")
    # 1. no index row points at a missing file
    assert names <= on_disk, sorted(names - on_disk)[:5]
    by_session = _files_by_session(logs)
    assert all(sid in by_session for sid in sessions)
    assert nlines == nfts
    # 2. what should stay is untouched, byte for byte, and still indexed
    hashes = tree_hashes(logs)
    for sid in recent:
        assert sid in sessions
        for name in by_session[sid]:
            assert hashes[name] == template_hashes["logs/" + name]
    # 3. a half-removed session is listed for the next run to finish
    pending_path = home / "prune.pending"
    pending = set(pending_path.read_text().split()) if pending_path.exists() else set()
    template_files = _files_by_session(home.parent / "template-copy" / "logs")
    for sid in old:
        present = by_session.get(sid, set())
        if present and present != template_files[sid]:
            assert sid in pending, f"{sid} half removed but not pending"
    return pending


SEEDS = crash_seeds(6, base=1000)


@pytest.mark.slow
@pytest.mark.parametrize("trial, seed", SEEDS)
def test_prune_killed_anywhere_is_finished_by_the_next_run(trial, seed, template, tmp_path, cs_exe, monkeypatch):
    src, old, recent = template
    shutil.copytree(src, tmp_path / "template-copy")
    home = tmp_path / "home"
    shutil.copytree(src, home)
    monkeypatch.setenv("CS_HOME", str(home))
    logs = home / "logs"
    template_hashes = tree_hashes(src)
    n_files = len(list(logs.iterdir()))
    rng = random.Random(seed)

    proc = subprocess.Popen([cs_exe, "prune", "--older", "30d"], stdout=subprocess.DEVNULL)
    if trial == 0:  # a random moment: before, during or after the work
        killed = kill_when(proc, lambda: False, timeout=rng.uniform(0.0, 0.2))
    elif trial == 1:  # as soon as the selection is journaled (index rows going)
        killed = kill_when(proc, lambda: (home / "prune.pending").exists())
    else:  # somewhere while files are being unlinked
        target = n_files - int(rng.uniform(0.05, 0.95) * n_files * N_OLD / (N_OLD + N_RECENT))
        killed = kill_when(proc, lambda: len(os.listdir(logs)) <= target)

    pending = _check_invariants(home, old, recent, template_hashes)
    print(
        f"trial {trial} (seed {seed}): {'killed' if killed else 'finished before the kill'} with {len(os.listdir(logs))} of {n_files} files left, {len(pending)} pending"
    )

    # The next run, even with options that select nothing, finishes the job...
    result = json.loads(run_cs(cs_exe, "prune", "--older", "3650d", "--json").stdout)
    assert set(result["resumed"]) <= pending  # those with files left to remove
    left = _files_by_session(logs)
    assert not (set(left) & pending), "a half-removed session was not finished"
    assert not (home / "prune.pending").exists()
    # ... and running the interrupted command again leaves exactly what should stay.
    run_cs(cs_exe, "prune", "--older", "30d")
    left = _files_by_session(logs)
    assert set(left) == recent
    assert tree_hashes(logs) == {
        k[len("logs/") :]: v
        for k, v in template_hashes.items()
        if k.startswith("logs/") and k.split("/")[1].split(".")[0] in recent
    }
    sessions, names, nlines, nfts = index_state(home / "index.db")
    assert sessions == recent and nlines == nfts
    assert names <= {p.name for p in logs.iterdir()}
    if not killed:
        pytest.skip(f"seed {seed}: prune finished before the kill, so this was not a crash trial")
