"""Which sessions a retention policy removes: one `Policy`, built from the
command line's flags or the configuration by `resolve`, and `select`.

Used by `cs prune` and by the watcher's periodic run (cs.maintenance.schedule).
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from cs.maintenance.inventory import SessionInfo


@dataclass
class Policy:
    older_than: object = None  # datetime: remove sessions that ended before it
    keep: int = None  # keep at most the newest N
    max_size: int = None  # keep the newest within this many bytes
    project: str = None
    cwd: str = None

    def is_empty(self) -> bool:
        return self.older_than is None and self.keep is None and self.max_size is None

    def as_dict(self) -> dict:
        return {
            "older_than": self.older_than.isoformat() if self.older_than else None,
            "keep": self.keep,
            "max_size": self.max_size,
            "project": self.project,
            "cwd": self.cwd,
        }


def _in_scope(info: SessionInfo, policy: Policy) -> bool:
    if policy.project is not None and info.project != policy.project:
        return False
    if policy.cwd is not None:
        cwd = info.cwd
        if cwd is None:
            return False
        root = policy.cwd.rstrip("/") or "/"
        if not (cwd == root or cwd.startswith(root if root.endswith("/") else root + "/")):
            return False
    return True


def select(infos: list, policy: Policy) -> tuple:
    """(to_remove: [(info, reasons)], kept: [info], protected: [info]).

    Within the sessions in scope, newest first (live ones count as newest: they
    take space and are never removed), a session goes if any limit says so:
    ended before older_than, beyond the newest `keep`, or beyond the newest
    prefix that fits in max_size."""
    far_future = datetime.max.replace(tzinfo=UTC)
    scoped = [i for i in infos if _in_scope(i, policy)]
    scoped.sort(key=lambda i: (far_future if i.status in ("live", "starting") else i.age_at, i.id), reverse=True)
    to_remove, kept, protected = [], [], []
    total, size_exceeded = 0, False
    for rank, info in enumerate(scoped):
        total += info.size
        if policy.max_size is not None and total > policy.max_size:
            size_exceeded = True  # once one does not fit, every older one goes too
        if info.status in ("live", "starting"):
            protected.append(info)
            continue
        reasons = []
        if policy.older_than is not None and info.age_at < policy.older_than:
            reasons.append("older")
        if policy.keep is not None and rank >= policy.keep:
            reasons.append("keep")
        if size_exceeded:
            reasons.append("max-size")
        if reasons:
            to_remove.append((info, reasons))
        else:
            kept.append(info)
    return to_remove, kept, protected


def resolve(flags: Policy, settings, now: datetime = None) -> Policy:
    """The policy to apply, for `cs prune` and the watcher alike: the limits
    given as flags, or, when none is, the configured ones (`settings`: a
    cs.config.Settings); the flags' scope (project, cwd) either way. The
    result `is_empty()` when nothing limits anything."""
    if not flags.is_empty():
        return flags
    now = now or datetime.now(UTC)
    return Policy(
        older_than=now - settings.retention if settings.retention is not None else None,
        max_size=settings.max_total_size,
        project=flags.project,
        cwd=flags.cwd,
    )
