"""`cs record` (listed here for --help; cs.main runs it before click is imported) and `cs init`."""

import sys

import click

from cs.cli import cli


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def record(command):
    """Run COMMAND in a recorded pseudo-terminal."""
    from cs.record.command import main as record_main

    sys.exit(record_main(list(command)))


@cli.command()
@click.argument("shell", metavar="SHELL")
def init(shell):
    """Print the integration script for SHELL (bash, zsh or fish).

    \b
    bash:  eval "$(cs init bash)"      in ~/.bashrc
    zsh:   eval "$(cs init zsh)"       in ~/.zshrc
    fish:  cs init fish | source       in ~/.config/fish/config.fish

    `cs init systemd` and `cs init launchd` print a unit that keeps the
    indexer running without any shell open (see docs/shell.md).
    """
    from cs.shell_init import init_script, own_command

    # The cs that is running: the shell function and the service files run it,
    # never another `cs` first on PATH.
    text = init_script(shell, own_command())
    click.echo(text, nl=False)
