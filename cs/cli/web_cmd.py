"""`cs web`: the local viewer (cs/web)."""

import click

from cs.cli import cli
from cs.cli.common import CsError

DEFAULT_PORT = 8777


@cli.command("web")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=DEFAULT_PORT,
    show_default=True,
    help="Port (0: any free one). If it is taken, a free one is used.",
)
@click.option("--host", metavar="ADDRESS", help="Listen on this address instead of 127.0.0.1 and ::1 (warned).")
@click.option("--no-open", is_flag=True, help="Do not open a browser.")
@click.option("--team", is_flag=True, help="What the team shared, from the team database (docs/team.md).")
def web_cmd(port, host, no_open, team):
    """Browse sessions, search, play them back, watch live ones, see stats.

    Serves on 127.0.0.1 and ::1 only; open the printed URL (it carries a
    one-time token: without it, the server answers 403). With --team: the
    sessions the team shared, each with its owner, from the team database."""
    import os
    import secrets
    import webbrowser

    try:
        import uvicorn

        from cs.web.app import create_app
        from cs.web.team import create_team_app
    except ImportError as e:
        raise CsError(f"cs web needs the web extra ({e.name} is missing): pip install 'cs-sessions[web]'") from None
    from cs.web.serve import bind

    if team:
        from cs.team import connect

        connect.connect(read=True).close()  # the database is there, and lets me in: say so now, not on the first page
        connect.remember()

    token = os.environ.get("CS_WEB_TOKEN") or secrets.token_urlsafe(24)
    if host:
        click.echo(
            f"cs: warning: listening on {host}: anyone who can reach it and has the token can read "
            + ("every session the team shared" if team else "every recorded session"),
            err=True,
        )
    sockets = bind(host, port)
    shown_port = sockets[0].getsockname()[1]
    url = f"http://{'127.0.0.1' if not host else host}:{shown_port}/?token={token}"
    click.echo(f"cs web: {url}  (Ctrl-C to stop)")
    if not no_open:
        webbrowser.open(url)
    make = create_team_app if team else create_app
    config = uvicorn.Config(
        make(token, allow_any_host=bool(host)), log_level="warning", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run(sockets=sockets)
