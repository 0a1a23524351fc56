"""`cs init <shell>`: the shell integration scripts, and the service files that
keep the indexer running without a shell.

The files are real files in `shell/` (shipped inside the package as
`cs.shell`), so they can be read, linted and sourced on their own; this module
only finds them. Domain code: it returns text, cs.cli prints it.
"""

import os
import shlex
import sys
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


# The line of each shell script that names the cs it runs; `cs init` puts the
# absolute path of the cs that prints it there.
_CS_IN_SCRIPTS = {
    "bash": ("\n__cs_bin=cs\n", "\n__cs_bin={cs}\n"),
    "zsh": ("\n__cs_bin=cs\n", "\n__cs_bin={cs}\n"),
    "fish": ("\nset -g __cs_bin cs\n", "\nset -g __cs_bin {cs}\n"),
}
COMMAND_NAMES = ("cs", "cs-sessions")  # the console scripts (pyproject.toml)


def own_command(argv0: str = None, executable: str = None):
    """The absolute path of the cs that is running, as the shell should run it
    again, or None when it cannot be told (then the scripts look `cs` up on
    PATH when they are sourced). The console script as invoked (a pipx link
    stays a link: it survives upgrades); run as `python -m cs`, the console
    script beside that Python; else `cs-sessions` or `cs` on PATH.
    tests/test_shell.py::test_a_foreign_cs_first_on_path_is_never_run."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    if os.path.basename(argv0) in COMMAND_NAMES and os.path.isfile(argv0):
        return os.path.abspath(argv0)
    beside = os.path.join(os.path.dirname(executable or sys.executable), "cs")
    if os.access(beside, os.X_OK):
        return beside
    import shutil

    found = shutil.which("cs-sessions") or shutil.which("cs")
    return os.path.abspath(found) if found else None


def _quoted(path: str, shell: str) -> str:
    if shell == "fish":  # inside fish's single quotes only \\ and \' are escapes
        return "'" + path.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return shlex.quote(path)


def init_script(target: str, cs_path: str = None) -> str:
    """The integration script for a shell, or the unit file for a service
    manager, with `cs_path`, if given, as the cs it runs."""
    if target in SCRIPTS:
        text = _read(SCRIPTS[target])
        if cs_path:
            old, new = _CS_IN_SCRIPTS[target]
            text = text.replace(old, new.format(cs=_quoted(cs_path, target)), 1)
        return text
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
