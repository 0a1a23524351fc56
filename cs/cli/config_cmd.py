"""`cs config`."""

import click

from cs.cli import cli
from cs.cli.output import print_json


@cli.command("config")
@click.argument("key", required=False)
@click.argument("value", required=False)
@click.option("--unset", "unset_key", metavar="KEY", help="Remove a setting (back to its default).")
@click.option("--json", "as_json", is_flag=True, help="Print the settings as JSON.")
def config_cmd(key, value, unset_key, as_json):
    """Show settings, or set one: `cs config retention 90d`.

    Settings live in <cs home>/config.toml; see docs/config.md."""
    from cs import config
    from cs.log import paths

    path = paths.config_path()
    if unset_key:
        if key or value:
            raise click.UsageError("--unset takes only the KEY to remove")
        try:
            was_set = config.unset_value(unset_key)
        except config.ConfigError:
            raise  # the config file itself is the problem: say that, not "invalid KEY"
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="KEY") from None
        click.echo(f"{unset_key} unset" if was_set else f"{unset_key} was not set")
        return
    if value is not None:
        try:
            stored = config.set_value(key, value)
        except config.ConfigError:
            raise
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="VALUE") from None
        click.echo(f"{key} = {stored!r}".replace("'", '"'))
        return
    settings = config.show()
    if key is not None:
        match = [s for s in settings if s["key"] == key]
        if not match:
            raise click.BadParameter(f"unknown setting {key!r} (known: {', '.join(config.DEFAULTS)})", param_hint="KEY")
        settings = match
    if as_json:
        print_json({"path": str(path), "settings": settings})
        return
    for s in settings:
        value = s["value"]
        shown = "(unset)" if value is None else config.toml_value(value)
        mark = "  # default" if s["is_default"] else ""
        click.echo(f"{s['key']} = {shown}{mark}")
