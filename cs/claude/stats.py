"""`cs stats`: where the time and the tokens went.

Sessions per day and week, total and median duration, busiest hours, top
projects, exit statuses (from the recordings); tokens by model, project and day
(from Claude Code's transcripts: `claude_usage`, one row per API response, so
nothing is counted twice). Cost only with a price table the user supplies
(LiteLLM's model_prices_and_context_window.json format: per model,
`input_cost_per_token`, `output_cost_per_token`, `cache_read_input_token_cost`,
`cache_creation_input_token_cost`). Tests: tests/test_claude_stats.py.
"""

import json
import statistics
from collections import Counter, defaultdict

from cs.errors import UsageError
from cs.log.timestamps import parse_timestamp

TOKEN_FIELDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
_PRICE_KEYS = (
    "input_cost_per_token",
    "output_cost_per_token",
    "cache_read_input_token_cost",
    "cache_creation_input_token_cost",
)


def load_prices(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            table = json.load(f)
    except OSError as e:
        raise UsageError(f"--prices {path}: {e.strerror}") from None
    except ValueError as e:
        raise UsageError(f"--prices {path}: not JSON ({e})") from None
    if not isinstance(table, dict):
        raise UsageError(f"--prices {path}: expected an object of models")
    return {m: v for m, v in table.items() if isinstance(v, dict)}


def compute(db, filters, prices: dict = None) -> dict:
    """The figures, as data (the CLI draws them)."""
    where, params = filters.session_where("s.id", "s.cwd", "s.project")
    filters.time_where(where, params, "s.started_at", "s.started_at")
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    sessions = db.execute(
        "SELECT s.id, s.started_at, COALESCE(s.ended_at, s.last_event_at), s.project, s.exit_code, s.status"
        f" FROM sessions s{clause}",
        params,
    ).fetchall()
    usage = db.execute(
        "SELECT u.model, s.project, substr(u.ts, 1, 10), "
        + ", ".join(f"u.{f}" for f in TOKEN_FIELDS)
        + f" FROM claude_usage u JOIN sessions s ON s.id = u.session_id{clause}",
        params,
    ).fetchall()
    return {"sessions": _session_figures(sessions), "tokens": _token_figures(usage, prices)}


def _session_figures(rows) -> dict:
    per_day, per_week, hours, projects, exits = Counter(), Counter(), Counter(), Counter(), Counter()
    durations = []
    for _sid, start, end, project, exit_code, status in rows:
        a, b = parse_timestamp(start), parse_timestamp(end)
        if a is None:
            continue
        local = a.astimezone()
        per_day[local.strftime("%Y-%m-%d")] += 1
        per_week[local.strftime("%G-W%V")] += 1
        hours[local.hour] += 1
        projects[project or "-"] += 1
        exits["running" if status == "running" else str(exit_code) if exit_code is not None else "-"] += 1
        if b is not None and b >= a:
            durations.append((b - a).total_seconds())
    return {
        "count": len(rows),
        "total_seconds": round(sum(durations), 1),
        "median_seconds": round(statistics.median(durations), 1) if durations else None,
        "per_day": dict(sorted(per_day.items())),
        "per_week": dict(sorted(per_week.items())),
        "by_hour": {h: hours.get(h, 0) for h in range(24)},
        "top_projects": projects.most_common(10),
        "exit_status": dict(exits.most_common()),
    }


def _token_figures(rows, prices) -> dict:
    by_model, by_project, by_day = (defaultdict(lambda: dict.fromkeys(TOKEN_FIELDS, 0)) for _ in range(3))
    total = dict.fromkeys(TOKEN_FIELDS, 0)
    for model, project, day, *numbers in rows:
        for table, key in ((by_model, model or "-"), (by_project, project or "-"), (by_day, day or "-")):
            for field, n in zip(TOKEN_FIELDS, numbers):
                table[key][field] += n or 0
        for field, n in zip(TOKEN_FIELDS, numbers):
            total[field] += n or 0
    out = {
        "total": total,
        "by_model": dict(by_model),
        "by_project": dict(by_project),
        "by_day": dict(sorted(by_day.items())),
    }
    if prices is not None:
        out["cost"] = _cost(by_model, prices)
    return out


def _cost(by_model: dict, prices: dict) -> dict:
    costs, unpriced = {}, []
    for model, tokens in by_model.items():
        price = prices.get(model) or prices.get(f"anthropic/{model}")
        if price is None:
            unpriced.append(model)
            continue
        costs[model] = round(sum(tokens[f] * float(price.get(k) or 0) for f, k in zip(TOKEN_FIELDS, _PRICE_KEYS)), 6)
    return {"by_model": costs, "total": round(sum(costs.values()), 6), "models_without_price": unpriced}
