"""`cs replay` in a terminal: timing, keys, markers, and a terminal left as it was.

Contract (tests/test_playback_replay.py drives it through a real PTY):

* Output is written with its recorded timing, pauses capped at `idle_limit`
  and everything scaled by `speed`. A seek (`--at`) first writes the repaint
  of the recorded terminal at that moment (cs.playback.terminal.ScreenModel).
* Keys: space pause/resume, `.` one event while paused, `+`/`-` double/halve
  the speed, `]` jump to the next marker (a submitted prompt: the model is fed
  up to it, nothing written on the way), `[` to the previous one (a new
  seek), `q` quit, Ctrl-C quit with status 130. Keys and anything else read
  from the terminal (answers, mouse reports) are consumed: the terminal is in
  raw mode without echo for the whole replay.
* Secrets are redacted (cs.playback.redacted: the stream redaction of the
  exports, the repaint of a seek included) unless `Options.raw` (`--raw`).
* Queries in the recording are not written (QueryFilter), so the terminal
  sends no answers; whatever arrives anyway is drained before returning.
* However it ends (end of log, `q`, Ctrl-C, SIGTERM, SIGHUP, the log
  vanishing, an error), the modes the replay switched on are switched off
  (ModeTracker.restore), pending input is discarded and the tty settings are
  restored.
"""

import itertools
import math
import os
import re
import select
import signal
import termios
import time
import tty
from dataclasses import dataclass

from cs.errors import CsError
from cs.playback import seek as seeking
from cs.playback.redacted import RedactedStream
from cs.playback.terminal import ModeTracker, QueryFilter

MAX_SPEED, MIN_SPEED = 64.0, 1 / 64
DRAIN_S = 0.15  # how long answers to stray queries may take to arrive


class Interrupted(CsError):
    """Ctrl-C during a replay."""

    exit_code = 130

    def __init__(self):
        super().__init__("replay interrupted")


class _Stop(Exception):
    """A signal asked us to stop."""


@dataclass
class Options:
    speed: float = 1.0
    idle_limit: float = 2.0  # seconds; None or 0: no cap
    follow: bool = False
    raw: bool = False  # the recorded bytes, secrets and all


def parse_keys(data: bytes) -> list:
    """The keys a user pressed, with terminal answers and other escape
    sequences (mouse reports, focus events, arrow keys) dropped."""
    data = _NOT_KEYS.sub(b"", data)
    return [bytes([b]) for b in data]


_NOT_KEYS = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\"
    rb"|O.|.)?",
    re.DOTALL,
)


class Player:
    def __init__(self, out_fd: int, key_fd, logs_dir, session_id, options: Options, seeker=None):
        self.out_fd, self.key_fd = out_fd, key_fd
        self.logs_dir, self.session_id = logs_dir, session_id
        self.opt = options
        # Where a `[` jump seeks: the session's log, or (a team member's shared
        # recording) the events it was given (cs.playback.seek.seek_events).
        self.seeker = seeker or (lambda target: seeking.seek(logs_dir, session_id, target, options.follow))
        self.modes = ModeTracker()
        self.filter = QueryFilter()
        self.redacted = None  # set by run(), from the session's start line
        self.paused = False
        self.step = False

    # -------------------------------------------------------------- writing

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self.out_fd, view)
            view = view[n:]

    def show(self, state: seeking.Seeked) -> None:
        """Put the terminal in the recorded state (after undoing ours)."""
        self.write(self.modes.restore())
        self.modes = ModeTracker()
        self.filter = QueryFilter()
        paint = self.redacted.repaint(state.model.repaint(), state.model.size[0])
        self.modes.feed(paint)
        self.write(paint)

    def play_output(self, data: bytes) -> None:
        """Recorded output, redacted, without queries, to the terminal."""
        self._write_shown(self.redacted.feed(data))

    def _write_shown(self, data: bytes) -> None:
        data = self.filter.feed(data)
        if data:
            self.modes.feed(data)
            self.write(data)

    # ---------------------------------------------------------------- keys

    def wait(self, seconds) -> list:
        """Keys pressed within `seconds` (None: until one is)."""
        if self.key_fd is None:
            if seconds:
                time.sleep(seconds)
            return []
        ready, _, _ = select.select([self.key_fd], [], [], seconds)
        if not ready:
            return []
        try:
            data = os.read(self.key_fd, 4096)
        except OSError:
            data = b""
        return parse_keys(data)

    # ---------------------------------------------------------------- play

    def run(self, state: seeking.Seeked, repaint: bool) -> None:
        """Play state.rest; a marker jump starts over from the new state."""
        self.redacted = RedactedStream(state.start, raw=self.opt.raw)
        self.redacted.resize(state.model.size[0])
        while state is not None:
            if repaint:
                self.show(state)
            state, repaint = self._play(state), True
        self._write_shown(self.redacted.flush())
        tail = self.filter.flush()
        if tail:
            self.modes.feed(tail)
            self.write(tail)

    def _play(self, state: seeking.Seeked):
        """Play until the end (None) or a marker jump (the state to jump to)."""
        self.state = state
        clock, due = state.t, time.monotonic()
        events = state.rest
        for event in events:
            if event is None:  # following a live session: nothing new yet
                self._write_shown(self.redacted.flush())  # what was held waiting for more
                action = self.handle(self.wait(0))
                due = time.monotonic()
            else:
                t = event.t
                if event.kind in ("o", "r") and clock is not None and not math.isnan(t):
                    gap = max(0.0, t - clock)
                    if self.opt.idle_limit:
                        gap = min(gap, self.opt.idle_limit)
                    due += gap / self.opt.speed
                action, due = self._wait_until(due)
            if action == "next":
                return self._to_next_marker(events, event)
            if action == "previous":
                return self._to_previous_marker(clock, state.markers)
            if event is None:
                continue
            if not math.isnan(t):
                clock = t
            if event.kind == "o":
                state.model.feed(event.data)
                self.play_output(event.data)
            elif event.kind == "r":
                state.model.resize(event.data["cols"], event.data["rows"])
                self.redacted.resize(event.data["cols"])
            elif event.kind == "i":
                for label, _ in state.keys.feed(event.data):
                    state.markers.append(seeking.Marker(clock, event.pos, label))
        return None

    def _wait_until(self, due: float):
        """Handle keys until `due` (monotonic), longer while paused; returns
        (marker action or None, the due time, moved on by a pause)."""
        while True:
            now = time.monotonic()
            if self.paused and not self.step:
                action = self.handle(self.wait(None))
                if not self.paused:
                    due = time.monotonic()
            else:
                action = self.handle(self.wait(max(0.0, due - now)))
            if action:
                return action, due
            if self.step:
                self.step = False
                return None, time.monotonic()
            if not self.paused and time.monotonic() >= due:
                return None, due

    def handle(self, keys: list):
        """Apply keys; returns "next"/"previous" for marker jumps, else None."""
        for key in keys:
            if key == b"\x03":
                raise Interrupted()
            if key in (b"q", b"Q"):
                raise _Stop()
            if key == b" ":
                self.paused = not self.paused
            elif key == b"." and self.paused:
                self.step = True
            elif key in (b"+", b"="):
                self.opt.speed = min(MAX_SPEED, self.opt.speed * 2)
            elif key in (b"-", b"_"):
                self.opt.speed = max(MIN_SPEED, self.opt.speed / 2)
            elif key == b"]":
                return "next"
            elif key == b"[":
                return "previous"
        return None

    def _to_next_marker(self, events, current):
        """The state just after the next submitted prompt, reached by feeding
        the model what lies between (nothing is written); at the end of the
        log (or the live edge) the state there."""
        state = self.state
        for e in itertools.chain([current] if current is not None else [], events):
            if e is None:  # following, at the live edge: go on from here
                break
            if not math.isnan(e.t):
                state.t = e.t
            if e.kind == "o":
                state.model.feed(e.data)
            elif e.kind == "r":
                state.model.resize(e.data["cols"], e.data["rows"])
            elif e.kind == "i":
                labels = state.keys.feed(e.data)
                state.markers.extend(seeking.Marker(state.t, e.pos, label) for label, _ in labels)
                if labels:
                    break
        state.rest = events
        return state

    def _seek_after(self, pos):
        target = seeking.Target(pos=self._after(pos)) if pos else seeking.Target()
        return self.seeker(target)

    def _after(self, pos):
        return (pos[0], pos[1] + 1)

    def _to_previous_marker(self, clock, markers):
        """The marker before the one just passed (a second's grace), else the start."""
        earlier = [m for m in markers if clock is None or m.t is None or m.t < clock - 1.0]
        return self._seek_after(earlier[-1].pos if earlier else None)


def play(logs_dir, session_id, target, options: Options, out_fd: int, key_fd, on_too_small=None, seeker=None) -> None:
    """Replay in the terminal at out_fd, reading keys from key_fd (a tty, or
    None for no keys). Raises Interrupted on Ctrl-C; restores the terminal.
    When the terminal is smaller than the recording at the starting point,
    `on_too_small(needed, have, key_fd)` is asked first; False: do not play.
    `seeker(target) -> Seeked`: where the events come from (default: the
    session's log; `cs replay --team`: a shared recording's events)."""
    seeker = seeker or (lambda t: seeking.seek(logs_dir, session_id, t, options.follow))
    state = seeker(target)
    needed = tuple(state.model.size)
    have = tuple(os.get_terminal_size(out_fd))
    too_small = have[0] < needed[0] or have[1] < needed[1]
    if too_small and on_too_small and not on_too_small(needed, have, key_fd):
        return
    player = Player(out_fd, key_fd, logs_dir, session_id, options, seeker=seeker)
    saved = termios.tcgetattr(key_fd) if key_fd is not None else None
    previous = {}

    def stop(signum, frame):
        raise _Stop()

    for sig in (signal.SIGTERM, signal.SIGHUP):
        previous[sig] = signal.signal(sig, stop)
    try:
        if saved is not None:
            tty.setraw(key_fd, termios.TCSANOW)
        try:
            player.run(state, repaint=not target.is_start)
        except _Stop:
            pass
        except KeyboardInterrupt:
            raise Interrupted() from None
    finally:
        try:
            player.write(player.modes.restore())
            if saved is not None:
                _drain(key_fd)
        finally:
            if saved is not None:
                termios.tcsetattr(key_fd, termios.TCSAFLUSH, saved)
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _drain(fd: int) -> None:
    """Read and drop what the terminal still sends (late answers, keys)."""
    end = time.monotonic() + DRAIN_S
    while True:
        left = end - time.monotonic()
        if left <= 0:
            break
        if select.select([fd], [], [], left)[0]:
            try:
                if not os.read(fd, 4096):
                    break
            except OSError:
                break
    termios.tcflush(fd, termios.TCIFLUSH)


def write_plain(logs_dir, session_id, target, follow: bool, out, raw: bool = False, seeker=None) -> None:
    """Not a terminal: the bytes, without timing (a seek writes the repaint
    first), redacted unless `raw`. `seeker` as for `play`."""
    state = seeker(target) if seeker else seeking.seek(logs_dir, session_id, target, follow)
    shown = RedactedStream(state.start, raw=raw)
    shown.resize(state.model.size[0])
    if not target.is_start:
        out.write(shown.repaint(state.model.repaint(), state.model.size[0]))
    for event in state.rest:
        if event is None:
            out.write(shown.flush())
            out.flush()
            continue
        if event.kind == "o":
            out.write(shown.feed(event.data))
        elif event.kind == "r":
            shown.resize(event.data["cols"])
    out.write(shown.flush())
    out.flush()
