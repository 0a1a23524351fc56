"""Odd descriptors and odd files (issue 12): descriptors 0-2 are never reused for
our files; anything in logs/ that is not a regular file is skipped (said once),
never followed, never blocked on; logs/ as a symlink is refused by every
command; the background indexer exits when its cs home goes, and `cs index
--stop` stops it. Real `cs`, real files, real processes."""

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.logs import LogWriter
from tests.helpers.tools import process_state


def cs(cs_exe, *args, timeout=30, **kw):
    return subprocess.run([cs_exe, *args], capture_output=True, timeout=timeout, **kw)


def all_lines_valid(logs: Path):
    for p in logs.iterdir():
        data = p.read_bytes()
        assert data.endswith(b"\n"), p
        for line in data.splitlines():
            json.loads(line)


@pytest.mark.parametrize("closed", ["1", "2", "0", "12", "012"])
def test_closed_standard_fds(cs_exe, cs_home, closed):
    """`cs record -- cmd >&-` (and 2>&-, <&-): the session runs and the log
    stays one JSON object per line, with the child's bytes in data lines only."""
    script = 'exec {redir} "$0" record -- sh -c "printf \'abc\\n\'; printf \'{{\\"type\\":\\"end\\"}}\\n\' >&2; exit 3"'
    redir = " ".join(f"{fd}>&-" if fd != "0" else "<&-" for fd in closed)
    proc = subprocess.run(
        ["sh", "-c", script.format(redir=redir), cs_exe], capture_output=True, timeout=30, env=dict(os.environ)
    )
    assert proc.returncode == 3, proc.stderr
    logs = cs_home / "logs"
    all_lines_valid(logs)
    records = [json.loads(line) for p in logs.iterdir() for line in p.read_bytes().splitlines()]
    assert records[0]["type"] == "start" and records[-1]["type"] == "end"
    assert records[-1]["exit_code"] == 3
    assert [r for r in records if r.get("type") == "end"] == [records[-1]]  # nothing injected


def fifo_named_like_a_log(logs):
    os.mkfifo(logs / "11111111-1111-4111-8111-111111111111.jsonl", 0o600)


def symlink_to_dev_zero(logs):
    os.symlink("/dev/zero", logs / "22222222-2222-4222-8222-222222222222.jsonl")


def symlink_out_of_logs(logs):
    outside = logs.parent / "outside.jsonl"
    outside.write_bytes(LogLine.output("33333333-3333-4333-8333-333333333333", "SECRET outside\r\n"))
    os.symlink(outside, logs / "33333333-3333-4333-8333-333333333333.jsonl")


def directory_named_like_a_log(logs):
    (logs / "44444444-4444-4444-8444-444444444444.jsonl").mkdir()


def broken_gzip(logs):
    data = gzip.compress(LogLine.output("55555555-5555-4555-8555-555555555555", "half\r\n") * 50)
    (logs / "55555555-5555-4555-8555-555555555555.jsonl.gz").write_bytes(data[: len(data) // 2] + b"\x00junk")


def not_gzip_at_all(logs):
    (logs / "66666666-6666-4666-8666-666666666666.jsonl.gz").write_bytes(b"plain text, not gzip\n")


def socket_named_like_a_log(logs):
    import socket

    s = socket.socket(socket.AF_UNIX)
    here = os.getcwd()
    os.chdir(logs)  # (a relative name: the absolute one is too long for AF_UNIX)
    try:
        s.bind("77777777-7777-4777-8777-777777777777.jsonl")
    finally:
        os.chdir(here)
        s.close()


class LogLine:
    @staticmethod
    def output(sid, text):
        from cs.log import jsonl

        return jsonl.io_line(sid, "output", text.encode())


ODD = [
    fifo_named_like_a_log,
    symlink_to_dev_zero,
    symlink_out_of_logs,
    directory_named_like_a_log,
    broken_gzip,
    not_gzip_at_all,
    socket_named_like_a_log,
]


@pytest.mark.parametrize("make_odd", ODD, ids=lambda f: f.__name__)
def test_odd_files_in_logs_are_skipped(cs_exe, logs, make_odd):
    good = LogWriter(logs).output("good session words\r\n").end()
    make_odd(logs)
    for args in (
        ("index",),
        ("list",),
        ("search", "good", "session"),
        ("show", good.sid),
        ("prune", "--older", "30d", "--dry-run"),
        ("compress", "--older", "0d", "--dry-run"),
        ("index", "--rebuild"),
    ):
        proc = cs(cs_exe, *args, timeout=20)  # a FIFO or /dev/zero used to hang
        err = proc.stderr.decode()
        assert "Traceback" not in err, (args, err)
        assert proc.returncode in (0, 1), (args, proc.returncode, err)
    found = cs(cs_exe, "search", "good", "session")
    assert found.returncode == 0 and good.sid[:8].encode() in found.stdout
    assert b"SECRET" not in cs(cs_exe, "search", "SECRET").stdout  # never followed out of logs/
    if make_odd not in (broken_gzip, not_gzip_at_all):
        err = cs(cs_exe, "index").stderr.decode()
        assert err.count("not regular files") == 1, err


def test_logs_dir_symlink_is_refused_by_every_command(cs_exe, cs_home, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    LogWriter(elsewhere).output("behind a symlink\r\n").end()
    cs_home.mkdir(mode=0o700, exist_ok=True)
    os.symlink(elsewhere, cs_home / "logs")
    for args in (
        ("index",),
        ("list",),
        ("search", "behind"),
        ("prune", "--older", "1d"),
        ("compress", "--older", "0d"),
        ("index", "--rebuild"),
    ):
        proc = cs(cs_exe, *args)
        err = proc.stderr.decode()
        assert proc.returncode == 1 and "symlink" in err and "Traceback" not in err, (args, err)
    rec = cs(cs_exe, "record", "--", "true")
    assert rec.returncode == 0 and b"not recorded" in rec.stderr or b"recording stopped" in rec.stderr


def start_daemon(cs_exe):
    proc = cs(cs_exe, "index", "--daemon")
    assert proc.returncode == 0, proc.stderr
    lock = Path(os.environ["CS_HOME"]) / "indexer.lock"
    pid = int(lock.read_text().split()[0])
    return pid


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (not yet reaped by init in a container) counts as gone.
    state = process_state(pid)
    return bool(state) and not state.startswith("Z")


def wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_index_stop(cs_exe, logs):
    assert b"no indexer running" in cs(cs_exe, "index", "--stop").stdout
    pid = start_daemon(cs_exe)
    try:
        proc = cs(cs_exe, "index", "--stop")
        assert proc.returncode == 0 and f"pid {pid}".encode() in proc.stdout, proc.stderr
        assert wait_gone(pid, 5)
        assert b"indexer started" in cs(cs_exe, "index", "--daemon").stdout  # the lock was released
        assert cs(cs_exe, "index", "--stop").returncode == 0
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_watcher_exits_when_home_removed(cs_exe, cs_home, logs):
    pid = start_daemon(cs_exe)
    try:
        time.sleep(0.5)
        shutil.rmtree(cs_home)
        assert wait_gone(pid, 15), "the indexer outlived its cs home"
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))


def test_daemon_with_a_relative_cs_home_watches_that_home(cs_exe, tmp_path):
    env = dict(os.environ, CS_HOME="rel-home")
    proc = subprocess.run([cs_exe, "index", "--daemon"], cwd=tmp_path, env=env, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    pid = int((tmp_path / "rel-home" / "indexer.lock").read_text().split()[0])
    try:
        deadline = time.monotonic() + 10
        while not (tmp_path / "rel-home" / "index.db").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (tmp_path / "rel-home" / "index.db").exists()  # not /rel-home (it runs in /)
        stop = subprocess.run([cs_exe, "index", "--stop"], cwd=tmp_path, env=env, capture_output=True, timeout=30)
        assert stop.returncode == 0 and wait_gone(pid, 5), stop.stderr
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
