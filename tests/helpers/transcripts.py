"""What a session holds, as tests need it: Claude Code transcript lines shaped
like Claude Code's own (user, assistant with usage), a recording of `claude`
whose log names its Claude session (as cs.record.claude_link writes it) with
the transcript put where Claude Code keeps it, and one secret of each kind
cs.redact knows. No tests here."""

import json

from tests.helpers.logs import LogWriter

# One of each kind of secret (fake, well-formed), by the kind cs.redact names.
SECRETS = {
    "anthropic": "sk-ant-api03-" + "Ab3_-" * 19 + "xyzAA",
    "openai": "sk-proj-" + "q1W2e3R4t5Y6" * 4,
    "aws": "AKIAIOSFODNN7EXAMPLE",
    "github": "ghp_" + "a1B2c3D4e5" * 4,
    "gitlab": "glpat-" + "Zx9_Yw8-Vu7T" * 2,
    "slack": "xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx",
    "stripe": "sk_live_" + "51HxYzAbCdEf" * 2,
    "npm": "npm_" + "n0Pq" * 9,
    "pypi": "pypi-AgEIcHlwaS5vcmc" + "CJDk4ZjNm" * 6,
    "google": "AIza" + "SyD3-x_Q9" * 3 + "abcdefgh",
    "jwt": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
}


CLAUDE_ID = "11111111-2222-4333-8444-555555555555"


def line(**fields) -> bytes:
    return (json.dumps(fields) + "\n").encode()


def user(text, ts="2026-12-01T10:00:01.000Z", **extra):
    return line(
        type="user",
        sessionId=CLAUDE_ID,
        timestamp=ts,
        cwd="/home/u/proj",
        uuid="u1",
        message={"role": "user", "content": text},
        **extra,
    )


def assistant(blocks, msg_id="msg_1", req="req_1", ts="2026-12-01T10:00:02.000Z", usage=None):
    return line(
        type="assistant",
        sessionId=CLAUDE_ID,
        timestamp=ts,
        requestId=req,
        uuid=msg_id + req,
        message={
            "id": msg_id,
            "role": "assistant",
            "model": "claude-test",
            "content": blocks,
            "usage": usage
            or {
                "input_tokens": 100,
                "output_tokens": 7,
                "cache_read_input_tokens": 3,
                "cache_creation_input_tokens": 2,
            },
        },
    )


def write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def claude_recording(logs, config_dir, screen: str, transcript: bytes, claude_id: str = CLAUDE_ID) -> LogWriter:
    """A finished recording of `claude` in /home/u/proj at 2026-12-01T10:00:00Z
    that showed `screen`, whose log names `claude_id` in a `claude_session`
    line, and its transcript under `config_dir` (CLAUDE_CONFIG_DIR)."""
    w = LogWriter(logs, argv=("claude",), cwd="/home/u/proj", t0=1796119200.0)
    w.event("claude_session", {"claude_session_id": claude_id, "how": "session-id"})
    w.output(screen, dt=2)
    w.end()
    write(config_dir / "projects" / "-home-u-proj" / f"{claude_id}.jsonl", transcript)
    return w
