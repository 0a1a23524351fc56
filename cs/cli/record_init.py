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
    import os
    import shutil

    from cs.shell_init import init_script

    # The cs that is running, for service files: argv[0] when it is the
    # console script, else whatever `cs` PATH finds.
    me = sys.argv[0] if os.path.basename(sys.argv[0]) == "cs" else shutil.which("cs")
    text = init_script(shell, os.path.abspath(me) if me else None)
    click.echo(text, nl=False)
