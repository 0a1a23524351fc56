"""The click layer: parse arguments, call domain code, format what it returns.

Domain modules return data (dicts, dataclasses, lists); only this file prints.
`cs record` is dispatched in cs.main before this module is imported (start-up
speed); the `record` command here exists so that `cs --help` lists it.
"""

import sys

import click

from cs import __version__


class CsError(click.ClickException):
    """A clear message for the user and exit status 1; never a traceback."""


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cs")
def cli():
    """Record every Claude Code session; find anything the screen showed."""


@cli.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("command", nargs=-1, type=click.UNPROCESSED, required=True)
def record(command):
    """Run COMMAND in a recorded pseudo-terminal."""
    from cs.record_cmd import main as record_main

    sys.exit(record_main(list(command)))


# ---- shell integration (cs init) -------------------------------------------


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

    from cs.shell_init import MissingFile, UnknownShell, init_script

    # The cs that is running, for service files: argv[0] when it is the
    # console script, else whatever `cs` PATH finds.
    me = sys.argv[0] if os.path.basename(sys.argv[0]) == "cs" else shutil.which("cs")
    try:
        text = init_script(shell, os.path.abspath(me) if me else None)
    except UnknownShell as e:
        # A wrong argument: exit status 2 with the usage line, like click's own.
        raise click.UsageError(str(e)) from None
    except MissingFile as e:
        raise CsError(str(e)) from None
    click.echo(text, nl=False)


# ---- indexing and asking (cs index, search, list, show, replay) ------------


# ---- retention (cs prune, compress, config) --------------------------------
