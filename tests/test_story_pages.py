"""The story of a session in the browser (real Chromium): the web session page
shows it beside the player, each entry opens the player at its moment, and
the player shows a screen before anything is played (the last screen, or the
hit's), never a black box; the HTML export does the same offline."""

import json
import shutil

import pytest
from playwright.sync_api import expect

from tests.helpers.cli import run_cs
from tests.helpers.story_sessions import FIXTURES, PROMPTS
from tests.helpers.web import browser, web_server

pytestmark = pytest.mark.slow

FIXTURE = "pinned-80"


@pytest.fixture
def session(cs_home):
    fixture = FIXTURES / FIXTURE
    shutil.copytree(fixture / "logs", cs_home / "logs")
    shutil.copytree(fixture / "claude", cs_home / "claude")
    run_cs(None, "index", "-q")
    return json.loads((fixture / "about.json").read_text())["session"]


def test_the_session_page_tells_the_story_and_each_entry_opens_its_moment(session):
    with web_server() as (base, token), browser() as b:
        page = b.new_page()
        page.goto(base + "/?token=" + token)
        page.goto(f"{base}/session/{session}")
        story = page.locator("#conversation .entry")
        texts = story.all_inner_texts()
        for prompt in PROMPTS:
            assert sum(prompt in t for t in texts) == 1, texts
        assert not any("esc to interrupt" in t or "? for shortcuts" in t for t in texts)
        # Before anything plays, the player's terminal shows the session's last screen.
        terminal = page.locator("#player .ap-term")
        expect(terminal).to_contain_text("Resume this session with", timeout=10_000)
        # An entry opens the player at its moment: the terminal then shows that prompt.
        page.locator("#conversation .entry.prompt", has_text=PROMPTS[1]).click()
        expect(page.locator("#player .ap-term")).to_contain_text(PROMPTS[1], timeout=10_000)
        expect(page.locator("#player .ap-term")).not_to_contain_text("Resume this session with")


def test_the_html_export_tells_the_story_beside_the_player(session, tmp_path):
    out = tmp_path / "session.html"
    run_cs(None, "export", session, "--format", "html", "-o", str(out))
    with browser() as b:
        page = b.new_page()
        page.goto(out.as_uri())
        entries = page.locator("#cs-story li")
        expect(entries.first).to_be_visible(timeout=10_000)
        texts = entries.all_inner_texts()
        for prompt in PROMPTS:
            assert sum(prompt in t for t in texts) == 1, texts
        terminal = page.locator("#player .ap-term")
        expect(terminal).to_contain_text("Resume this session with", timeout=10_000)
        page.locator("#cs-story li.prompt", has_text=PROMPTS[1]).click()
        expect(terminal).to_contain_text(PROMPTS[1], timeout=10_000)
        expect(terminal).not_to_contain_text("Resume this session with")
