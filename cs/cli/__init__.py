"""The click layer: parse arguments, call domain code, format what it returns.

Domain modules return data (dicts, dataclasses, lists); only this package prints.
One module per command family; shared options and the error type in `common`,
formatting in `output`. May import any room of cs; no room imports this one.
`cs record` is dispatched in cs.main before this module is imported (start-up
speed); the `record` command here exists so that `cs --help` lists it.
"""

import importlib

import click

from cs import __version__

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
}
MODULES = ("ask", "claude_cmd", "config_cmd", "index_cmd", "maintenance", "playback", "record_init", "web_cmd")


class _LazyGroup(click.Group):
    def get_command(self, ctx, name):
        if name not in self.commands:
            module = COMMANDS.get(name)
            if module is not None:
                importlib.import_module(f"cs.cli.{module}")
            if name not in self.commands:
                load_all()  # (a command missing from the table still works)
        return super().get_command(ctx, name)

    def list_commands(self, ctx):
        load_all()
        return super().list_commands(ctx)


def load_all() -> None:
    for module in MODULES:
        importlib.import_module(f"cs.cli.{module}")


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cs")
def cli():
    """Record every Claude Code session; find anything the screen showed."""
    from cs.log import crypto

    def identity_file():
        from cs import config

        return config.settings_cached().identity_file

    # Encrypted logs (docs/security.md) are read with the configured identity.
    crypto.set_identity_source(identity_file)
