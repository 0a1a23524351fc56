"""The main job, for real, on this machine: record a session of the real Claude
Code CLI through the bash integration in a real terminal (tmux), index it, and
search it.

Claude talks to a loopback stand-in of the Anthropic API (tests/helpers/fake_anthropic.py),
so no account or network is needed. Everything is written under a temporary
CS_HOME, printed at the end, so your own archive is untouched.

    bash .ci/setup && .venv/bin/python .ci/demo.py
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the repository, for tests.helpers

from tests.helpers.fake_anthropic import FakeAnthropic, claude_home, find_claude  # noqa: E402

REPLY = (
    "I ran the tests. The build failed with error E1234 in module foo: "
    "the config loader expects a path but got None. Pinning the version fixes it."
)
PROMPT = "why did the build fail?"
API_KEY = "sk-ant-api03-cs-demo-key-" + "x" * 20


def cs(*args, env) -> str:
    exe = Path(sys.executable).parent / "cs"
    result = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"demo: cs {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


class Tmux:
    def __init__(self, env, cwd, command):
        self.base = ["tmux", "-L", f"cs-demo-{uuid.uuid4().hex[:8]}", "-f", "/dev/null"]
        self.env = env
        self.run("new-session", "-d", "-x", "100", "-y", "30", "-c", str(cwd), command)

    def run(self, *args):
        return subprocess.run(self.base + list(args), env=self.env, capture_output=True, text=True, timeout=10)

    def screen(self) -> str:
        return self.run("capture-pane", "-p").stdout

    def wait_for(self, what, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.1)
        sys.exit(f"demo: timed out waiting for {what}; the screen was:\n{self.screen()}")

    def type(self, text, enter=True):
        self.run("send-keys", "-l", text)
        if enter:
            time.sleep(0.3)
            self.run("send-keys", "Enter")

    def kill(self):
        self.run("kill-server")


def main():
    claude = find_claude()
    if not claude or not shutil.which("tmux"):
        sys.exit("demo: needs the claude CLI and tmux; run `bash .ci/setup` first")
    work = Path(tempfile.mkdtemp(prefix="cs-demo-"))
    project = work / "api"
    project.mkdir()
    cs_home = work / "cs-home"
    with FakeAnthropic(REPLY) as api:
        env = claude_home(work, project, API_KEY, api.url)
        path = [str(Path(claude).parent), str(Path(sys.executable).parent), os.environ["PATH"]]
        env.update({"PATH": os.pathsep.join(path), "CS_HOME": str(cs_home), "LANG": "C.UTF-8", "CS_NO_DAEMON": "1"})
        rc = work / "bashrc"
        rc.write_text('eval "$(cs init bash)"\nPS1="$ "\n')

        print(f"demo: recording the real claude ({claude}) in tmux through `cs init bash`")
        tmux = Tmux(env, project, f"bash --noprofile --rcfile {rc} -i")
        try:
            tmux.wait_for("the shell prompt", lambda s: s.rstrip().endswith("$"))
            tmux.type("claude; echo exit=$?")
            tmux.wait_for("claude to start", lambda s: "❯" in s, timeout=60)
            time.sleep(1)
            tmux.type(PROMPT)
            screen = tmux.wait_for("the reply", lambda s: "Pinning the version" in s)
            tmux.type("/exit")
            after = tmux.wait_for("claude to exit", lambda s: re.search(r"^exit=\d+", s, re.M))
        finally:
            tmux.kill()
    print("demo: what the terminal showed:")
    print("    " + "\n    ".join(line for line in screen.rstrip().splitlines() if line.strip()))
    exit_status = re.search(r"exit=(\d+)", after).group(1)
    print(f"demo: claude exited with {exit_status}\n")

    print("$ cs index && cs list")
    cs("index", env=env)
    print(cs("list", env=env))
    print('$ cs search "failed with error"')
    print(cs("search", "failed with error", env=env))
    print(f'$ cs search "{PROMPT}" --input')
    print(cs("search", PROMPT, "--input", env=env))
    print(f"demo: logs and index are in {cs_home} (CS_HOME={cs_home} cs show <id> to read it)")


if __name__ == "__main__":
    main()
