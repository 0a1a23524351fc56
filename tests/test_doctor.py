"""`cs doctor` says, on any machine, whether recording will work: the real
console script, a real recording in a pseudo-terminal, real shells reading
real rc files, a real index and a real watcher."""

import os

import pytest

from tests.helpers.cli import run_cs
from tests.helpers.shell import base_env, shell_path, system_path_dirs, wait_for


@pytest.fixture
def user(tmp_path, cs_exe, cs_home):
    """A user's environment: a fresh HOME, bash as the login shell, cs on PATH."""
    env = base_env(tmp_path, [os.path.dirname(cs_exe), *system_path_dirs()], cs_home)
    env["SHELL"] = shell_path("bash")
    return env


def findings(proc) -> dict:
    """{check name: (status, message)} from doctor's lines."""
    found = {}
    for line in proc.stdout.splitlines():
        status, name, message = line.split(None, 2)
        found[name] = (status, message)
    return found


def install_bash_line(env):
    rc = os.path.join(env["HOME"], ".bashrc")
    with open(rc, "a") as f:
        f.write('eval "$(cs init bash)"\n')


def test_all_is_well_once_the_line_is_in_the_rc_file(cs_exe, user):
    install_bash_line(user)
    proc = run_cs(cs_exe, "doctor", env=user)
    found = findings(proc)
    assert list(found) == ["platform", "recording", "shell", "index", "indexer"]
    assert found["recording"][0] == "ok" and "logged" in found["recording"][1]
    assert found["shell"] == ("ok", "bash: ~/.bashrc has the `cs init` line")
    assert found["index"][0] == "ok"
    # No watcher here (CS_NO_DAEMON): a problem worth a line, not one that stops recording.
    assert found["indexer"][0] == "problem" and "cs index --daemon" in found["indexer"][1]


def test_no_shell_integration_is_a_problem_that_says_which_line_to_add(cs_exe, user):
    proc = run_cs(cs_exe, "doctor", env=user, check=False)
    assert proc.returncode == 1
    status, message = findings(proc)["shell"]
    assert status == "problem"
    assert 'add `eval "$(cs init bash)"` to ~/.bashrc' in message


def test_the_function_defined_elsewhere_counts(cs_exe, user):
    # The line lives in a file the rc file sources, not in the rc file itself:
    # an interactive bash is asked whether `claude` is a function.
    home = user["HOME"]
    with open(os.path.join(home, "cs-setup.sh"), "w") as f:
        f.write('eval "$(cs init bash)"\n')
    with open(os.path.join(home, ".bashrc"), "w") as f:
        f.write(". ~/cs-setup.sh\n")
    proc = run_cs(cs_exe, "doctor", env=user)
    assert findings(proc)["shell"] == ("ok", "bash: `claude` is the cs function in an interactive shell")


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_rc_files(cs_exe, user, shell):
    user["SHELL"] = shell_path(shell)
    home = user["HOME"]
    proc = run_cs(cs_exe, "doctor", env=user, check=False)
    assert proc.returncode == 1 and findings(proc)["shell"][0] == "problem"
    if shell == "zsh":
        rc, line = os.path.join(home, ".zshrc"), 'eval "$(cs init zsh)"'
    else:
        rc, line = os.path.join(home, ".config", "fish", "config.fish"), "cs init fish | source"
    os.makedirs(os.path.dirname(rc), exist_ok=True)
    with open(rc, "w") as f:
        f.write(line + "\n")
    assert findings(run_cs(cs_exe, "doctor", env=user))["shell"][0] == "ok"


def test_a_broken_recorder_is_a_problem_that_stops_recording(cs_exe, user, tmp_path):
    # A broken install: the recorder cannot import termios. The command still
    # runs (unrecorded); doctor sees that nothing was recorded and says so.
    install_bash_line(user)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "termios.py").write_text("raise ImportError('termios is broken')\n")
    user["PYTHONPATH"] = str(broken)
    proc = run_cs(cs_exe, "doctor", env=user, check=False)
    assert proc.returncode == 1
    status, message = findings(proc)["recording"]
    assert status == "problem"
    assert "this session was not recorded" in message and "termios is broken" in message


def test_an_index_that_does_not_open_is_reported_but_recording_goes_on(cs_exe, user, cs_home):
    install_bash_line(user)
    (cs_home / "index.db").mkdir(parents=True)  # a directory where the database should be
    proc = run_cs(cs_exe, "doctor", env=user)  # exit 0: recording is not affected
    status, message = findings(proc)["index"]
    assert status == "problem" and "cs index --rebuild" in message


def test_a_running_watcher_is_seen(cs_exe, user, cs_home):
    install_bash_line(user)
    run_cs(cs_exe, "index", "--daemon", env=user)
    try:
        wait_for(lambda: (cs_home / "indexer.lock").exists(), 10, what="the watcher's lock")
        assert findings(run_cs(cs_exe, "doctor", env=user))["indexer"] == ("ok", "the background indexer is running")
    finally:
        run_cs(cs_exe, "index", "--stop", env=user)


def test_inside_a_recorded_session_doctor_still_records_its_probe(cs_exe, user):
    # CS_SESSION_ID would make `cs record` run its command unrecorded; the
    # probe must record all the same, in its own throw-away home.
    install_bash_line(user)
    user["CS_SESSION_ID"] = "00000000-0000-4000-8000-000000000000"
    assert findings(run_cs(cs_exe, "doctor", env=user))["recording"][0] == "ok"


def test_doctor_leaves_nothing_behind(cs_exe, user, cs_home, tmp_path):
    install_bash_line(user)
    user["TMPDIR"] = str(tmp_path / "tmp")
    os.mkdir(user["TMPDIR"])
    run_cs(cs_exe, "doctor", env=user)
    assert not cs_home.exists() or not any(cs_home.iterdir())  # no index made, no log
    assert os.listdir(user["TMPDIR"]) == []  # the probe's home is gone
