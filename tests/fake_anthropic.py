"""A loopback stand-in for the Anthropic Messages API, so the real `claude` CLI
can run offline in tests. Every `POST /v1/messages` is answered with a streamed
(SSE) reply whose text is the given string; other paths get a harmless answer.

    with FakeAnthropic("The build failed ...") as api:
        env["ANTHROPIC_BASE_URL"] = api.url
        ...
        api.requests  # [(path, parsed JSON body or None), ...]
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def _sse(event: str, data: dict) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (event.encode(), json.dumps(data).encode())


def reply_events(text: str, model: str = "claude-sonnet-4-5") -> bytes:
    """The SSE byte stream of one assistant message whose text is `text`,
    delivered in a few deltas like the real API does."""
    usage = {"input_tokens": 10, "output_tokens": max(1, len(text) // 4)}
    events = [
        _sse("message_start", {"type": "message_start", "message": {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": model,
            "content": [], "stop_reason": None, "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 1}}}),
        _sse("content_block_start", {"type": "content_block_start", "index": 0,
                                     "content_block": {"type": "text", "text": ""}}),
    ]
    words = text.split(" ")
    step = max(1, len(words) // 4)
    for i in range(0, len(words), step):
        piece = " ".join(words[i:i + step]) + (" " if i + step < len(words) else "")
        events.append(_sse("content_block_delta", {"type": "content_block_delta", "index": 0,
                                                   "delta": {"type": "text_delta", "text": piece}}))
    events += [
        _sse("content_block_stop", {"type": "content_block_stop", "index": 0}),
        _sse("message_delta", {"type": "message_delta",
                               "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                               "usage": usage}),
        _sse("message_stop", {"type": "message_stop"}),
    ]
    return b"".join(events)


class FakeAnthropic:
    def __init__(self, reply_text: str):
        self.reply_text = reply_text
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output quiet
                pass

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    return json.loads(raw) if raw else None
                except ValueError:
                    return None

            def do_POST(self):
                body = self._body()
                path = self.path.split("?")[0]
                fake.requests.append((path, body))
                if path.endswith("/v1/messages") and not (body or {}).get("stream") is False:
                    payload = reply_events(fake.reply_text, (body or {}).get("model", "claude"))
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                elif path.endswith("/v1/messages/count_tokens"):
                    self._json(200, {"input_tokens": 10})
                else:
                    self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                                "message": "not here"}})

            def do_GET(self):
                fake.requests.append((self.path.split("?")[0], None))
                self._json(404, {"type": "error", "error": {"type": "not_found_error",
                                                            "message": "not here"}})

            def do_HEAD(self):
                self.send_response(200)
                self.end_headers()

            def _json(self, status, obj):
                payload = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
