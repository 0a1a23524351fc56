"""The user's settings: <cs home>/config.toml (documented in docs/config.md).

    retention = "90d"        # remove sessions that ended longer ago (default: keep forever)
    max_total_size = "20G"   # keep the newest sessions within this total (default: no limit)
    rotate_size = "256M"     # continue a session's log in a new segment past this size
    compress_after = "7d"    # gzip finished sessions older than this

The recorder reads it on start-up, so loading stays cheap (tomllib only when
the file exists).
"""

from cs import paths

DEFAULTS = {
    "retention": None,
    "max_total_size": None,
    "rotate_size": "256M",
    "compress_after": "7d",
}


def load(path=None) -> dict:
    """Settings merged over the defaults. A missing file means defaults."""
    path = path or paths.config_path()
    values = dict(DEFAULTS)
    try:
        raw = open(path, "rb").read()
    except FileNotFoundError:
        return values
    import tomllib

    values.update(tomllib.loads(raw.decode()))
    return values
