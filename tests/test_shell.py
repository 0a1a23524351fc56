"""The shell integration, in the real shells: `cs init bash|zsh|fish` evaluated
the way the install lines say, then `claude` typed (or run from a script).

`claude` here is an argv-printing stand-in (tests/helpers/shell.py: FAKE_CLAUDE):
these tests are about what reaches the program and what the wrapper does
around it. The real Claude Code CLI is driven in tests/test_claude_e2e.py.
"""

import base64
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ptyprocess import PtyProcessUnicode

from tests.helpers.shell import (
    SHELLS,
    all_args,
    base_env,
    init_line,
    logs,
    make_fake_claude,
    noninteractive_argv,
    records,
    shell_path,
    start_record,
    system_path_dirs,
    wait_for,
)
from tests.helpers.tools import missing_tool, process_args

# Arguments that a careless wrapper would mangle: spaces, the empty string, a
# lone `--` (must reach claude, not be eaten), a glob and a variable that must
# not be expanded, a newline, an option.
AWKWARD = ["a b", "", "--", "*", "$HOME", "x\ny", "-p", "--model", 'it\'s "quoted"']


@pytest.fixture
def fake_bin(tmp_path):
    bin_dir = tmp_path / "fakebin"
    make_fake_claude(bin_dir)
    return bin_dir


@pytest.fixture
def env(tmp_path, cs_exe, fake_bin, cs_home):
    """fake claude first (a real claude may sit beside cs), then cs, then the system."""
    return base_env(tmp_path, [fake_bin, Path(cs_exe).parent, *system_path_dirs()], cs_home)


def run_shell(shell, script, args=(), env=None, cwd=None, timeout=20):
    return subprocess.run(
        noninteractive_argv(shell, script, args),
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def wrapped(shell, cs_exe, body):
    """A script that loads the integration as the install line does, then body."""
    return init_line(shell, cs_exe) + "\n" + body


def printed_argv(proc):
    lines = proc.stdout.decode().splitlines()
    assert len(lines) == 1, f"claude ran {len(lines)} times: {proc.stdout!r} {proc.stderr!r}"
    return json.loads(lines[0])


# ---------------------------------------------------------------- recorded runs


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("args", [AWKWARD, ["-p", "--", "-c", "x"], []], ids=["awkward", "options", "none"])
def test_arguments_reach_claude_intact_and_session_is_recorded(shell, args, cs_exe, env, cs_home, tmp_path):
    proc = run_shell(shell, wrapped(shell, cs_exe, f"claude {all_args(shell)}"), args, env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert printed_argv(proc) == args
    (log,) = logs(cs_home)
    start = start_record(log)
    assert Path(start["argv"][0]).name == "claude"
    assert start["argv"][1:] == args
    # What claude printed is in the log too, byte for byte.
    out = b"".join(base64.b64decode(r["data"]) for r in records(log) if r.get("direction") == "output")
    assert out == proc.stdout


@pytest.mark.parametrize("shell", SHELLS)
def test_claude_gets_the_recordings_id_as_its_session_id(shell, cs_exe, env, cs_home, tmp_path):
    """cs.record.claude_link: a new Claude session is given the recording's id,
    so the two are linked from the first second; the user's arguments follow
    untouched, and a session the user chose (--resume) is left alone. A single
    word could be a subcommand: until the recorder has read this claude's
    --help (in the background, after the first session), it is left alone too."""
    noted = tmp_path / "session-id"
    env["FAKE_CLAUDE_SESSION_FILE"] = str(noted)
    proc = run_shell(shell, wrapped(shell, cs_exe, "claude hello"), (), env, tmp_path)
    assert printed_argv(proc) == ["hello"], proc.stderr
    assert not noted.exists(), "an unknown claude got --session-id before a word that could be a subcommand"
    wait_for_cli_facts(cs_home)
    proc = run_shell(shell, wrapped(shell, cs_exe, "claude hello"), (), env, tmp_path)
    assert printed_argv(proc) == ["hello"], proc.stderr
    log = newest_log(cs_home)
    assert noted.read_text() == start_record(log)["session_id"]
    linked = [r for r in records(log) if r.get("type") == "claude_session"]
    assert [r["claude_session_id"] for r in linked] == [noted.read_text()]
    noted.unlink()
    for line in ("claude --resume 0f0e0d0c-0b0a-4900-8800-000000000001", "claude stop x", "claude kill x"):
        proc = run_shell(shell, wrapped(shell, cs_exe, line), (), env, tmp_path)
        assert printed_argv(proc) == line.split()[1:]
        assert not noted.exists(), line


def wait_for_cli_facts(cs_home, timeout=20.0):
    """The facts file the recorder's background `claude --help` reader writes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list((cs_home / "claude-cli").glob("*.txt")) if (cs_home / "claude-cli").exists() else []
        if found:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no facts in {cs_home / 'claude-cli'} after {timeout} s")


def newest_log(cs_home):
    return max(logs(cs_home), key=lambda p: p.stat().st_mtime_ns)


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("code", [0, 1, 3, 42])
def test_exit_code_of_claude_is_the_exit_code_of_the_function(shell, code, cs_exe, env, cs_home, tmp_path):
    env["FAKE_CLAUDE_EXIT"] = str(code)
    status = "$status" if shell == "fish" else "$?"
    proc = run_shell(shell, wrapped(shell, cs_exe, f"claude x\necho rc={status}"), (), env, tmp_path)
    assert proc.stdout.decode().splitlines() == ['["x"]', f"rc={code}"], proc.stderr
    assert len(logs(cs_home)) == 1


@pytest.mark.parametrize("shell", SHELLS)
def test_sourcing_twice_wraps_once(shell, cs_exe, env, cs_home, tmp_path):
    count = tmp_path / "runs"
    env["FAKE_CLAUDE_COUNT"] = str(count)
    line = init_line(shell, cs_exe)
    proc = run_shell(shell, f"{line}\n{line}\nclaude once", (), env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert printed_argv(proc) == ["once"]
    assert count.read_text() == "ran\n"
    (log,) = logs(cs_home)
    assert start_record(log)["argv"][1:] == ["once"]
    assert proc.stderr == b""


# ---------------------------------------------------------------- definitions


@pytest.mark.parametrize("shell", SHELLS)
def test_claude_is_a_function_defined_once_after_sourcing_twice(shell, cs_exe, env, tmp_path):
    line = init_line(shell, cs_exe)
    if shell == "fish":
        check = "functions --all | string match -- claude | count; type -t claude"
    elif shell == "bash":
        check = "declare -F | grep -cx 'declare -f claude'; type -t claude"
    else:
        check = "print -l ${(k)functions} | grep -cx claude; whence -w claude"
    proc = run_shell(shell, f"{line}\n{line}\n{check}", (), env, tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.decode().split()
    assert out[0] == "1"
    assert out[-1] == "function"
    assert proc.stderr == b""


@pytest.mark.parametrize("shell", SHELLS)
def test_an_alias_named_claude_does_not_break_loading(shell, cs_exe, env, tmp_path):
    """bash and zsh expand aliases while parsing: `claude() {` under an alias
    would be a syntax error; `function claude {` is not."""
    if shell == "fish":
        alias = "alias claude 'claude --from-alias'"
    elif shell == "bash":
        alias = "shopt -s expand_aliases; alias claude='claude --from-alias'"
    else:
        alias = "alias claude='claude --from-alias'"
    env["CS_DISABLE"] = "1"
    proc = run_shell(
        shell, f"{alias}\n{init_line(shell, cs_exe)}\ncommand -v cs >/dev/null && echo loaded", (), env, tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().split() == ["loaded"]
    assert proc.stderr == b""


# ---------------------------------------------------------------- opting out, fallbacks


@pytest.mark.parametrize("shell", SHELLS)
def test_cs_disable_runs_claude_directly_and_records_nothing(shell, cs_exe, env, cs_home, tmp_path):
    env["CS_DISABLE"] = "1"
    env["FAKE_CLAUDE_EXIT"] = "5"
    proc = run_shell(shell, wrapped(shell, cs_exe, f"claude {all_args(shell)}"), AWKWARD, env, tmp_path)
    assert proc.returncode == 5
    assert printed_argv(proc) == AWKWARD
    assert proc.stderr == b""
    assert not cs_home.exists()


def own_cs_at(directory: Path, cs_exe: str) -> Path:
    """A copy of the console script in `directory`: `cs init` run through it
    writes that path into the script, as a user's install location."""
    directory.mkdir(parents=True, exist_ok=True)
    ours = directory / "cs"
    shutil.copy2(cs_exe, ours)
    return ours


def init_through(ours: Path, shell: str, tmp_path: Path) -> Path:
    """The rc file holding what `ours init SHELL` printed."""
    rc_file = tmp_path / f"rc.{shell}"
    rc_file.write_bytes(subprocess.run([str(ours), "init", shell], capture_output=True, check=True).stdout)
    return rc_file


@pytest.mark.parametrize("shell", SHELLS)
def test_cs_gone_from_where_it_was_still_runs_claude(shell, cs_exe, env, cs_home, tmp_path, fake_bin):
    # The rc was written when cs was there; later it is gone (uninstalled).
    ours = own_cs_at(tmp_path / "ours", cs_exe)
    rc_file = init_through(ours, shell, tmp_path)
    ours.unlink()
    env["FAKE_CLAUDE_EXIT"] = "4"
    count = tmp_path / "runs"
    env["FAKE_CLAUDE_COUNT"] = str(count)
    status = "$status" if shell == "fish" else "$?"
    body = f"source {rc_file}\nclaude {all_args(shell)}\necho rc={status}\nclaude again\n"
    proc = run_shell(shell, body, AWKWARD, env, tmp_path)
    out = proc.stdout.decode().splitlines()
    assert json.loads(out[0]) == AWKWARD
    assert out[1:] == ["rc=4", '["again"]']
    assert count.read_text() == "ran\nran\n"
    # Said once per shell, not once per claude, naming where cs was.
    assert proc.stderr.decode().count("not recorded") == 1
    assert str(ours) in proc.stderr.decode()
    assert not cs_home.exists()


FOREIGN_CS = '#!/bin/sh\necho "[error] Unrecognized argument: $1" >&2\necho ran >> "$FOREIGN_CS_RUNS"\nexit 1\n'


@pytest.mark.parametrize("shell", SHELLS)
def test_a_foreign_cs_first_on_path_is_never_run(shell, cs_exe, env, cs_home, tmp_path, fake_bin):
    """Another program called cs (Coursier's) ahead of ours on PATH: the
    function runs the cs that printed it, records, and never runs the other
    (cs.shell_init.own_command)."""
    ours = own_cs_at(tmp_path / "ours", cs_exe)
    foreign = tmp_path / "coursier" / "cs"
    foreign.parent.mkdir()
    foreign.write_text(FOREIGN_CS)
    foreign.chmod(0o755)
    env["FOREIGN_CS_RUNS"] = str(tmp_path / "foreign-runs")
    env["PATH"] = f"{foreign.parent}:{env['PATH']}"
    status = "$status" if shell == "fish" else "$?"
    if shell == "fish":
        load = f"{ours} init fish | source"
    else:
        load = f'eval "$({ours} init {shell})"'
    proc = run_shell(shell, f"{load}\nclaude {all_args(shell)}\necho rc={status}\n", AWKWARD, env, tmp_path)
    out = proc.stdout.decode().splitlines()
    assert json.loads(out[0]) == AWKWARD, proc.stderr
    assert out[1:] == ["rc=0"]
    assert not (tmp_path / "foreign-runs").exists(), "the foreign cs ran"
    (log,) = logs(cs_home)
    assert start_record(log)["argv"][1:] == AWKWARD
    # The package's own name runs the same program.
    named = subprocess.run([str(Path(cs_exe).with_name("cs-sessions")), "--help"], capture_output=True, text=True)
    assert named.returncode == 0 and "search" in named.stdout


BROKEN_CS = {
    # the recorder could not start and spawned nothing: its dedicated status
    "recorder cannot start": "#!/bin/sh\necho 'cs: cannot record: no pty' >&2\nexit 125\n",
    # the interpreter of the cs script is gone (a removed virtualenv)
    "interpreter gone": "#!/nonexistent/python3\n",
}


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("broken", sorted(BROKEN_CS))
def test_broken_cs_falls_back_to_running_claude_once(shell, broken, cs_exe, env, tmp_path, fake_bin):
    ours = own_cs_at(tmp_path / "ours", cs_exe)
    rc_file = init_through(ours, shell, tmp_path)  # loaded with a working cs...
    ours.write_text(BROKEN_CS[broken])  # ...which then breaks where it is
    count = tmp_path / "runs"
    env["FAKE_CLAUDE_COUNT"] = str(count)
    env["FAKE_CLAUDE_EXIT"] = "6"
    status = "$status" if shell == "fish" else "$?"
    body = f"source {rc_file}\nclaude {all_args(shell)}\necho rc={status}\n"
    proc = run_shell(shell, body, AWKWARD, env, tmp_path)
    out = proc.stdout.decode().splitlines()
    assert json.loads(out[0]) == AWKWARD, proc.stderr
    assert out[1:] == ["rc=6"]
    assert count.read_text() == "ran\n"
    assert "not recorded" in proc.stderr.decode()


@pytest.mark.parametrize("shell", SHELLS)
def test_cs_that_ran_claude_and_failed_is_not_retried(shell, cs_exe, env, tmp_path):
    """A failure status that claude itself returned (through cs) must not make
    the wrapper run claude a second time."""
    # `cs record -- claude ARGS` runs claude unrecorded; anything else is the real cs.
    shim = tmp_path / "shim" / "cs"
    shim.parent.mkdir()
    shim.write_text(SHIM.format(real=cs_exe, record='shift 2; exec "$@"'))
    shim.chmod(0o755)
    count = tmp_path / "runs"
    env["FAKE_CLAUDE_COUNT"] = str(count)
    env["FAKE_CLAUDE_EXIT"] = "1"
    status = "$status" if shell == "fish" else "$?"
    proc = run_shell(
        shell, f"source {init_through(shim, shell, tmp_path)}\nclaude z\necho rc={status}", (), env, tmp_path
    )
    assert proc.stdout.decode().splitlines() == ['["z"]', "rc=1"], proc.stderr
    assert count.read_text() == "ran\n"


# A stand-in for cs that takes its place: `init` prints the real script with the
# stand-in's own path in it; {record} handles `record`; the rest goes to the real cs.
SHIM = """#!/bin/sh
case "$1" in
    init) "{real}" "$@" | sed "s#{real}#$0#"; exit ;;
    record) {record} ;;
esac
exec "{real}" "$@"
"""


def test_init_unknown_shell_fails_clearly(cs_exe):
    proc = subprocess.run([cs_exe, "init", "nosuchshell"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stdout == ""
    err = proc.stderr
    assert "nosuchshell" in err and "bash" in err and "zsh" in err and "fish" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("shell", SHELLS)
def test_init_prints_the_shipped_script(shell, cs_exe):
    """The shipped file, but for the one line that names the cs that printed it."""
    proc = subprocess.run([cs_exe, "init", shell], capture_output=True, check=True)
    shipped = (Path(__file__).resolve().parent.parent / "shell" / f"cs.{shell}").read_text()
    line = "set -g __cs_bin cs\n" if shell == "fish" else "__cs_bin=cs\n"
    assert line in shipped
    named = line.replace(" cs\n", f" '{cs_exe}'\n") if shell == "fish" else line.replace("=cs\n", f"={cs_exe}\n")
    assert proc.stdout.decode() == shipped.replace(line, named, 1)


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_init_script_passes_shellcheck(shell, cs_exe):
    """What `cs init bash|zsh` prints is linted. shellcheck has no zsh mode: the
    zsh script is written in the syntax the two shells share (only its
    commands differ, e.g. `whence -p` for `type -P`), so it is checked as bash."""
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        missing_tool("shellcheck")
    script = subprocess.run([cs_exe, "init", shell], capture_output=True, check=True).stdout
    proc = subprocess.run([shellcheck, "--shell=bash", "--severity=style", "-"], input=script, capture_output=True)
    assert proc.returncode == 0, proc.stdout.decode()


@pytest.mark.parametrize("shell", SHELLS)
def test_init_script_is_valid_syntax_for_its_shell(shell, cs_exe):
    exe = shutil.which(shell)
    if not exe:
        missing_tool(shell)
    script = subprocess.run([cs_exe, "init", shell], capture_output=True, check=True).stdout
    check = [exe, "--no-execute"] if shell == "fish" else [exe, "-n"]
    proc = subprocess.run(check, input=script, capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()


# ---------------------------------------------------------------- interactive, in a PTY


class Terminal:
    """A real interactive shell in a PTY; output collected by a reader thread."""

    def __init__(self, argv, env, cwd):
        self.proc = PtyProcessUnicode.spawn(argv, env=env, cwd=str(cwd), dimensions=(30, 100))
        self.output = ""
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self):
        while True:
            try:
                data = self.proc.read(4096)
            except EOFError:
                return
            with self._lock:
                self.output += data

    def text(self):
        with self._lock:
            return self.output

    def wait_for(self, needle, timeout=15, after=0):
        return wait_for(
            lambda: needle in self.text()[after:],
            timeout,
            what=f"{needle!r} on the terminal; got {self.text()[after:][-800:]!r}",
        )

    def type(self, line):
        self.proc.write(line + "\r")

    def close(self):
        if self.proc.isalive():
            self.proc.terminate(force=True)


def interactive_shell(shell, env, tmp_path, rc_body):
    """Start `shell` interactively with an rc file holding rc_body and a prompt
    that is easy to find (READY>)."""
    exe = shell_path(shell)
    home = Path(env["HOME"])
    if shell == "bash":
        rc = tmp_path / "bashrc"
        rc.write_text(rc_body + "\nPS1='READY> '\n")
        argv = [exe, "--noprofile", "--rcfile", str(rc), "-i"]
    elif shell == "zsh":
        zdot = tmp_path / "zdot"
        zdot.mkdir()
        (zdot / ".zshrc").write_text(rc_body + "\nPROMPT='READY> '\nunsetopt zle\n")
        env = dict(env, ZDOTDIR=str(zdot))
        argv = [exe, "-i"]
    else:
        conf = home / ".config" / "fish"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "config.fish").write_text(
            rc_body + "\nfunction fish_prompt; echo -n 'READY> '; end\nfunction fish_greeting; end\n"
        )
        argv = [exe, "-i"]
    return Terminal(argv, env, tmp_path)


TYPED = {
    # What a user types, quoted in each shell's own syntax; it must arrive as AWKWARD_TYPED.
    "bash": "claude 'a b' '' -- '*' '$HOME' -p \"it's\"; echo \"rc=$?\"",
    "zsh": "claude 'a b' '' -- '*' '$HOME' -p \"it's\"; echo \"rc=$?\"",
    "fish": "claude 'a b' '' -- '*' '$HOME' -p \"it's\"; echo \"rc=$status\"",
}
AWKWARD_TYPED = ["a b", "", "--", "*", "$HOME", "-p", "it's"]


@pytest.mark.parametrize("shell", SHELLS)
def test_interactive_shell_records_typed_claude(shell, cs_exe, env, cs_home, tmp_path):
    env["FAKE_CLAUDE_EXIT"] = "3"
    term = interactive_shell(shell, env, tmp_path, init_line(shell, cs_exe))
    try:
        term.wait_for("READY> ")
        mark = len(term.text())
        term.type(TYPED[shell])
        term.wait_for("rc=3", after=mark)
        shown = term.text()[mark:]
        assert json.dumps(AWKWARD_TYPED) in shown
        assert "not recorded" not in shown
        (log,) = logs(cs_home)
        assert start_record(log)["argv"][1:] == AWKWARD_TYPED
        term.type("exit")
        wait_for(lambda: not term.proc.isalive(), 10, what="the shell to exit")
    finally:
        term.close()


DAEMON_SHIM = """#!/bin/sh
# Stands in for `cs` to see how the shell starts the indexer; `init` prints the
# real script naming this stand-in; everything else goes to the real cs.
if [ "$1" = init ]; then
    "{real}" "$@" | sed "s#{real}#$0#"
    exit
fi
if [ "$1" = index ] && [ "$2" = --daemon ]; then
    fds="fd0=$(readlink /proc/$$/fd/0) fd1=$(readlink /proc/$$/fd/1) fd2=$(readlink /proc/$$/fd/2)"
    echo "pid=$$ $fds" >> "{marks}"
    exec sleep 60
fi
exec "{real}" "$@"
"""


@pytest.mark.linux_only
@pytest.mark.parametrize("shell", SHELLS)
def test_interactive_shell_starts_the_indexer_once_quietly_in_background(shell, cs_exe, env, tmp_path):
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    marks = tmp_path / "daemon-starts"
    (shim_dir / "cs").write_text(DAEMON_SHIM.format(marks=marks, real=cs_exe))
    (shim_dir / "cs").chmod(0o755)
    env["PATH"] = f"{shim_dir}:{env['PATH']}"
    del env["CS_NO_DAEMON"]
    line = init_line(shell, cs_exe)
    # Loaded twice (an rc sourced again): still one indexer start.
    term = interactive_shell(shell, env, tmp_path, f"{line}\n{line}")
    pids = []
    try:
        # The prompt comes although the "indexer" never exits: nothing waits for it.
        term.wait_for("READY> ")
        text = wait_for(
            lambda: marks.exists() and marks.read_text().count("fd2=") and marks.read_text(),
            10,
            what="the indexer to start",
        )
        pids = [int(x.split("=")[1]) for x in text.split() if x.startswith("pid=")]
        assert len(pids) == 1, text
        assert "fd0=/dev/null" in text and "fd1=/dev/null" in text and "fd2=/dev/null" in text
        mark = len(term.text())
        term.type("echo alive")
        term.wait_for("alive\r\n", after=mark)
        term.wait_for("READY> ", after=mark)
        # Nothing printed by starting it: no job number, no "Done" later.
        assert "[1]" not in term.text() and "Job" not in term.text()
    finally:
        term.close()
        for pid in pids:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


@pytest.mark.parametrize("manager, unit", [("systemd", "cs-indexer.service"), ("launchd", "com.cs.indexer.plist")])
def test_init_prints_the_watcher_unit_running_this_cs(manager, unit, cs_exe):
    shipped = Path(__file__).resolve().parent.parent / "shell" / unit
    proc = subprocess.run([cs_exe, "init", manager], capture_output=True, text=True, check=True)
    # The unit runs the cs that printed it, by absolute path (a service
    # manager's PATH seldom has a virtualenv or ~/.local/bin), and is
    # otherwise the shipped file.
    assert cs_exe in proc.stdout
    assert proc.stdout.replace(cs_exe, "cs").replace("/usr/bin/env cs", "cs") == shipped.read_text().replace(
        "/usr/bin/env cs", "cs"
    )
    if manager == "systemd":
        assert f"ExecStart={cs_exe} index --watch" in proc.stdout


@pytest.mark.parametrize(
    "shell, strict", [("bash", "set -euo pipefail"), ("zsh", "setopt err_exit no_unset pipe_fail")]
)
def test_strict_mode_scripts_behave_as_with_claude_itself(shell, strict, cs_exe, env, cs_home, tmp_path):
    """Under errexit and nounset the function is as quiet as claude: a success
    goes on, a failure stops the script with claude's status."""
    script = wrapped(shell, cs_exe, f"{strict}\nclaude ok\necho between\nFAKE_CLAUDE_EXIT=9 claude fails\necho after")
    proc = run_shell(shell, script, (), env, tmp_path)
    assert proc.returncode == 9
    assert proc.stdout.decode().splitlines() == ['["ok"]', "between", '["fails"]']
    assert proc.stderr == b""
    assert len(logs(cs_home)) == 2


def _watcher_pid(cs_home: Path):
    """The pid of the watcher holding <home>/indexer.lock, or None if no
    process holds it (the lock, not the number, says whether one runs)."""
    import fcntl

    lock = cs_home / "indexer.lock"
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    except BlockingIOError:
        text = lock.read_text().strip()
        return int(text) if text.isdigit() else None
    finally:
        os.close(fd)


def _settled_watcher_pid(cs_home: Path):
    """The watcher's pid once it is the daemon itself: `--daemon` writes its
    own pid before forking and the daemon then writes its pid over it, so wait
    until the number stays put and names a live `cs index` process."""
    first = _watcher_pid(cs_home)
    if first is None:
        return None
    time.sleep(0.3)
    if _watcher_pid(cs_home) != first:
        return None
    return first if "index" in process_args(first).split() else None


def _indexed(db_path: Path, needle: str) -> int:
    import sqlite3

    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT count(*) FROM lines WHERE text LIKE ?", (f"%{needle}%",)).fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or busy
        return 0


@pytest.mark.parametrize("shell", SHELLS)
def test_shells_start_one_real_watcher_that_indexes_what_claude_showed(shell, cs_exe, env, cs_home, tmp_path):
    """The whole path with the real cs: the shell starts `cs index --daemon`,
    claude typed at the prompt is recorded, and the watcher (not a search,
    which would catch up by itself) puts what it showed into the index."""
    del env["CS_NO_DAEMON"]
    needle = "needle" + os.urandom(4).hex()
    terms, pid = [], None
    try:
        for n in range(2):  # a second shell finds the watcher running
            where = tmp_path / f"shell{n}"
            where.mkdir()
            term = interactive_shell(shell, dict(env), where, init_line(shell, cs_exe))
            terms.append(term)
            term.wait_for("READY> ")
            now = wait_for(lambda: _settled_watcher_pid(cs_home), 10, what="a watcher holding the lock")
            assert pid in (None, now), "a second shell started a second watcher"
            pid = now
        mark = len(terms[0].text())
        terms[0].type(f"claude {needle}")
        terms[0].wait_for(f'["{needle}"]', after=mark)
        wait_for(lambda: _indexed(cs_home / "index.db", needle), 15, what="the watcher to index the session")
        assert _watcher_pid(cs_home) == pid
        for term in terms:
            assert "indexer" not in term.text() and "[1]" not in term.text()
    finally:
        for term in terms:
            term.close()
        if pid:
            os.kill(pid, 15)
            wait_for(lambda: _watcher_pid(cs_home) is None, 10, what="the watcher to stop")


@pytest.mark.parametrize("shell", SHELLS)
def test_init_for_a_shell_does_not_import_click(shell, cs_exe):
    """It runs on every shell start, so it skips the command-line framework."""
    python = Path(cs_exe).parent / "python"
    proc = subprocess.run(
        [str(python if python.exists() else sys.executable), "-X", "importtime", "-m", "cs", "init", shell],
        capture_output=True,
        text=True,
        check=True,
    )
    # Run as `python -m cs`: the console script beside that Python is what it names.
    assert proc.stdout == subprocess.run([cs_exe, "init", shell], capture_output=True, text=True).stdout
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()]
    assert "cs.shell_init" in imported
    assert not [name for name in imported if name.split(".")[0] == "click"]
