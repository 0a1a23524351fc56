#!/usr/bin/env python3
"""Screenshots of `cs web`'s pages for the docs (docs/screenshots/*.png).

Records a few small sessions through the real `cs record` into a temporary cs
home, starts the real `cs web`, and photographs each page in headless Chromium.

Usage: python bench/web_screenshots.py   (needs the web extra, playwright, /usr/bin/chromium)
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the repository, for tests.helpers

import ptyprocess  # noqa: I001

from tests.helpers.web import browser, web_server

OUT = ROOT / "docs" / "screenshots"
SESSIONS = [
    "make test\nFAILED tests/test_parser.py::test_nested - KeyError: 'config'\n1 failed, 211 passed in 4.2s",
    "git log --oneline | head -3\n3f2a1b9 Parser: nested sections\n9c0d8e7 CLI: --dry-run\n1a2b3c4 First commit",
    "cargo build --release\n   Compiling parser v0.3.1\n    Finished release [optimized] target(s) in 12.4s",
]


def main():
    with tempfile.TemporaryDirectory(prefix="cs-shots-") as home:
        os.environ["CS_HOME"] = home
        cs = str(Path(sys.executable).parent / "cs")
        for text in SESSIONS:
            code = f"import sys, time\nfor line in {text.splitlines()!r}:\n    print(line); time.sleep(0.05)"
            # In a terminal, as a user records: output through a pipe has no
            # carriage returns and would draw a staircase.
            term = ptyprocess.PtyProcess.spawn([cs, "record", "--", sys.executable, "-c", code], dimensions=(24, 80))
            while True:
                try:
                    term.read(65536)
                except EOFError:
                    break
            term.wait()
        subprocess.run([cs, "index", "-q"], check=True)
        OUT.mkdir(parents=True, exist_ok=True)
        with web_server() as (base, token), browser() as b:
            page = b.new_page(viewport={"width": 1200, "height": 800})
            page.goto(base + "/?token=" + token)
            page.screenshot(path=str(OUT / "sessions.png"))
            page.goto(base + "/search")
            page.fill("#q", "failed")
            page.locator(".hit").first.wait_for()
            page.screenshot(path=str(OUT / "search.png"))
            page.locator(".hit-link").first.click()
            page.wait_for_url("**/session/**")
            page.wait_for_timeout(800)
            page.screenshot(path=str(OUT / "session.png"))
            page.goto(base + "/stats")
            page.screenshot(path=str(OUT / "stats.png"), full_page=True)
    print(f"wrote {', '.join(p.name for p in sorted(OUT.glob('*.png')))} to {OUT}")


if __name__ == "__main__":
    main()
