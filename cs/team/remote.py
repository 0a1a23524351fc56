"""Which repository a checkout is: its git remote `origin`, as host/path.

`normalized(url)` drops what differs between two checkouts of one repository
-- the scheme, a user name or token, a port for ssh, the trailing `.git` and
`/` -- and lower-cases the host: `git@github.com:acme/app.git`,
`https://alice:TOKEN@github.com/acme/app` and `ssh://git@github.com/acme/app`
are all `github.com/acme/app`. A shared session carries its checkout's
(cs.team.share) and `cs resume --team` (cs.team.handoff) matches the member's
checkout by it. Tests: tests/test_team_handoff.py
(test_remotes_of_one_repository_are_the_same, test_resume_in_another_repository_is_refused).
"""

import re
import subprocess

_SCP = re.compile(r"^(?:[^@/:]+@)?([^/:]+):(?!//)(.+)$")  # git@host:path (scp-like syntax)
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?([^/:]+)(?::\d+)?/(.*)$", re.IGNORECASE)


def normalized(url: str):
    """host/path of a git remote URL, or None for something that is not one (a local path)."""
    url = (url or "").strip()
    found = _URL.match(url) or _SCP.match(url)
    if not found:
        return None
    host, path = found.group(1).lower(), found.group(2).strip("/")
    if path.endswith(".git"):
        path = path[: -len(".git")]
    return f"{host}/{path.strip('/')}" if path else None


def of_checkout(directory: str):
    """The normalized `origin` of the git checkout at directory, or None (not a
    checkout, no origin, git missing). Runs git with a time limit."""
    try:
        proc = subprocess.run(
            ["git", "-C", directory, "remote", "get-url", "origin"],
            capture_output=True,
            text=True,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return normalized(proc.stdout) if proc.returncode == 0 else None
