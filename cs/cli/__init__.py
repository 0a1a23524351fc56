"""The click layer: parse arguments, call domain code, format what it returns.

Domain modules return data (dicts, dataclasses, lists); only this package prints.
One module per command family; shared options and the error type in `common`,
formatting in `output`. May import any room of cs; no room imports this one.
`cs record` is dispatched in cs.main before this module is imported (start-up
speed); the `record` command here exists so that `cs --help` lists it.

The click group itself is in `group` and imported on first use of `cli`: the
common forms of the reading commands (`cs search WORDS`, `cs list`, `cs show ID`)
run without click (`quick`), through the same code as the click commands.
"""

# Which module defines each command. Each module adds its commands to the
# group when imported, and a command's module is imported when the command
# runs (`cs search` need not import the web, playback and maintenance
# commands: about 2-7 ms of every reading command); `cs --help` imports them all.
COMMANDS = {
    "search": "ask",
    "list": "ask",
    "show": "ask",
    "resume": "claude_cmd",
    "stats": "claude_cmd",
    "config": "config_cmd",
    "index": "index_cmd",
    "prune": "maintenance",
    "compress": "maintenance",
    "forget": "maintenance",
    "scrub": "maintenance",
    "replay": "playback",
    "export": "playback",
    "import": "playback",
    "tail": "playback",
    "record": "record_init",
    "init": "record_init",
    "web": "web_cmd",
    "doctor": "doctor_cmd",
    "mcp": "mcp_cmd",
    "team": "team_cmd",
    "share": "team_cmd",
    "unshare": "team_cmd",
}
MODULES = (
    "ask",
    "claude_cmd",
    "config_cmd",
    "doctor_cmd",
    "index_cmd",
    "maintenance",
    "mcp_cmd",
    "playback",
    "record_init",
    "team_cmd",
    "web_cmd",
)


def __getattr__(name):
    if name in ("cli", "load_all"):
        from cs.cli import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def install_identity_source() -> None:
    """Encrypted logs (docs/security.md) are read with the configured identity:
    what the group does before any command runs (and cs.cli.quick)."""
    from cs.log import crypto

    def identity_file():
        from cs import config

        return config.settings_cached().identity_file

    crypto.set_identity_source(identity_file)
