"""The click layer: parse arguments, call domain code, format what it returns.

Domain modules return data (dicts, dataclasses, lists); only this package prints.
One module per command family; shared options and the error type in `common`,
formatting in `output`. May import any room of cs; no room imports this one.
`cs record` is dispatched in cs.main before this module is imported (start-up
speed); the `record` command here exists so that `cs --help` lists it.
"""

import click

from cs import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cs")
def cli():
    """Record every Claude Code session; find anything the screen showed."""
    from cs.log import crypto

    def identity_file():
        from cs import config

        return config.settings_cached().identity_file

    # Encrypted logs (docs/security.md) are read with the configured identity.
    crypto.set_identity_source(identity_file)


# Each module adds its commands to the group when imported.
from cs.cli import ask, claude_cmd, config_cmd, index_cmd, maintenance, playback, record_init, web_cmd  # noqa: E402,F401
