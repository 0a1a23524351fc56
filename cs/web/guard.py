"""Only the user gets in: a pure ASGI middleware in front of every route.

1. Host: a request whose Host is not a loopback address or `localhost` gets
   421 (DNS rebinding: a page on evil.example resolving to 127.0.0.1).
2. Token: a random token per start (or $CS_WEB_TOKEN), accepted once from the
   URL (`?token=`) and exchanged for an HttpOnly, SameSite=Strict cookie (the
   browser is redirected to the same URL without it); any request without the
   cookie or with a wrong one gets 403.
3. Anything that changes state must be a POST with the CSRF token (a value
   derived from the token, given to pages in a meta tag) in `X-CSRF-Token`,
   and an Origin that matches the Host; no CORS headers are ever sent.
4. Every response carries a strict CSP (no inline script, nothing from
   elsewhere), nosniff, no referrer, no caching, and frame-ancestors 'none'.
Tests: tests/test_web.py.
"""

import hashlib
import hmac
import ipaddress
from urllib.parse import parse_qsl, quote, urlencode

COOKIE = "cs_web"
CSP = (
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self' data:; worker-src 'self' blob:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
SAFE_METHODS = ("GET", "HEAD")


def csrf_token(token: str) -> str:
    return hmac.new(token.encode(), b"csrf", hashlib.sha256).hexdigest()


def is_loopback_host(host: str) -> bool:
    """`127.0.0.1:8123`, `[::1]:8123`, `localhost`... (any port)."""
    if not host:
        return False
    if host.startswith("["):
        name = host[1 : host.find("]")] if "]" in host else host
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class Guard:
    def __init__(self, app, token: str, allow_any_host: bool = False):
        self.app = app
        self.token = token
        self.csrf = csrf_token(token)
        self.allow_any_host = allow_any_host

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        host = headers.get("host", "")

        async def send_secured(message):
            if message["type"] == "http.response.start":
                message = dict(message)
                message["headers"] = [
                    h for h in message.get("headers", []) if h[0].lower() not in dict(SECURITY_HEADERS)
                ] + SECURITY_HEADERS
            await send(message)

        if not self.allow_any_host and not is_loopback_host(host):
            return await _plain(send_secured, 421, "Misdirected request: this server answers only on localhost.")
        query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1")))
        if "token" in query:
            if not _same(query["token"], self.token):
                return await _plain(send_secured, 403, "Forbidden: wrong token.")
            rest = {k: v for k, v in query.items() if k != "token"}
            location = quote(scope["path"]) + ("?" + urlencode(rest) if rest else "")
            cookie = f"{COOKIE}={self.token}; HttpOnly; SameSite=Strict; Path=/"
            return await _redirect(send_secured, location, cookie)
        if not _same(_cookie(headers.get("cookie", ""), COOKIE), self.token):
            return await _plain(send_secured, 403, "Forbidden: open the URL that `cs web` printed.")
        if scope["method"] not in SAFE_METHODS:
            if scope["method"] != "POST" or not _same(headers.get("x-csrf-token", ""), self.csrf):
                return await _plain(send_secured, 403, "Forbidden: missing or wrong CSRF token.")
            origin = headers.get("origin", "")
            if origin.split("://", 1)[-1] != host:
                return await _plain(send_secured, 403, "Forbidden: cross-origin request.")
        scope = dict(scope, state=dict(scope.get("state") or {}, csrf=self.csrf))
        await self.app(scope, receive, send_secured)


def _same(given: str, expected: str) -> bool:
    """A constant-time comparison of what a request brought (any characters:
    compare_digest refuses non-ASCII str) with a secret."""
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def _cookie(header: str, name: str) -> str:
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key == name:
            return value
    return ""


async def _plain(send, status: int, text: str):
    body = text.encode() + b"\n"
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _redirect(send, location: str, cookie: str):
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [
                (b"location", location.encode("latin-1")),
                (b"set-cookie", cookie.encode()),
                (b"content-length", b"0"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": b""})
