"""A loopback stand-in for the Anthropic Messages API, so the real Claude Code
CLI can run offline in tests.

    with FakeAnthropic("Hello from the fake model.") as api:
        env = claude_home(tmp_path, cwd, "sk-ant-test-...")
        env["ANTHROPIC_BASE_URL"] = api.url  # claude_home(..., base_url=api.url) does this
        subprocess.run([find_claude(), "-p", "hi"], env=env, cwd=cwd)

`POST /v1/messages` answers every request with `reply_text`: streamed as
server-sent events (like the real API: message_start, content_block_start, a
few content_block_delta events with small pauses between them,
content_block_stop, message_delta with stop_reason end_turn, message_stop) when
the body asks for `"stream": true`, else as one plain JSON message. Claude Code
also sends side requests (title generation, a haiku "quota" probe, token
counting); they get the same reply, or a harmless JSON answer for other paths,
so nothing in the CLI waits on an error. Every request is recorded in
`.requests` as a dict: method, path, headers, body (parsed JSON or raw text).
"""

import json
import os
import shutil
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_REPLY = "The fake model says hello from the loopback server."


class FakeAnthropic:
    """`script`, if given, is a list of replies for the conversation's own
    requests (those that offer tools; side requests get `reply_text`), each a
    list of content blocks: {"type": "text", "text": ...} (with "delay": the
    seconds between its words, streamed one by one) or {"type": "tool_use",
    "name": ..., "input": {...}}; once it runs out, `reply_text`.
    `responses` records what each answered request was given: (message id,
    usage), the figures `cs stats` must add up to."""

    def __init__(self, reply_text: str = DEFAULT_REPLY, delta_delay: float = 0.02, chunks: int = 4, script=None):
        self.reply_text = reply_text
        self.script = script if callable(script) else list(script or [])
        self.responses = []
        self.delta_delay = delta_delay
        self.chunks = max(1, chunks)
        self.requests = []
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    # -- lifecycle
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        fake = self

        class Handler(_Handler):
            api = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- inspection helpers
    def record_response(self, message_id: str, usage: dict, main: bool):
        """`main`: a request of the conversation itself (it offers tools), the
        kind Claude Code writes into its transcript."""
        with self._lock:
            self.responses.append((message_id, usage, main))

    def record(self, entry: dict):
        with self._lock:
            self.requests.append(entry)

    def message_requests(self) -> list:
        """Bodies of the POST /v1/messages requests received so far."""
        with self._lock:
            return [
                r["body"] for r in self.requests if r["method"] == "POST" and r["path"].rstrip("/") == "/v1/messages"
            ]

    def next_blocks(self, body: dict) -> list:
        """The content blocks to answer a request with. A `script` that is a
        function is asked with the request's body (None: `reply_text`)."""
        with self._lock:
            if callable(self.script) and body.get("tools"):
                blocks = self.script(body)
                if blocks:
                    return blocks
            elif self.script and body.get("tools"):
                return self.script.pop(0)
        return [{"type": "text", "text": self.reply_text}]

    def text_chunks(self, text: str = None) -> list:
        """The reply split into a few pieces at word boundaries, so it streams."""
        words = (self.reply_text if text is None else text).split(" ")
        n = min(self.chunks, len(words))
        size = -(-len(words) // n)
        pieces = [" ".join(words[i : i + size]) for i in range(0, len(words), size)]
        # Keep the spaces between pieces: every piece but the first starts with one.
        return [p if i == 0 else " " + p for i, p in enumerate(pieces)]


def _message_id() -> str:
    return "msg_" + uuid.uuid4().hex[:24]


def _usage(output_tokens: int = 0) -> dict:
    return {
        "input_tokens": 12,
        "output_tokens": output_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
    }


class _Handler(BaseHTTPRequestHandler):
    api: FakeAnthropic = None
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):  # keep test output clean
        pass

    # -- request plumbing
    def _read_body(self):
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _path(self) -> str:
        return self.path.split("?", 1)[0]

    def _send_json(self, status: int, obj):
        payload = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.send_header("request-id", "req_" + uuid.uuid4().hex[:24])
        self.end_headers()
        self.wfile.write(payload)

    def _handle(self, method: str):
        body = self._read_body() if method in ("POST", "PUT", "PATCH") else None
        path = self._path()
        self.api.record(
            {
                "method": method,
                "path": path,
                "query": self.path[len(path) :],
                "headers": dict(self.headers.items()),
                "body": body,
            }
        )
        if method == "POST" and path.rstrip("/") == "/v1/messages":
            return self._messages(body if isinstance(body, dict) else {})
        if method == "POST" and path.rstrip("/") == "/v1/messages/count_tokens":
            return self._send_json(200, {"input_tokens": 12})
        if method == "HEAD":
            self.send_response(200)
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if path.startswith("/v1/"):
            # Anything else under the API (models, organisations...): an empty
            # but well-formed answer is the least surprising thing to give.
            return self._send_json(200, {"data": [], "has_more": False})
        return self._send_json(404, {"type": "error", "error": {"type": "not_found_error", "message": "not found"}})

    def do_POST(self):
        self._handle("POST")

    def do_GET(self):
        self._handle("GET")

    def do_HEAD(self):
        self._handle("HEAD")

    # -- /v1/messages
    def _messages(self, body: dict):
        model = body.get("model") or "claude-fake"
        if not body.get("stream"):
            return self._send_json(
                200,
                {
                    "id": _message_id(),
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [{"type": "text", "text": self.api.reply_text}],
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "usage": _usage(len(self.api.reply_text.split())),
                },
            )
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("request-id", "req_" + uuid.uuid4().hex[:24])
        # No content-length: close the connection to end the stream.
        self.send_header("connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            self._stream(model, self.api.next_blocks(body), main=bool(body.get("tools")))
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _event(self, name: str, data: dict):
        self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def _stream(self, model: str, blocks: list, main: bool):
        message_id = _message_id()
        output_tokens = sum(len(b.get("text", "").split()) + (5 if b["type"] == "tool_use" else 0) for b in blocks)
        self.api.record_response(message_id, dict(_usage(output_tokens), model=model), main)
        self._event(
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": message_id,
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "stop_sequence": None,
                    "usage": _usage(1),
                },
            },
        )
        self._event("ping", {"type": "ping"})
        for index, block in enumerate(blocks):
            if block["type"] == "tool_use":
                self._event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": index,
                        "content_block": {
                            "type": "tool_use",
                            "id": block.get("id") or "toolu_" + uuid.uuid4().hex[:20],
                            "name": block["name"],
                            "input": {},
                        },
                    },
                )
                self._event(
                    "content_block_delta",
                    {
                        "type": "content_block_delta",
                        "index": index,
                        "delta": {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
                    },
                )
            else:
                self._event(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
                )
                # A block may stream slower than the rest ("delay": seconds
                # between its pieces), e.g. to be interrupted while it streams.
                pieces = self.api.text_chunks(block["text"])
                if block.get("delay"):
                    pieces = [" " + w if i else w for i, w in enumerate(block["text"].split(" "))]
                for piece in pieces:
                    time.sleep(block.get("delay", self.api.delta_delay))
                    self._event(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": {"type": "text_delta", "text": piece}},
                    )
            self._event("content_block_stop", {"type": "content_block_stop", "index": index})
        stop = "tool_use" if any(b["type"] == "tool_use" for b in blocks) else "end_turn"
        self._event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": stop, "stop_sequence": None},
                "usage": {"output_tokens": output_tokens},
            },
        )
        self._event("message_stop", {"type": "message_stop"})


# ---------------------------------------------------------------- claude's HOME


def claude_home(tmp, cwd, api_key: str, base_url: str = None) -> dict:
    """Prepare `<tmp>/home` so claude starts with no onboarding, no API-key
    question and no trust dialog for `cwd`; return the environment to run it
    with (a fresh dict: callers add PATH and whatever else they need)."""
    home = Path(tmp) / "home"
    home.mkdir(parents=True, exist_ok=True)
    cwd = str(Path(cwd).resolve())
    state = {
        "hasCompletedOnboarding": True,
        "customApiKeyResponses": {"approved": [api_key[-20:]], "rejected": []},
        "projects": {cwd: {"hasTrustDialogAccepted": True}},
    }
    (home / ".claude.json").write_text(json.dumps(state, indent=2))
    env = {
        "HOME": str(home),
        "ANTHROPIC_API_KEY": api_key,
        "DISABLE_TELEMETRY": "1",
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "TERM": "xterm-256color",
    }
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    return env


# Where a real claude may be installed besides PATH: the copy .ci/setup pins in
# the repository.
_CLAUDE_CANDIDATES = (Path(__file__).resolve().parents[2] / ".cache/claude-code/node_modules/.bin/claude",)


OLD_CLAUDE = Path(__file__).resolve().parents[2] / ".cache/claude-code-old/node_modules/.bin/claude"


NEW_CLAUDE = Path(__file__).resolve().parents[2] / ".cache/claude-code-new/node_modules/.bin/claude"


def find_old_claude():
    """The older 2.x release .ci/setup installs beside the pinned one, or None."""
    return str(OLD_CLAUDE) if os.access(OLD_CLAUDE, os.X_OK) else None


def find_new_claude():
    """The newest release .ci/setup installs beside the pinned one, or None."""
    return str(NEW_CLAUDE) if os.access(NEW_CLAUDE, os.X_OK) else None


def find_claude():
    """The real Claude Code CLI: $CS_CLAUDE_BIN, else `claude` on PATH, else the
    copy .ci/setup installs in .cache/claude-code; None when there is none."""
    explicit = os.environ.get("CS_CLAUDE_BIN")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    on_path = shutil.which("claude")
    if on_path:
        return on_path
    for candidate in _CLAUDE_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None
