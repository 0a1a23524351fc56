"""`cs init <shell>`: the shell integration scripts, and the service files that
keep the indexer running without a shell.

The files are real files in `shell/` (shipped inside the package as
`cs.shell`), so they can be read, linted and sourced on their own; this module
only finds them. Domain code: it returns text, cs.cli prints it.
"""

import shlex
from importlib.resources import files

from cs.errors import CsError, UsageError

# shell name -> script file in cs.shell
SCRIPTS = {
    "bash": "cs.bash",
    "zsh": "cs.zsh",
    "fish": "cs.fish",
}

# service manager -> unit file in cs.shell (the watcher, `cs index --watch`)
SERVICES = {
    "systemd": "cs-indexer.service",
    "launchd": "com.cs.indexer.plist",
}

SUPPORTED_SHELLS = tuple(SCRIPTS)

# How the unit files name cs; replaced by the absolute path of the cs that
# prints them, because a service manager's PATH rarely has ~/.local/bin or a
# virtualenv on it.
_CS_IN_SERVICES = {
    "systemd": ("ExecStart=/usr/bin/env cs ", "ExecStart={cs} "),
    "launchd": ("<string>exec cs ", "<string>exec {cs} "),
}


class UnknownShell(UsageError, ValueError):
    """A shell we have no integration for; the message lists the supported ones."""


class MissingFile(CsError):
    """A file that should ship with cs is not there (a broken installation)."""


def init_script(target: str, cs_path: str = None) -> str:
    """The integration script for a shell, or the unit file for a service
    manager (with `cs_path`, if given, as the command it runs)."""
    if target in SCRIPTS:
        return _read(SCRIPTS[target])
    if target in SERVICES:
        text = _read(SERVICES[target])
        if cs_path:
            old, new = _CS_IN_SERVICES[target]
            quoted = shlex.quote(cs_path)
            if target == "launchd":  # inside XML
                quoted = quoted.replace("&", "&amp;").replace("<", "&lt;")
            text = text.replace(old, new.format(cs=quoted))
        return text
    raise UnknownShell(
        f"unsupported shell {target!r}; supported shells: {', '.join(SUPPORTED_SHELLS)}"
        f" (and for the background indexer: {', '.join(SERVICES)})"
    )


def _read(name: str) -> str:
    resource = files("cs.shell").joinpath(name)
    try:
        return resource.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissingFile(f"{name} is missing from this installation of cs") from None
