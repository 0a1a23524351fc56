"""`cs init <shell>`: the shell integration scripts.

The scripts are real files in `shell/` (shipped inside the package as
`cs.shell`), so they can be read, linted and sourced on their own; this module
only finds them. Domain code: it returns text, cs/cli.py prints it.
"""

from importlib.resources import files

# shell name -> script file in cs.shell
SCRIPTS = {
    "bash": "cs.bash",
    "zsh": "cs.zsh",
    "fish": "cs.fish",
}

SUPPORTED_SHELLS = tuple(SCRIPTS)


class UnknownShell(ValueError):
    """A shell we have no integration for; the message lists the supported ones."""


def init_script(shell: str) -> str:
    """The integration script for `shell`, to be evaluated by that shell."""
    name = SCRIPTS.get(shell)
    if name is None:
        raise UnknownShell(
            f"unsupported shell {shell!r}; supported shells: {', '.join(SUPPORTED_SHELLS)}"
        )
    return files("cs.shell").joinpath(name).read_text(encoding="utf-8")
