"""`cs web` for real: a server on loopback, real HTTP, real Chromium.

Only the user gets in (token → cookie, loopback Host, CSRF + Origin on POST,
CSP), untrusted terminal output is shown as text and never runs, and the pages
work: list → search as you type → a hit → its session."""

import json
import sys

import pytest
from playwright.sync_api import expect

from tests.helpers.cli import run_cs
from tests.helpers.web import browser, get, web_server

pytestmark = pytest.mark.slow

XSS = [
    "<script>window.__pwned = 1; alert('script')</script>",
    "<img src=x onerror=\"window.__pwned = 2; alert('img')\">",
    "javascript:alert('link')",
    "\x1b]8;;javascript:alert('osc8')\x1b\\click me\x1b]8;;\x1b\\",
    '<a href="http://evil.example/steal">evil link</a>',
]


def record(text: str):
    code = f"import sys; sys.stdout.write({text!r} + '\\n')"
    run_cs(None, "record", "--", sys.executable, "-c", code)


@pytest.fixture
def sessions(cs_home):
    record("the quokka compiled the manual in 3 seconds")
    for payload in XSS:
        record("payload " + payload)
    run_cs(None, "index", "-q")


def test_only_the_user_gets_in(sessions):
    with web_server() as (base, token):
        assert get(base + "/")[0] == 403
        assert get(base + "/api/sessions")[0] == 403
        assert get(base + "/?token=wrong")[0] == 403
        assert get(base + "/?token=%C3%A9t%C3%A9")[0] == 403  # not ASCII: still a plain 403
        assert get(base + "/", {"Cookie": "cs_web=\u00e9t\u00e9".encode().decode("latin-1")})[0] == 403
        status, headers, _ = get(base + "/?token=" + token)
        assert status == 303 and headers["location"] == "/"
        cookie = headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        jar = {"Cookie": cookie.split(";")[0]}
        status, headers, body = get(base + "/api/sessions", jar)
        assert status == 200 and len(json.loads(body)["sessions"]) == 1 + len(XSS)
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert "access-control-allow-origin" not in {k.lower() for k in headers}
        # DNS rebinding: the right cookie, the wrong Host.
        assert get(base + "/api/sessions", dict(jar, Host="evil.example:80"))[0] == 421
        # Changing anything needs POST + CSRF token + matching Origin.
        assert get(base + "/api/sessions", jar, method="POST", data=b"")[0] == 403


@pytest.mark.linux_only
def test_it_listens_on_loopback_only(sessions):
    with web_server() as (base, _token):
        port = int(base.rsplit(":", 1)[1])
        listening = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(table) as f:
                for row in f.readlines()[1:]:
                    local, state = row.split()[1], row.split()[3]
                    address, hex_port = local.split(":")
                    if state == "0A" and int(hex_port, 16) == port:
                        listening.add(address)
        assert listening and listening <= {"0100007F", "00000000000000000000000001000000"}, listening


def test_list_search_and_a_hit_in_the_browser_and_payloads_stay_text(sessions):
    with web_server() as (base, token), browser() as b:
        page = b.new_page()
        dialogs, foreign = [], []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("request", lambda r: None if r.url.startswith(base) else foreign.append(r.url))
        page.goto(base + "/?token=" + token)
        rows = page.locator("#sessions tbody tr")
        assert rows.count() == 1 + len(XSS)
        page.click("nav >> text=Search")
        page.fill("#q", "quokka compiled")
        page.wait_for_selector(".hit mark")
        assert [m.lower() for m in page.locator(".hit mark").all_inner_texts()] == ["quokka", "compiled"]
        page.fill("#q", "payload")
        page.locator(".hit").nth(4).wait_for()
        shown = page.locator("#results").inner_text()
        assert "<script>window.__pwned = 1" in shown and 'onerror="window.__pwned = 2' in shown
        assert page.evaluate("window.__pwned") is None
        page.locator(".hit-link").first.click()
        page.wait_for_url("**/session/**")
        # The player opens at the hit: its first frame shows the hit's line.
        expect(page.locator("#player")).to_contain_text("payload", timeout=10_000)
        page.goto(base + "/stats")
        assert page.locator("svg").count() >= 3
        assert dialogs == [] and foreign == []
        assert page.evaluate("window.__pwned") is None


def test_a_live_session_plays_live_and_a_message_opens_its_moment(cs_home, tmp_path):
    """A running session shows a live badge; its new output reaches the page
    (the player's eventsource driver); the downloads work."""
    import subprocess
    import time

    from tests.helpers.tools import find_cs_exe

    go = tmp_path / "go"
    code = (
        "import os, sys, time\n"
        "print('live session started', flush=True)\n"
        f"while not os.path.exists({str(go)!r}): time.sleep(0.05)\n"
        "print('the second line arrives live', flush=True)\n"
        "time.sleep(30)\n"
    )
    proc = subprocess.Popen(
        [find_cs_exe(), "record", "--", sys.executable, "-c", code],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not list((cs_home / "logs").glob("*.jsonl")) and time.monotonic() < deadline:
            time.sleep(0.05)
        with web_server() as (base, token), browser() as b:
            page = b.new_page()
            page.goto(base + "/?token=" + token)
            expect(page.locator(".badge.live")).to_have_count(1)
            page.locator("#sessions a").first.click()
            expect(page.locator("#player")).to_contain_text("live session started", timeout=10_000)
            go.write_text("now")
            expect(page.locator("#player")).to_contain_text("the second line arrives live", timeout=10_000)
            sid = page.url.rsplit("/", 1)[1]
            proc.kill()  # the session ends (cut off): the page turns it into a recording
            proc.wait()
            expect(page.locator(".badge.live")).to_have_count(0, timeout=15_000)
            expect(page.locator("#player")).to_contain_text("the second line arrives live", timeout=10_000)
            jar = {"Cookie": f"cs_web={token}"}
            status, headers, body = get(f"{base}/api/session/{sid}/download/asciicast", jar)
            assert status == 200 and json.loads(body.splitlines()[0])["version"] == 3
            assert "attachment" in headers["content-disposition"]
    finally:
        proc.kill()
        proc.wait()
