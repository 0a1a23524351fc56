"""`cs record` end to end: the real console script under a real PTY, real log files."""

import base64
import fcntl
import hashlib
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import termios
import time

import pytest

from cs.log import jsonl, store
from tests.helpers.pty import Term, events, only_session_id, read_session, session_files, stream

PY = sys.executable


def py(code: str):
    return [PY, "-c", code]


# Makes the child's own terminal raw (no onlcr), then copies a file to stdout:
# the bytes leaving the child are exactly the file's.
RAW_CAT = (
    "import os, sys, tty\n"
    "tty.setraw(1)\n"
    "data = open(sys.argv[1], 'rb').read()\n"
    "view = memoryview(data)\n"
    "while view: view = view[os.write(1, view):]\n"
)


# ---------------------------------------------------------------- bytes


def test_random_binary_output_round_trips_byte_exact(cs_exe, cs_home, tmp_path):
    rng = random.Random(1234)
    data = bytes(rng.getrandbits(8) for _ in range(200_000))
    data += b"\x00\xff\xfe\xc3\x28\xed\xa0\x80 invalid utf-8 and NUL \x00"
    src = tmp_path / "data.bin"
    src.write_bytes(data)

    term = Term([cs_exe, "record", "--", PY, "-c", RAW_CAT, str(src)])
    assert term.finish() == 0

    records = read_session(cs_home)
    assert stream(records, "output") == data
    # The user's terminal received the same bytes (our side adds no processing).
    assert data in term.screen
    end = events(records, "end")[0]
    assert end["bytes_out"] == len(data)


def test_50mb_of_output_nothing_lost(cs_exe, cs_home, tmp_path):
    size = 50 * 1024 * 1024
    digest_file = tmp_path / "sha"
    writer = (
        "import hashlib, os, sys, tty\n"
        "tty.setraw(1)\n"
        "h = hashlib.sha256(); left = %d\n"
        "while left:\n"
        "    chunk = os.urandom(min(left, 1 << 20)); h.update(chunk); left -= len(chunk)\n"
        "    view = memoryview(chunk)\n"
        "    while view: view = view[os.write(1, view):]\n"
        "open(sys.argv[1], 'w').write(h.hexdigest())\n" % size
    )
    term = Term([cs_exe, "record", "--", PY, "-c", writer, str(digest_file)])
    seen = 0
    while not term.eof:  # keep the screen drained without holding 50 MB twice
        term._pump(0.5)
        seen += len(term.screen)
        term.screen = b""
    term.proc.wait()
    assert term.proc.exitstatus == 0
    assert seen == size

    h = hashlib.sha256()
    total = 0
    sid = only_session_id(cs_home)
    for _, _, _, rec in store.iter_session_records(cs_home / "logs", sid):
        if rec.get("direction") == "output":
            chunk = base64.b64decode(rec["data"])
            assert rec["size"] == len(chunk)
            total += len(chunk)
            h.update(chunk)
    assert total == size
    assert h.hexdigest() == digest_file.read_text()


# ---------------------------------------------------------------- exit status


@pytest.mark.parametrize(
    "script, expected",
    [("exit 0", 0), ("exit 3", 3), ("kill -TERM $$", 128 + 15), ("kill -KILL $$", 128 + 9)],
)
def test_exit_status_is_the_childs(cs_exe, cs_home, script, expected):
    term = Term([cs_exe, "record", "--", "sh", "-c", script])
    assert term.finish() == expected
    end = events(read_session(cs_home), "end")[0]
    assert end["exit_code"] == expected
    if expected > 128:
        assert end["signal"] == expected - 128
    else:
        assert "signal" not in end


def test_unknown_command_127_and_not_executable_126(cs_exe, cs_home, tmp_path):
    r = subprocess.run([cs_exe, "record", "--", "no-such-command-xyz"], capture_output=True, text=True)
    assert r.returncode == 127
    assert r.stderr == "cs: command not found: no-such-command-xyz\n"

    script = tmp_path / "not-exec.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    r = subprocess.run([cs_exe, "record", "--", str(script)], capture_output=True, text=True)
    assert r.returncode == 126
    assert "permission denied" in r.stderr and "Traceback" not in r.stderr

    r = subprocess.run([cs_exe, "record"], capture_output=True, text=True)
    assert r.returncode == 2 and "usage: cs record" in r.stderr
    assert not (cs_home / "logs").exists() or not any((cs_home / "logs").iterdir())


def test_exec_failure_in_the_child_is_reported_with_its_reason(cs_exe, cs_home, tmp_path):
    # Executable bits, but not a format the kernel can run: the exec fails in
    # the forked child, and its errno comes back to the parent (126, the reason).
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x7fELF\x00not really\n")
    garbage.chmod(0o755)
    r = subprocess.run([cs_exe, "record", "--", str(garbage)], capture_output=True, text=True)
    assert r.returncode == 126
    assert r.stderr.startswith(f"cs: cannot execute {garbage}: ") and "Exec format error" in r.stderr
    assert "Traceback" not in r.stderr
    assert events(read_session(cs_home), "end")[0]["exit_code"] == 126


def test_the_command_gets_no_descriptor_of_ours(cs_exe, cs_home, tmp_path):
    # Only 0-2 in the child: not the log, its lock, the signal pipe, nor an fd
    # the recorder itself inherited (here 5, from the shell).
    listing = tmp_path / "fds"
    probe = (
        "import os\n"
        "fds = []\n"
        "for fd in range(1024):\n"
        "    try:\n"
        "        os.fstat(fd)\n"
        "        fds.append(str(fd))\n"
        "    except OSError:\n"
        "        pass\n"
        f"open({str(listing)!r}, 'w').write(' '.join(fds))\n"
    )
    term = Term(["sh", "-c", 'exec 5</dev/null; exec "$0" record -- "$1" -c "$2"', cs_exe, PY, probe])
    assert term.finish() == 0
    assert listing.read_text().split() == ["0", "1", "2"]


# ---------------------------------------------------------------- the terminal


def test_resize_reaches_the_child_and_is_logged(cs_exe, cs_home):
    term = Term(
        [cs_exe, "record", "--", "bash", "--norc", "--noprofile", "-i"],
        rows=30,
        cols=100,
        env=dict(os.environ, PS1="$ "),
    )
    term.expect(b"$ ")
    term.send(b"stty size\r")
    term.expect(b"30 100")
    term.proc.setwinsize(40, 132)  # the user resizes the window: SIGWINCH to cs
    time.sleep(0.2)
    term.send(b"stty size\r")
    term.expect(b"40 132")
    term.send(b"exit\r")
    assert term.finish() == 0
    records = read_session(cs_home)
    start = events(records, "start")[0]
    assert (start["cols"], start["rows"]) == (100, 30)
    assert [(e["cols"], e["rows"]) for e in events(records, "resize")] == [(132, 40)]


def test_terminal_settings_identical_before_and_after(cs_exe, cs_home, tmp_path):
    before, after = tmp_path / "before", tmp_path / "after"
    script = f'stty -g > {before}; "$0" record -- sh -c "stty -g > {tmp_path}/inside"; stty -g > {after}'
    term = Term(["sh", "-c", script, cs_exe])
    assert term.finish() == 0
    assert before.read_text() == after.read_text()
    # The PTY the child got carries the user's settings.
    assert (tmp_path / "inside").read_text() == before.read_text()


def test_raw_mode_while_recording_and_restored_after_sigterm(cs_exe, cs_home, tmp_path):
    pidfile = tmp_path / "recorder.pid"
    term = Term([cs_exe, "record", "--", "sh", "-c", f"echo $PPID > {pidfile}; echo ready; exec sleep 60"])
    term.expect(b"ready")
    during = termios.tcgetattr(term.fd)  # the outer terminal's modes, read through its master
    assert not during[3] & termios.ICANON and not during[3] & termios.ECHO  # raw while running
    os.kill(int(pidfile.read_text()), signal.SIGTERM)
    # The recorder forwards SIGTERM to the child; the session ends with 128+15.
    assert term.finish() == 128 + 15
    end = events(read_session(cs_home), "end")[0]
    assert end["exit_code"] == 143 and end["signal"] == 15


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_or_sighup_restores_terminal_for_the_shell_after(cs_exe, cs_home, tmp_path, sig):
    before, after, pidfile = tmp_path / "before", tmp_path / "after", tmp_path / "pid"
    script = (
        f'stty -g > {before}; "$0" record -- sh -c "echo \\$PPID > {pidfile}; exec sleep 60"; '
        f"echo rc=$?; stty -g > {after}"
    )
    term = Term(["sh", "-c", script, cs_exe])
    deadline = time.monotonic() + 10
    while not (pidfile.exists() and pidfile.read_text().strip()):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(int(pidfile.read_text()), sig)
    term.expect(b"rc=%d" % (128 + sig))
    assert term.finish() == 0
    assert before.read_text() == after.read_text()
    assert events(read_session(cs_home), "end")[0]["signal"] == sig


def test_ctrl_c_typed_reaches_the_child_through_its_terminal(cs_exe, cs_home):
    # The child says "ready" only once ^C would kill it (a shell script would
    # race: dash defers SIGINT that arrives before its child is running).
    code = (
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_DFL); print('ready', flush=True); time.sleep(30)"
    )
    term = Term([cs_exe, "record", "--", PY, "-c", code])
    term.expect(b"ready")
    term.send(b"\x03")  # a key, not a signal to cs: the child's PTY turns it into SIGINT
    assert term.finish() == 128 + signal.SIGINT
    records = read_session(cs_home)
    assert stream(records, "input") == b"\x03"


# ---------------------------------------------------------------- pipes


def test_pipes_in_and_out_byte_identical_and_recorded(cs_exe, cs_home):
    r = subprocess.run(
        ["bash", "-c", f"printf 'a\\nb' | {cs_exe} record -- cat | od -c"],
        capture_output=True,
    )
    expected = subprocess.run(["bash", "-c", "printf 'a\\nb' | cat | od -c"], capture_output=True)
    assert r.returncode == 0 and r.stdout == expected.stdout and r.stderr == b""
    records = read_session(cs_home)
    assert stream(records, "input") == b"a\nb"
    assert stream(records, "output") == b"a\nb"


def test_binary_through_pipes_with_eof_and_exit_code(cs_exe, cs_home):
    data = bytes(random.Random(5).getrandbits(8) for _ in range(300_000)) + b"\r\n\n\x04"
    r = subprocess.run([cs_exe, "record", "--", "sh", "-c", "cat; exit 4"], input=data, capture_output=True)
    assert r.returncode == 4
    assert r.stdout == data  # no \n -> \r\n, and EOF reached cat
    records = read_session(cs_home)
    assert stream(records, "input") == data and stream(records, "output") == data


def test_stdout_pipe_with_terminal_stdin(cs_exe, cs_home):
    # `claude -p x | jq`: the child's stdout is a pipe (isatty honest), no \r added.
    code = "import os; os.write(1, b'out\\n%r %r\\n' % (os.isatty(0), os.isatty(1)))"
    term = Term(["sh", "-c", f'"$0" record -- {PY} -c "{code}" | od -c', cs_exe])
    assert term.finish() == 0
    expected = subprocess.run(["od", "-c"], input=b"out\nTrue False\n", capture_output=True).stdout
    assert expected.replace(b"\n", b"\r\n") in term.screen
    assert stream(read_session(cs_home), "output") == b"out\nTrue False\n"


def test_stdin_pipe_with_terminal_stdout(cs_exe, cs_home):
    # `echo q | claude -p`: EOF reaches the child, output is shown on the terminal.
    term = Term(["sh", "-c", 'echo q | "$0" record -- sh -c "cat; [ -t 0 ] || echo stdin-is-a-pipe"', cs_exe])
    assert term.finish() == 0
    assert b"q\r\nstdin-is-a-pipe\r\n" in term.screen
    records = read_session(cs_home)
    assert stream(records, "input") == b"q\n"
    assert stream(records, "output") == b"q\r\nstdin-is-a-pipe\r\n"


# ---------------------------------------------------------------- the log files


def test_private_modes_under_umask_000(cs_exe, cs_home):
    r = subprocess.run([cs_exe, "record", "--", "true"], preexec_fn=lambda: os.umask(0))
    assert r.returncode == 0
    assert (cs_home.stat().st_mode & 0o777) == 0o700
    assert ((cs_home / "logs").stat().st_mode & 0o777) == 0o700
    (log,) = session_files(cs_home)
    assert (log.stat().st_mode & 0o777) == 0o600


def test_planted_symlink_logs_dir_is_refused(cs_exe, cs_home, tmp_path):
    elsewhere = tmp_path / "attacker"
    elsewhere.mkdir()
    cs_home.mkdir(mode=0o700)
    (cs_home / "logs").symlink_to(elsewhere)
    r = subprocess.run([cs_exe, "record", "--", "sh", "-c", "echo hello; exit 6"], capture_output=True, text=True)
    assert r.returncode == 6 and r.stdout == "hello\n"
    assert list(elsewhere.iterdir()) == []
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cs: recording stopped: ") and "symlink" in lines[0]


def test_unwritable_log_keeps_the_session_and_warns_once(cs_exe, cs_home):
    # As root, permissions stop nothing; a file size limit does: the log write
    # fails with EFBIG after 8 KiB while the session goes on.
    limit = 8192

    def limit_file_size():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    code = "import sys, time\nfor i in range(200):\n    print('line', i, 'x' * 100, flush=True)\nsys.exit(7)"
    r = subprocess.run(
        [cs_exe, "record", "--", PY, "-c", code], capture_output=True, text=True, preexec_fn=limit_file_size
    )
    assert r.returncode == 7
    assert r.stdout.count("\n") == 200 and "line 199" in r.stdout
    warnings = r.stderr.splitlines()
    assert len(warnings) == 1, r.stderr
    assert warnings[0].startswith("cs: recording stopped: File too large (log: ")
    (log,) = session_files(cs_home)
    assert log.stat().st_size <= limit
    assert str(log) in warnings[0]


def test_log_path_not_creatable_runs_unrecorded(cs_exe, cs_home):
    cs_home.mkdir(mode=0o700)
    (cs_home / "logs").write_text("a file where the directory should be")
    r = subprocess.run([cs_exe, "record", "--", "sh", "-c", "echo fine; exit 2"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stdout == "fine\n"
    assert len(r.stderr.splitlines()) == 1 and r.stderr.startswith("cs: recording stopped: ")


def test_password_prompt_input_is_masked(cs_exe, cs_home):
    term = Term([cs_exe, "record", "--", "bash", "--norc", "--noprofile", "-i"], env=dict(os.environ, PS1="$ "))
    term.expect(b"$ ")
    term.send(b"echo visible-input\r")
    term.expect(b"visible-input\r\n")
    term.send(b"read -s -p 'Password: ' pw; echo; echo length=${#pw}\r")
    term.expect(b"Password: ")
    time.sleep(0.1)
    term.send(b"hunter2-secret\r")
    term.expect(b"length=14")
    term.send(b"exit\r")
    assert term.finish() == 0
    sid = only_session_id(cs_home)
    raw = b"".join(p.read_bytes() for p in session_files(cs_home))
    records = read_session(cs_home, sid)
    typed = stream(records, "input")
    assert b"visible-input" in typed
    assert b"hunter2" not in typed and b"hunter2" not in stream(records, "output")
    assert base64.b64encode(b"hunter2-secret\r") not in raw and b"hunter2" not in raw
    masked = [r for r in records if r.get("masked")]
    assert sum(r["masked"] for r in masked) == len(b"hunter2-secret\r")
    assert all(r["data"] == "" and r["size"] == 0 for r in masked)


def test_nested_session_is_not_recorded_twice(cs_exe, cs_home):
    inner = f'{cs_exe} record -- sh -c "echo inner=\\$CS_SESSION_ID"'
    r = subprocess.run(
        [cs_exe, "record", "--", "sh", "-c", f"echo outer=$CS_SESSION_ID; {inner}"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0
    sid = only_session_id(cs_home)  # exactly one session logged
    assert r.stdout == f"outer={sid}\ninner={sid}\n"
    assert len(session_files(cs_home)) == 1


def test_claude_resume_id_found_across_chunks_and_colours(cs_exe, cs_home):
    sid = "123e4567-e89b-12d3-a456-426614174000"
    code = (
        "import os, time\n"
        "os.write(1, b'bye\\r\\nResume this session with:\\r\\n\\x1b[2mclaude\\x1b[1C--res')\n"
        "time.sleep(0.3)\n"
        "os.write(1, b'ume \\x1b[1m123e4567-e89b-12d3-')\n"
        "time.sleep(0.3)\n"
        "os.write(1, b'a456-426614174000\\x1b[0m\\r\\n')\n"
    )
    term = Term([cs_exe, "record", "--", PY, "-c", code])
    assert term.finish() == 0
    records = read_session(cs_home)
    assert len([r for r in records if r.get("direction") == "output"]) >= 3  # really split
    assert events(records, "end")[0]["claude_session_id"] == sid


def test_no_claude_session_id_when_absent(cs_exe, cs_home):
    subprocess.run([cs_exe, "record", "--", "echo", "claude --resume not-a-uuid"], capture_output=True)
    assert "claude_session_id" not in events(read_session(cs_home), "end")[0]


def test_rotation_segments_concatenate_to_the_stream(cs_exe, cs_home):
    cs_home.mkdir(mode=0o700)
    # 64K is the smallest rotate_size config accepts (cs.config.MIN_ROTATE_SIZE).
    (cs_home / "config.toml").write_text('rotate_size = "64K"\n')
    code = (
        "import os, sys, time, tty\n"
        "tty.setraw(1)\n"
        "for i in range(40):\n"
        "    os.write(1, bytes([i]) * 10000)\n"
        "    time.sleep(0.01)\n"
    )
    term = Term([cs_exe, "record", "--", PY, "-c", code])
    assert term.finish() == 0
    sid = only_session_id(cs_home)
    segments = store.session_segments(cs_home / "logs", sid)
    assert len(segments) >= 5
    assert [store.parse_segment_name(p.name)[1] for p in segments] == list(range(1, len(segments) + 1))
    for n, path in enumerate(segments, start=1):
        first = jsonl.parse_line(path.read_bytes().splitlines()[0])
        if n == 1:
            assert first["type"] == "start"
        else:
            assert first["type"] == "segment" and first["segment"] == n
        assert (path.stat().st_mode & 0o777) == 0o600
    records = read_session(cs_home, sid)
    assert stream(records, "output") == b"".join(bytes([i]) * 10000 for i in range(40))
    assert events(records, "end") and records[-1]["type"] == "end"
    last_segment_records = list(store.iter_records(segments[-1]))
    assert last_segment_records[-1][2]["type"] == "end"


def test_live_lock_held_while_running_and_released_after(cs_exe, cs_home):
    term = Term([cs_exe, "record", "--", "sh", "-c", "echo ready; read x; echo done"])
    term.expect(b"ready")
    (log,) = session_files(cs_home)
    with open(log, "rb") as f:
        with pytest.raises(BlockingIOError):
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        assert not events(read_session(cs_home), "end")
        term.send(b"go\r")
        assert term.finish() == 0
        fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)  # free: the session ended
    assert events(read_session(cs_home), "end")


def test_start_line_metadata(cs_exe, cs_home, tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "feature-x", str(repo)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "c",
        ],
        check=True,
    )
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    term = Term([cs_exe, "record", "--", "sh", "-c", "exit 0"], rows=33, cols=111, cwd=str(repo))
    assert term.finish() == 0
    start = read_session(cs_home)[0]
    assert start["type"] == "start" and start["format"] == jsonl.FORMAT_VERSION
    assert start["argv"] == ["sh", "-c", "exit 0"]
    assert start["cwd"] == str(repo)
    assert (start["cols"], start["rows"]) == (111, 33)
    assert start["git_branch"] == "feature-x" and start["git_commit"] == head
    assert start["host"] == os.uname().nodename and start["term"] == "xterm"
    assert start["stdin_tty"] is True and start["stdout_tty"] is True
    from cs import __version__

    assert start["cs_version"] == __version__


def test_jq_recipes_from_the_design_note_run_verbatim(cs_exe, cs_home):
    term = Term([cs_exe, "record", "--", "sh", "-c", "read x; echo got $x"])
    term.send(b"hello\r")
    assert term.finish() == 0
    (log,) = session_files(cs_home)

    def sh(cmd):
        r = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        return r.stdout

    assert sh("""jq -r '.data' <<< '{"data":"SGVsbG8="}' | base64 -d""") == "Hello"
    outputs = sh(f"jq 'select(.direction == \"output\")' {log}")
    assert '"direction": "output"' in outputs and '"type"' not in outputs
    counts = sh(f"jq -s 'group_by(.direction) | map({{direction: .[0].direction, count: length}})' {log}")
    import json

    groups = {g["direction"]: g["count"] for g in json.loads(counts)}
    assert groups[None] == 2  # the start and end event lines form a null group
    assert groups["input"] >= 1 and groups["output"] >= 1
    io_only = sh(
        f"jq -s 'map(select(.direction)) | group_by(.direction) | map({{direction: .[0].direction, count: length}})' {log}"
    )
    assert None not in {g["direction"] for g in json.loads(io_only)}
    decoded = sh(f"jq -r 'select(.direction == \"output\") | .data' {log} | base64 -d")
    assert "got hello" in decoded


def test_record_path_imports_no_click_sqlite_or_watchdog(cs_exe, cs_home):
    r = subprocess.run([PY, "-X", "importtime", "-m", "cs", "record", "--", "true"], capture_output=True, text=True)
    assert r.returncode == 0
    imported = {line.split("|")[-1].strip() for line in r.stderr.splitlines() if line.startswith("import time:")}
    assert "cs.record.loop" in imported  # the measurement sees our modules
    for heavy in ("click", "sqlite3", "_sqlite3", "watchdog", "sqlite_utils", "subprocess", "uuid"):
        assert heavy not in imported, heavy


def test_record_path_imports_only_what_a_start_needs(cs_home):
    # Every `claude` start pays for what the recorder imports. Without site
    # (whose .pth files import pathlib and re in an editable install), record a
    # command and list which of the costly standard modules got loaded: none.
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (
        "import sys\n"
        f"sys.path.insert(0, {root!r})\n"
        "from cs.main import main\n"
        "code = main(['record', '--', 'true'])\n"
        "costly = ('re', 'json', 'enum', 'pathlib', 'contextlib', 'datetime', 'gzip', 'base64', 'ptyprocess',\n"
        "          'signal', 'subprocess', 'uuid', 'click', 'sqlite3', 'tomllib', 'typing')\n"
        "print(code, ' '.join(m for m in costly if m in sys.modules))\n"
    )
    r = subprocess.run([PY, "-S", "-I", "-c", code], capture_output=True, text=True, env=dict(os.environ))
    assert r.stdout == "0 \n", r.stdout + r.stderr
    assert len(list((cs_home / "logs").iterdir())) == 1  # it did record


def test_command_sees_argv_as_typed(cs_exe, cs_home):
    # argv[0] stays "sh" (not the resolved /usr/bin/sh), as without the wrapper.
    r = subprocess.run([cs_exe, "record", "--", "sh", "-c", "ps -o args= -p $$"], capture_output=True, text=True)
    assert r.returncode == 0
    assert r.stdout.split()[:2] == ["sh", "-c"]
    assert read_session(cs_home)[0]["argv"][0] == "sh"


def test_ctrl_z_in_the_child_does_not_hang_the_session(cs_exe, cs_home):
    # ^Z stops the child's process group through its PTY; the recorder mirrors
    # the stop (a no-op here: the test's process group is orphaned, as after
    # `setsid`) and continues the whole group, so the command finishes.
    term = Term([cs_exe, "record", "--", "sh", "-c", "echo ready; sleep 0.5; echo alive; exit 4"])
    term.expect(b"ready")
    term.send(b"\x1a")
    term.expect(b"alive")
    assert term.finish() == 4


# Starts argv[3:] the way a parent program would, after ignoring the signals
# named in argv[2] (as nohup, or a script's `&`, does): by fork and exec, or by
# posix_spawn (Python 3.13's subprocess uses it for a path; glibc's then hands
# the child its internal signals 32 and 33 ignored). Either way Python's own
# SIG_IGN for SIGPIPE and SIGXFSZ is put back, as subprocess does.
PARENT = """
import os, signal, sys
how, ignored, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
for name in filter(None, ignored.split(",")):
    signal.signal(getattr(signal, name), signal.SIG_IGN)
python_ignores = [signal.SIGPIPE, signal.SIGXFSZ]
if how == "posix_spawn":
    pid = os.posix_spawn(argv[0], argv, os.environ, setsigdef=python_ignores)
else:
    pid = os.fork()
    if pid == 0:
        for sig in python_ignores:
            signal.signal(sig, signal.SIG_DFL)
        os.execv(argv[0], argv)
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""


@pytest.mark.linux_only
@pytest.mark.parametrize("ignored", ["", "SIGHUP,SIGINT,SIGQUIT"], ids=["nothing-ignored", "nohup-and-background"])
@pytest.mark.parametrize("how", ["fork-exec", "posix_spawn"])
@pytest.mark.parametrize("path", ["recorded", "nested", "unrecorded-fallback"])
def test_command_gets_the_signal_dispositions_it_would_get_without_cs(cs_exe, cs_home, tmp_path, how, ignored, path):
    # The same parent starts the command directly, then through cs: the
    # command's ignored signals are the same, whoever the parent is and
    # whichever way cs runs it (recording, inside a recorded session, or
    # unrecorded after the recorder failed to start).
    show = [shutil.which("sh"), "-c", "grep -E '^SigIgn' /proc/$$/status"]
    env = dict(os.environ)
    if path == "nested":
        env["CS_SESSION_ID"] = "00000000-0000-4000-8000-000000000000"
    elif path == "unrecorded-fallback":
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "termios.py").write_text("raise ImportError('termios is broken')\n")
        env["PYTHONPATH"] = str(broken)

    def started_by_the_parent(argv):
        r = subprocess.run(
            [PY, "-c", PARENT, how, ignored, *argv], capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL
        )
        assert r.returncode == 0, r.stderr
        return r.stdout

    direct = started_by_the_parent(show)
    assert direct.startswith("SigIgn:")
    assert started_by_the_parent([cs_exe, "record", "--", *show]) == direct


@pytest.mark.parametrize("path", ["recorded", "unrecorded-fallback"])
def test_a_command_killed_by_sigpipe_ends_as_without_cs(cs_exe, cs_home, tmp_path, path):
    # Python ignores SIGPIPE; the command must not inherit that: `yes | head` ends.
    env = dict(os.environ)
    if path == "unrecorded-fallback":
        broken = tmp_path / "broken"
        broken.mkdir()
        (broken / "termios.py").write_text("raise ImportError('termios is broken')\n")
        env["PYTHONPATH"] = str(broken)
    r = subprocess.run(
        ["bash", "-c", f'{cs_exe} record -- yes | head -c 4; echo " ${{PIPESTATUS[0]}}"'],
        capture_output=True,
        text=True,
        env=env,
    )
    assert r.stdout == "y\ny\n 141\n"  # yes killed by SIGPIPE (128+13), as without cs


def test_large_binary_paste_reaches_the_child_byte_exact(cs_exe, cs_home, tmp_path):
    # 256 KiB of every byte value typed/pasted at once: forwarded with
    # backpressure (the child's PTY holds only a few KiB), nothing lost or changed.
    data = bytes(random.Random(9).getrandbits(8) for _ in range(256 * 1024))
    out = tmp_path / "received"
    term = Term(
        [
            cs_exe,
            "record",
            "--",
            "sh",
            "-c",
            f"stty raw -echo -iexten; echo ready; head -c {len(data)} > {out}; stty sane; echo done",
        ]
    )
    term.expect(b"ready")
    for i in range(0, len(data), 8192):
        term.send(data[i : i + 8192])
        term._pump(0)
    term.expect(b"done")
    assert term.finish() == 0
    assert out.read_bytes() == data
    assert stream(read_session(cs_home), "input") == data


def test_broken_install_still_runs_the_command_and_says_so_after(cs_exe, cs_home, tmp_path):
    # A broken install: a module the recorder needs (termios) cannot be
    # imported. The session must run anyway (in the user's own terminal), keep
    # its exit status and keys, and the warning comes once, after the
    # command's own output.
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "termios.py").write_text("raise ImportError('termios is broken')\n")
    env = dict(os.environ, PYTHONPATH=str(broken))
    term = Term([cs_exe, "record", "--", "sh", "-c", "[ -t 0 ] && echo on-a-tty; read x; echo got-$x; exit 9"], env=env)
    term.expect(b"on-a-tty")
    term.send(b"yes\r")
    assert term.finish() == 9
    screen = term.screen.decode()
    assert "got-yes" in screen
    warning = screen[screen.index("got-yes") :]
    assert warning.count("cs: this session was not recorded") == 1 and "termios is broken" in warning
    assert not (cs_home / "logs").exists() or not any((cs_home / "logs").iterdir())
