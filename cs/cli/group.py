"""The click group: `cs` and its commands, each command's module imported when it runs."""

import importlib

import click

from cs import __version__
from cs.cli import COMMANDS, MODULES, install_identity_source


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
    install_identity_source()
