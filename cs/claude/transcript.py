"""Reading Claude Code's transcript lines: a format Anthropic calls internal.

Every line is untrusted and may be of a type we do not know, truncated, or from
a future version: such lines are skipped and counted, never a crash. What we
take from the rest (`Entry`): who spoke (`kind`: prompt, reply, tool, result),
the text, when, and for assistant lines the model and token usage.

Usage is written once per content block, each line repeating the same `usage`
of one API response: `usage_key` (message id, request id) lets the caller count
each response once. Tests: tests/test_claude_transcript.py.
"""

import json

PROMPT, REPLY, TOOL, RESULT = "prompt", "reply", "tool", "result"
# A slash command the user ran (`/clear`, `/cost`), and what Claude Code itself
# said in the conversation: a local command's output, an interruption.
COMMAND, NOTICE = "command", "notice"
KINDS = (PROMPT, REPLY, TOOL, RESULT, COMMAND, NOTICE)
DEFAULT_RESULT_CAP = 64 * 1024


class Entry:
    __slots__ = (
        "kind",
        "text",
        "ts",
        "session_id",
        "uuid",
        "model",
        "usage",
        "usage_key",
        "sidechain",
        "tool_name",
        "cwd",
    )

    def __init__(self, kind, text, ts, session_id, **extra):
        self.kind, self.text, self.ts, self.session_id = kind, text, ts, session_id
        for name in ("uuid", "model", "usage", "usage_key", "sidechain", "tool_name", "cwd"):
            setattr(self, name, extra.get(name))

    def __repr__(self):
        return f"Entry({self.kind}, {self.text[:40]!r}, {self.ts})"


class Counts:
    """What a read skipped: unknown line types, lines that are not JSON objects."""

    def __init__(self):
        self.entries = 0
        self.unknown = 0
        self.bad = 0


def parse_line(raw: bytes, counts: Counts, result_cap: int = DEFAULT_RESULT_CAP) -> list:
    """The entries of one transcript line (often none: most lines are metadata)."""
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        counts.bad += 1
        return []
    if not isinstance(record, dict):
        counts.bad += 1
        return []
    kind = record.get("type")
    message = record.get("message")
    if kind not in ("user", "assistant") or not isinstance(message, dict):
        counts.unknown += kind not in _METADATA
        return []
    ts, sid = _str(record.get("timestamp")), _str(record.get("sessionId"))
    if not ts:
        counts.bad += 1
        return []
    common = {
        "uuid": _str(record.get("uuid")),
        "sidechain": record.get("isSidechain") is True,
        "cwd": _str(record.get("cwd")),
    }
    if kind == "user":
        out = _user_entries(message.get("content"), ts, sid, common, result_cap)
    else:
        out = _assistant_entries(record, message, ts, sid, common)
    counts.entries += len(out)
    return out


# Line types that carry nothing to index but are known (not counted as unknown).
_METADATA = frozenset(
    {
        "summary",
        "system",
        "attachment",
        "file-history-snapshot",
        "progress",
        "mode",
        "permission-mode",
        "custom-title",
        "ai-title",
        "last-prompt",
        "queue-operation",
        "api-request",
        "cost-state",
        "atis-latch",
        "user",
        "assistant",
    }
)


def _user_entries(content, ts, sid, common, cap) -> list:
    if isinstance(content, str):
        entry = _user_text(content, ts, sid, common)
        return [entry] if entry else []
    out = []
    for block in content if isinstance(content, list) else ():
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str):
            entry = _user_text(block["text"], ts, sid, common)
            if entry:
                out.append(entry)
        elif block.get("type") == "tool_result":
            text = _result_text(block.get("content"))
            if text.strip():
                out.append(Entry(RESULT, text[:cap], ts, sid, **common))
    return out


def _assistant_entries(record, message, ts, sid, common) -> list:
    model = _str(message.get("model"))
    usage = message.get("usage") if isinstance(message.get("usage"), dict) else None
    message_id = _str(message.get("id"))
    key = (message_id, _str(record.get("requestId")) or "") if message_id else None
    extra = dict(common, model=model, usage=usage, usage_key=key)
    out = []
    content = message.get("content")
    if isinstance(content, str):
        content = [{"type": "text", "text": content}]
    for block in content if isinstance(content, list) else ():
        if not isinstance(block, dict):
            continue
        if block.get("type") == "text" and isinstance(block.get("text"), str) and block["text"].strip():
            out.append(Entry(REPLY, block["text"], ts, sid, **extra))
        elif block.get("type") == "tool_use":
            name = _str(block.get("name")) or "tool"
            out.append(Entry(TOOL, f"{name} {_compact(block.get('input'))}", ts, sid, tool_name=name, **extra))
    if not out and usage is not None:
        out.append(Entry(REPLY, "", ts, sid, **extra))  # usage without text (thinking only)
    return out


def _user_text(text: str, ts, sid, common):
    """A user turn's text as an Entry: a prompt, a slash command (`/clear
    args`), what a local command printed, an interruption; None for what
    Claude Code adds that nobody typed or saw (caveats, reminders)."""
    if not text.strip():
        return None
    head = text.lstrip()[:40]
    if head.startswith("<command-name>"):
        name = _between(text, "<command-name>", "</command-name>")
        args = _between(text, "<command-args>", "</command-args>")
        return Entry(COMMAND, f"{name} {args}".strip(), ts, sid, **common) if name else None
    if head.startswith("<local-command-stdout>"):
        said = _between(text, "<local-command-stdout>", "</local-command-stdout>").strip()
        return Entry(NOTICE, said, ts, sid, **common) if said else None
    if head.startswith("[Request interrupted by user"):
        return Entry(NOTICE, "Interrupted", ts, sid, **common)
    if _is_meta(text):
        return None
    return Entry(PROMPT, text, ts, sid, **common)


def _between(text: str, start: str, end: str) -> str:
    i = text.find(start)
    if i < 0:
        return ""
    j = text.find(end, i + len(start))
    return text[i + len(start) : j if j >= 0 else len(text)].strip()


def _is_meta(text: str) -> bool:
    """Text Claude Code puts in user turns that the user did not type."""
    head = text.lstrip()[:40]
    return head.startswith(("<command-", "<local-command-", "<system-reminder>", "Caveat: The messages below"))


def _result_text(content) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for block in content if isinstance(content, list) else ():
        if isinstance(block, dict) and isinstance(block.get("text"), str):
            parts.append(block["text"])
    return "\n".join(parts)


def _compact(value) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))[:4096]
    except (TypeError, ValueError, RecursionError):
        return ""


def _str(value):
    return value if isinstance(value, str) else None


def usage_numbers(usage: dict) -> tuple:
    """(input, output, cache read, cache write) tokens, untrusted values as 0."""

    def n(key):
        value = usage.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 10**12 else 0

    return (n("input_tokens"), n("output_tokens"), n("cache_read_input_tokens"), n("cache_creation_input_tokens"))
