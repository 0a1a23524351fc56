"""A session as an asciicast, asciinema's recording format (v2 and v3).

Header: terminal size and type, the start time, the command, a title (the
project and the first prompt), `env.TERM`, and `idle_time_limit` from the
config. Events: `o` output, `r` resize, `m` a marker at each submitted prompt
(labelled with it), `i` input only when asked (typed input may hold
secrets), and in v3 `x` the exit status. Times are those of the log, to the
microsecond: v2 counts seconds from the start, v3 from the previous event.

Output is UTF-8 text in JSON strings: a character cut between two log lines
is carried to the next event, so the concatenated `o` data is exactly the
bytes the session showed as long as they are valid UTF-8 (`asciinema cat` of
our v2 file gives them back: tests/test_playback_export.py); invalid bytes
become U+FFFD.

Secrets are redacted (cs.redact, per the config): the output (and input) text
goes through a StreamRedactor -- escape sequences intact, text runs redacted,
a secret wrapped onto the next row joined (the terminal's width from the
start line and resizes), a run that may go on held back until the next
chunk shows how (emitted with the next event) -- which is also told the
secrets the rendered session shows (cs.ask.sessions.shown_secrets: one render
pass first), so that a secret drawn in pieces out of reading order by cursor
moves is hidden too; the header's fields, markers and the title through a
Redactor (docs/security.md). Test: tests/test_secrets_everywhere.py.

(The recorder keeps no SHELL: env holds TERM only.)
"""

import json
import math

from cs import config
from cs.ask import sessions
from cs.index.keys import InputLines
from cs.log import jsonl
from cs.log.utf8 import decode_chunk
from cs.playback import events as ev
from cs.playback.redacted import RedactedStream
from cs.playback.seek import terminal_size


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


def _first_prompt(logs_dir, session_id, within=8 << 20):
    """The first line the user submitted, if within the first `within` bytes
    of the log (a title must not cost a second pass over a big session)."""
    keys = InputLines()
    for event in ev.read_events(logs_dir, session_id):
        if event.pos > (1, within):
            break
        if event.kind == "i":
            lines = keys.feed(event.data)
            if lines:
                return lines[0][0].strip()
    return None


def header(start: dict, first_prompt, idle_time_limit, version: int, started: float, redactor) -> dict:
    """The asciicast header; every field from the session (command, title,
    TERM) redacted by `redactor` (cs.redact.Redactor.session)."""
    start = redactor.session(start)
    first_prompt = redactor.text(first_prompt) if first_prompt else first_prompt
    cols, rows = terminal_size(start)
    argv = start.get("argv") if isinstance(start.get("argv"), list) else []
    project = jsonl.project_of(start)
    title = " — ".join(x for x in (project, first_prompt) if x)
    head = {"version": version}
    if version == 2:
        head.update(width=cols, height=rows)
    else:
        head["term"] = {"cols": cols, "rows": rows}
        if start.get("term"):
            head["term"]["type"] = start["term"]
    if started is not None and not math.isnan(started):
        head["timestamp"] = int(started)
    if idle_time_limit:
        head["idle_time_limit"] = idle_time_limit
    if argv:
        import shlex

        head["command"] = shlex.join(str(a) for a in argv)
    if title:
        head["title"] = title
    if version == 2 and start.get("term"):
        head["env"] = {"TERM": start["term"]}
    return head


def write(out, logs_dir, session_id, version: int = 3, with_input: bool = False, idle_time_limit=None) -> int:
    """Write the asciicast to `out` (a text stream); returns the log bytes read."""
    stream = ev.read_events(logs_dir, session_id)
    start, started = {}, None
    pending = []
    for event in stream:
        started = event.t
        if event.kind == "start":
            start = event.data
        else:
            pending.append(event)
        break
    settings = config.settings_cached()
    labels = config.redactor(settings)
    prompt = _first_prompt(logs_dir, session_id)
    out.write(_dumps(header(start, prompt, idle_time_limit, version, started, labels)) + "\n")
    keys, carry, exit_status = InputLines(), b"", None
    shown, typed = config.stream_redactor(settings), config.stream_redactor(settings)
    shown.resize(terminal_size(start)[0])  # a secret wrapped at the right edge (cs.redact)
    known = sessions.shown_secrets(logs_dir, session_id)  # however they were drawn
    shown.know(known)
    typed.know(known)
    previous = 0.0

    def emit(t, code, data):
        nonlocal previous
        t = round(t, 6)
        when = t if version == 2 else round(max(0.0, t - previous), 6)
        previous = max(previous, t)
        out.write(_dumps([when, code, data]) + "\n")

    held = []  # [t, text] of output not written yet: its end may begin a secret

    def release(everything: bool) -> None:
        """Write the held output that cannot be part of a secret still being
        written (everything: all of it), redacted: as it came, piece by piece
        at its own times, when redaction changes nothing; else the redacted
        text at the time of its first piece."""
        text = "".join(piece for _, piece in held)
        cut = len(text) if everything else shown.hold_from(text)
        if not cut:
            return
        out_text = shown.redact(text[:cut])
        pieces, kept, n = [], [], 0
        for t, piece in held:
            if n + len(piece) <= cut:
                pieces.append((t, piece))
            elif n < cut:
                pieces.append((t, piece[: cut - n]))
                kept.append([t, piece[cut - n :]])
            else:
                kept.append([t, piece])
            n += len(piece)
        held[:] = kept
        if out_text == text[:cut]:
            for t, piece in pieces:
                emit(t, "o", piece)
        elif out_text:
            emit(pieces[0][0], "o", out_text)

    def at(event):
        t = event.t
        return 0.0 if math.isnan(t) or started is None else max(0.0, t - started)

    for event in _chain(pending, stream):
        kind = event.kind
        if kind == "o":
            text, carry = decode_chunk(carry, event.data)
            if text:
                held.append([at(event), text])
                release(False)
        elif kind == "i":
            if with_input:
                text = typed.feed(event.data.decode("utf-8", "replace"))
                if text:
                    emit(at(event), "i", text)
            for label, _mark in keys.feed(event.data):
                release(True)
                emit(at(event), "m", labels.line(label))
        elif kind == "r":
            release(True)
            shown.resize(event.data["cols"])
            emit(at(event), "r", f"{event.data['cols']}x{event.data['rows']}")
        elif kind == "end" and isinstance(event.data.get("exit_code"), int):
            exit_status = (at(event), event.data["exit_code"])
    if carry:
        held.append([previous, carry.decode("utf-8", "replace")])
    release(True)
    rest = typed.flush()
    if rest:
        emit(previous, "i", rest)
    if version == 3 and exit_status is not None:
        emit(exit_status[0], "x", str(exit_status[1]))


def _chain(first: list, rest):
    yield from first
    yield from rest


def write_window(
    out, logs_dir, session_id, target, seconds: float = 600.0, max_bytes: int = 16 << 20, seeker=None
) -> dict:
    """An asciicast v3 of part of a session, for a player opened at a moment
    (`cs web`): the screen at `target` rebuilt as its first frame (the seek's
    repaint, cs.playback.seek), then the events that follow, for at most
    `seconds` of the recording or `max_bytes` of output, so that opening a hit
    in a 200 MB session never hands the browser 200 MB. Returns where it
    starts (seconds into the session) and whether it was cut short.
    `seeker(target) -> Seeked`: where the events come from (default: the
    session's log; `cs web --team`: a shared recording, cs.playback.seek.seek_events)."""
    from cs.playback import seek as seeking

    found = seeker(target) if seeker else seeking.seek(logs_dir, session_id, target)
    rest = iter(found.rest)
    pending = []
    # A search hit names the line where its text is on the screen: the first
    # frame shows that line (the seek stops just before it).
    timed = target.seconds is not None or target.fraction is not None
    for event in rest:
        if event is None or not _up_to(event, target):
            pending = [event] if event is not None else []
            break
        if event.kind == "o":
            found.model.feed(event.data)
        elif event.kind == "r":
            found.model.resize(event.data["cols"], event.data["rows"])
        found.t = event.t if not math.isnan(event.t) else found.t
        if timed:  # a time or a fraction: the event at that moment, shown
            break
    cols, rows = found.model.size
    started = found.first_t if found.first_t is not None else found.t
    offset = max(0.0, (found.t or started) - started) if started is not None else 0.0
    labels = config.redactor()
    head = header(found.start or {}, None, None, 3, found.t, labels)
    head["term"]["cols"], head["term"]["rows"] = cols, rows
    out.write(_dumps(head) + "\n")
    shown = RedactedStream(found.start)
    out.write(_dumps([0.0, "o", shown.repaint(found.model.repaint(), cols).decode("utf-8", "replace")]) + "\n")
    keys, carry, previous, written, cut = found.keys or InputLines(), b"", found.t, 0, False
    for event in _chain(pending, rest):
        if event is None:
            break
        t = event.t if not math.isnan(event.t) else previous
        if t - found.t > seconds or written > max_bytes:
            cut = True
            break
        interval = round(max(0.0, t - previous), 6)
        previous = max(previous, t)
        if event.kind == "o":
            text, carry = decode_chunk(carry, shown.feed(event.data))
            if text:
                written += len(event.data)
                out.write(_dumps([interval, "o", text]) + "\n")
        elif event.kind == "r":
            shown.resize(event.data["cols"])
            out.write(_dumps([interval, "r", f"{event.data['cols']}x{event.data['rows']}"]) + "\n")
        elif event.kind == "i":
            for label, _mark in keys.feed(event.data):
                out.write(_dumps([interval, "m", labels.line(label)]) + "\n")
        elif event.kind == "end" and isinstance(event.data.get("exit_code"), int):
            carry = _write_held(out, shown, carry)
            out.write(_dumps([interval, "x", str(event.data["exit_code"])]) + "\n")
    _write_held(out, shown, carry)
    return {"starts_at": offset, "cut": cut}


def _write_held(out, shown, carry: bytes) -> bytes:
    """The output held back (a text that might have gone on), as an `o` event."""
    text, _ = decode_chunk(carry, shown.flush())
    if text:
        out.write(_dumps([0.0, "o", text]) + "\n")
    return b""


def _up_to(event, target) -> bool:
    """Is `event` at or before the position (or moment) a player opens at?
    (A time into the session or a fraction of it: the seek stopped just
    before the event at that moment, which is shown too.)"""
    if target.pos is not None:
        return tuple(event.pos) <= tuple(target.pos)
    if target.moment is not None:
        return not math.isnan(event.t) and event.t <= target.moment
    return target.seconds is not None or target.fraction is not None
