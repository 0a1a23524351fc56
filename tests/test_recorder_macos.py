"""The recorder where poll() refuses terminals, as macOS's does.

macOS's poll(2) does not support devices: on a terminal or a pseudo-terminal it
answers POLLNVAL (its man page, under BUGS). No Mac is at hand, so a small
LD_PRELOAD library, compiled here with the system's C compiler, gives Linux's
poll() that behaviour, and the real `cs record` must still record a session end
to end and exit, in both of its loops: the Python one (CS_PURE_PYTHON=1, the
reference) and the native relay (cs/record/_relay.c).
"""

import os
import resource
import shutil
import subprocess
import sys

import pytest

from cs.record import loop
from tests.helpers.pty import Term, events, read_session, stream

# poll(), ppoll() and the fortified __poll_chk() answer POLLNVAL for every
# descriptor that is a terminal, at once, and poll the others without waiting.
MACOS_POLL = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <time.h>
#include <unistd.h>

static int (*real_poll)(struct pollfd *, nfds_t, int);

static int refuse_terminals(struct pollfd *fds, nfds_t n, int *answered) {
    int terminals = 0;
    for (nfds_t i = 0; i < n; i++)
        if (fds[i].fd >= 0 && isatty(fds[i].fd)) terminals++;
    if (!terminals) return 0;
    if (!real_poll) real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
    int saved[n];
    for (nfds_t i = 0; i < n; i++) {
        saved[i] = fds[i].fd;
        if (fds[i].fd >= 0 && isatty(fds[i].fd)) fds[i].fd = -1;
    }
    int ready = real_poll(fds, n, 0);
    for (nfds_t i = 0; i < n; i++) {
        if (saved[i] != fds[i].fd) fds[i].revents = POLLNVAL;
        fds[i].fd = saved[i];
    }
    *answered = (ready < 0 ? 0 : ready) + terminals;
    return 1;
}

int poll(struct pollfd *fds, nfds_t n, int timeout) {
    int answered;
    if (refuse_terminals(fds, n, &answered)) return answered;
    if (!real_poll) real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
    return real_poll(fds, n, timeout);
}

int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len) {
    (void)len;
    return poll(fds, n, timeout);
}

int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *t, const sigset_t *mask) {
    (void)mask;
    return poll(fds, n, t ? (int)(t->tv_sec * 1000 + t->tv_nsec / 1000000) : -1);
}
"""


@pytest.fixture(scope="module")
def macos_poll(tmp_path_factory):
    """The path of the LD_PRELOAD library that makes poll() answer as macOS's."""
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if not cc:
        pytest.skip("no C compiler (cc) to build the LD_PRELOAD library that makes poll() refuse terminals")
    where = tmp_path_factory.mktemp("macos-poll")
    source = where / "macos_poll.c"
    source.write_text(MACOS_POLL)
    library = where / "macos_poll.so"
    built = subprocess.run(
        [cc, "-shared", "-fPIC", "-O1", "-o", str(library), str(source), "-ldl"], capture_output=True, text=True
    )
    assert built.returncode == 0, built.stderr
    return library


def test_the_library_really_makes_poll_refuse_terminals(macos_poll):
    # The premise: with the library loaded, Python's select.poll() on a PTY
    # answers POLLNVAL at once, as macOS's does; on a pipe it still works.
    probe = (
        "import os, select\n"
        "master, slave = os.openpty(); r, w = os.pipe(); os.write(w, b'x')\n"
        "p = select.poll(); p.register(slave, select.POLLIN); p.register(r, select.POLLIN)\n"
        "print(sorted(p.poll(5000)) == sorted([(slave, select.POLLNVAL), (r, select.POLLIN)]))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", probe], env=dict(os.environ, LD_PRELOAD=str(macos_poll)), capture_output=True
    )
    assert r.stdout == b"True\n", r.stderr


@pytest.mark.parametrize("native", [False, True], ids=["python-loop", "native-relay"])
def test_records_end_to_end_where_poll_refuses_terminals(cs_exe, cs_home, macos_poll, native):
    if native and loop.native_relay() is None:
        pytest.skip("the native recorder core (cs/record/_relay.c) is not built")
    env = dict(os.environ, LD_PRELOAD=str(macos_poll))
    env.pop("CS_PURE_PYTHON", None)
    if not native:
        env["CS_PURE_PYTHON"] = "1"
    term = Term([cs_exe, "record", "--", "bash", "-c", "echo hi"], env=env)
    try:
        assert term.finish(timeout=20) == 0  # fails, rather than hangs, if the recorder waits forever
    finally:
        if term.proc.isalive():
            term.proc.terminate(force=True)
    assert b"hi\r\n" in term.screen
    records = read_session(cs_home)
    assert stream(records, "output") == b"hi\r\n"
    assert events(records, "end")[0]["exit_code"] == 0


def test_too_many_open_descriptors_runs_the_command_unrecorded(cs_exe, cs_home):
    # select() takes descriptors below 1024. Started with 3..1039 open, the
    # recorder would have nowhere to put its own: the command runs as it would
    # without cs, and the user is told why once it is over.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip(f"the hard limit of open files ({hard}) is below the 2048 this test opens up to")
    crowd = (
        "import os, resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_NOFILE, (2048, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))\n"
        "null = os.open(os.devnull, os.O_RDONLY)\n"
        "os.set_inheritable(null, True)\n"
        "for fd in range(null + 1, 1040):\n"
        "    os.dup2(null, fd)\n"
        "os.execv(sys.argv[1], sys.argv[1:])\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", crowd, cs_exe, "record", "--", "sh", "-c", "echo hi; exit 3"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (r.returncode, r.stdout) == (3, "hi\n")
    assert r.stderr.startswith("cs: this session was not recorded: the recorder failed to start")
    assert "the next free ones are 1040 and 1041" in r.stderr and "fewer open files" in r.stderr
    assert not (cs_home / "logs").exists() or not any((cs_home / "logs").iterdir())


def test_doctor_finds_recording_works_where_poll_refuses_terminals(cs_exe, cs_home, macos_poll):
    # `cs doctor` runs the same recorder through a pseudo-terminal of its own:
    # on a Mac it is what tells a user recording works there.
    env = dict(os.environ, LD_PRELOAD=str(macos_poll))
    r = subprocess.run([cs_exe, "doctor"], capture_output=True, text=True, env=env, timeout=60)
    recording = [line for line in r.stdout.splitlines() if line.split()[1:2] == ["recording"]]
    assert len(recording) == 1 and recording[0].startswith("ok "), r.stdout + r.stderr
