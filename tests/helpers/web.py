"""`cs web` run for real (a subprocess on a free loopback port) and a real
headless Chromium driven by Playwright (Debian's chromium: Playwright's own
browser download is not used)."""

import os
import re
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

from tests.helpers.tools import find_cs_exe, missing_tool

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def web_server(token: str = "test-token-0123456789abcdef", env=None, args=()):
    """(base URL, token) of a running `cs web ARGS`, as `env` (default: this
    process's environment) says; stopped afterwards."""
    env = dict(os.environ if env is None else env, CS_WEB_TOKEN=token)
    proc = subprocess.Popen(
        [find_cs_exe(), "web", "--port", "0", "--no-open", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"(http://[^/\s]+)/\?token=(\S+)", line)
        if not m:
            proc.kill()
            raise AssertionError(f"cs web printed no URL: {line!r} {proc.stderr.read()}")
        base = m.group(1)
        _wait_listening(base)
        yield base, m.group(2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_listening(base: str, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/", timeout=1)
        except urllib.error.HTTPError:
            return  # 403 without the token: it answers
        except OSError:
            time.sleep(0.05)
    raise AssertionError("cs web did not start listening")


@contextmanager
def browser():
    """A headless Chromium page factory (Playwright's sync API)."""
    if not os.path.exists(CHROMIUM):
        missing_tool("chromium (apt install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("playwright (pip install playwright)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def get(url, headers=None, method="GET", data=None):
    """(status, headers, body) of one request, redirects not followed."""
    request = urllib.request.Request(url, headers=headers or {}, method=method, data=data)
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
