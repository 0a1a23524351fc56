"""The watcher's periodic maintenance: retention, size limit and compression,
as configured, under the maintenance lock."""

from datetime import UTC, datetime

from cs.errors import CsError
from cs.log import locks, paths
from cs.maintenance import compress
from cs.maintenance.policy import Policy, resolve
from cs.maintenance.prune import _empty_result, _prune_locked

# apply_policy runs inside the watcher's loop: compress at most about this
# much per call (~1-2 s of zlib), leaving the rest for the next call.
WATCHER_COMPRESS_BUDGET = 64 * 1024 * 1024


def apply_policy(db=None, now: datetime = None) -> dict:
    """Retention, size limit and compression as configured; what the watcher
    runs periodically. Never raises for a user mistake: a broken config is
    reported in "errors" and the part it governs is skipped. If another
    maintenance run holds the lock, returns at once with busy=True."""
    from cs import config

    now = now or datetime.now(UTC)
    result = {"pruned": None, "compressed": None, "errors": [], "busy": False}
    try:
        settings = config.settings()
    except config.ConfigError as exc:
        result["errors"].append(str(exc))
        return result
    home = paths.cs_home()
    with locks.held(locks.MAINTENANCE, wait=0, home=home) as held:
        if not held:
            result["busy"] = True
            return result
        policy = resolve(Policy(), settings, now)
        if not policy.is_empty():
            result["pruned"] = _prune_locked(policy, db, now.timestamp(), _empty_result(policy, False))
        if settings.compress_after is not None:
            cutoff = now - settings.compress_after
            try:
                result["compressed"] = compress.compress(
                    older_than=cutoff, db=db, now=now, budget_bytes=WATCHER_COMPRESS_BUDGET, _locked=True
                )
            except CsError as exc:  # encrypt_recipients unusable (pyrage missing): say it, compress nothing
                result["errors"].append(str(exc))
    return result
