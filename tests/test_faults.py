"""The fault suite of bench/faults.py, small enough for every run (fixed seeds):
SIGKILL at random moments under a flood of output, concurrent sessions with the
watcher, prune and search running, a full disk for the log and for the index,
and a fuzzed indexer. Full-size figures: docs/reliability.md."""

import tempfile

import pytest

from bench import faults

SEED = 12


@pytest.fixture
def tmp():
    with tempfile.TemporaryDirectory(prefix="cs-faults-") as d:
        yield d


@pytest.mark.slow
def test_sigkill_under_flood_loses_nothing_shown(tmp):
    """Every byte the user's terminal showed is in the log, whatever is killed
    (the recorder, the child, both groups); the index and list recover."""
    summary = faults.run_kill(6, SEED, tmp)
    for target, s in summary.items():
        assert s["bytes_lost_max"] == 0, (target, s)
        assert s["recovered"] == s["trials"], (target, s)


@pytest.mark.slow
def test_concurrent_sessions_lose_and_duplicate_nothing(tmp):
    r = faults.run_concurrent(4, 0.5, SEED, tmp)
    assert (r["lines_lost_log"], r["lines_dup_log"]) == (0, 0), r
    assert (r["lines_lost_index"], r["lines_dup_index"]) == (0, 0), r
    assert r["search_tracebacks"] == 0, r
    assert r["last_line_found_after_s"] is not None and r["last_line_found_after_s"] < 10, r


def test_full_disk_for_the_log_and_the_index(tmp):
    r = faults.run_disk(tmp)
    log = r["log_full"]
    assert log["exit_code"] == 5 and log["child_output_complete"] and log["warnings"] == 1, log
    assert log["complete_lines_valid"] and log["index_ok"], log
    idx = r["index_full"]
    assert idx["exit_code"] == 0 and idx["old_sessions_found"] and idx["says_stale"], idx
    assert not idx["traceback"], idx


@pytest.mark.slow
def test_fuzzed_indexer_neither_crashes_nor_hangs(tmp):
    r = faults.run_fuzz(18, SEED, tmp)
    assert (r["crashes"], r["hangs"]) == (0, 0), r
    assert r["good_found"] == r["good_sessions"], r
