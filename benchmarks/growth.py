"""``--growth``: Poolgate with few and with many preloaded users, side by side.

Each (database, size) pair is one Poolgate server with ``--preload size`` (its own
report in ``results/growth/<database>-<size>.{md,json}``); the servers of one database
run at the same time and are measured in alternating order. This module puts the
runs together: how long loading took, start-up time, and per scenario and concurrency
the ops/s and p99 at each size with the ratio largest ÷ smallest (the target is
within 10%, i.e. a ratio of at least 0.90).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGET_RATIO = 0.9
DB_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def _short(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return f"{n:,}"


def _relative(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(__file__).resolve().parent.parent))
    except ValueError:
        return path


def summarise(runs: list[dict[str, Any]], *, command: str) -> dict[str, Any]:
    """The JSON of growth.json: per run the loading and start-up figures, and the comparison rows."""
    databases = list(dict.fromkeys(r["database"] for r in runs))
    sizes = sorted({r["preloaded"] for r in runs})
    small, big = sizes[0], sizes[-1]
    first = runs[0]["data"]["meta"] if runs else {}
    out: dict[str, Any] = {
        "meta": {
            "command": command,
            "started": first.get("started"),
            "finished": runs[-1]["data"]["meta"].get("finished") if runs else None,
            "cpus": first.get("cpus"),
            "versions": first.get("versions"),
            "duration_s": first.get("duration_s"),
            "warmup_s": first.get("warmup_s"),
            "measured_users": first.get("users"),
            "workers": first.get("workers"),
            "concurrency": first.get("concurrency"),
            "sizes": sizes,
            "databases": databases,
            "target": f"every scenario at {big:,} users within 10% of its {small:,}-user ops/s (ratio ≥ {TARGET_RATIO})",
        },
        "runs": [],
        "rows": [],
    }
    cells: dict[tuple[str, int, str, int], dict[str, Any]] = {}
    scenarios: list[str] = []
    for r in runs:
        data = r["data"]
        out["runs"].append(
            {
                "database": r["database"],
                "preloaded": r["preloaded"],
                "report": _relative(r["file"]),
                "preload": data.get("preload"),
                "startup": data.get("startup", {}).get("poolgate"),
                "loadavg_start": data["meta"].get("loadavg_start"),
                "loadavg_end": data["meta"].get("loadavg_end"),
            }
        )
        for name, scenario in data["scenarios"].items():
            if name not in scenarios:
                scenarios.append(name)
            for row in scenario["rows"]:
                if row["server"] == "poolgate":
                    cells[(r["database"], r["preloaded"], name, row["concurrency"])] = row
    concs = sorted({key[3] for key in cells})
    for name in scenarios:
        for conc in concs:
            entry: dict[str, Any] = {"scenario": name, "concurrency": conc}
            for db in databases:
                a, b = cells.get((db, small, name, conc)), cells.get((db, big, name, conc))
                entry[db] = {
                    "ops_per_s": {str(small): a and a["ops_per_s"], str(big): b and b["ops_per_s"]},
                    "p99_ms": {str(small): a and a["p99_ms"], str(big): b and b["p99_ms"]},
                    "errors": {str(small): a and a["errors_total"], str(big): b and b["errors_total"]},
                    "ratio": round(b["ops_per_s"] / a["ops_per_s"], 3)
                    if a and b and a["ops_per_s"]
                    else None,
                }
            out["rows"].append(entry)
    return out


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def render(summary: dict[str, Any]) -> str:
    meta = summary["meta"]
    small, big = meta["sizes"][0], meta["sizes"][-1]
    dbs = meta["databases"]
    out = [f"# Growth: {small:,} vs {big:,} preloaded users ({meta['started']})", ""]
    out.append(f"Command: `{meta['command']}`")
    out.append("")
    out.append(
        f"Poolgate only, {meta['workers']} worker(s) pinned to core 0, generator on core 1, {meta['cpus']} cores "
        f"(shared machine). Per database, one server per size runs at the same time (its own SQLite file or "
        f"PostgreSQL database), and each cell is measured on every size in turn, the order alternating from "
        f"cell to cell. Each cell {meta['warmup_s']} s warm-up + {meta['duration_s']} s measured. The "
        f"{meta['measured_users']} measured users are created through the API after the preload; the preloaded "
        f"users sit in the same pool. Versions: "
        + ", ".join(f"{k} {v}" for k, v in (meta.get("versions") or {}).items())
        + "."
    )
    out.append("")
    out.append("## Loading and start-up")
    out.append("")
    out.append(
        "| database | preloaded | load s | users/s | ANALYZE s | rows (users / user_keys / user_search) "
        "| start-up s (empty) | start-up s (after preload) | load average at start |"
    )
    out.append("|---|---:|---:|---:|---:|---|---:|---:|---:|")
    for run in summary["runs"]:
        pre = run.get("preload") or {}
        rows = pre.get("rows") or {}
        start = run.get("startup") or {}
        load = run.get("loadavg_start") or [None]
        out.append(
            f"| {DB_LABELS.get(run['database'], run['database'])} | {run['preloaded']:,} | {_num(pre.get('load_s'), 1)} "
            f"| {_num(pre.get('users_per_s'))} | {_num(pre.get('analyse_s'), 1)} "
            f"| {' / '.join(f'{rows.get(t, 0):,}' for t in ('users', 'user_keys', 'user_search'))} "
            f"| {_num(start.get('first_answer_s'), 2)} | {_num(start.get('after_preload_s'), 2)} | {_num(load[0], 1)} |"
        )
    out.append("")
    out.append(
        f"## Throughput: ops/s at {_short(small)} and {_short(big)} users, ratio {_short(big)} ÷ {_short(small)}"
    )
    out.append("")
    out.append(f"Target: ratio ≥ {TARGET_RATIO} (within 10%); a ratio below it is marked **bold**.")
    out.append("")
    headers = ["scenario", "conc"]
    for db in dbs:
        label = DB_LABELS.get(db, db)
        headers += [f"{label} {_short(small)}", f"{label} {_short(big)}", f"{label} ratio"]
    out.append("| " + " | ".join(headers) + " |")
    out.append("|" + "|".join(["---", "---:"] + ["---:"] * (len(headers) - 2)) + "|")
    for row in summary["rows"]:
        cells = [row["scenario"], str(row["concurrency"])]
        for db in dbs:
            d = row[db]
            ratio = d["ratio"]
            text = "–" if ratio is None else f"{ratio:.2f}"
            if ratio is not None and ratio < TARGET_RATIO:
                text = f"**{text}**"
            cells += [_num(d["ops_per_s"][str(small)]), _num(d["ops_per_s"][str(big)]), text]
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append(
        f"## p99 latency ms at {_short(small)} and {_short(big)} users (errors in brackets when not 0)"
    )
    out.append("")
    headers = ["scenario", "conc"]
    for db in dbs:
        label = DB_LABELS.get(db, db)
        headers += [f"{label} {_short(small)}", f"{label} {_short(big)}"]
    out.append("| " + " | ".join(headers) + " |")
    out.append("|" + "|".join(["---", "---:"] + ["---:"] * (len(headers) - 2)) + "|")
    for row in summary["rows"]:
        cells = [row["scenario"], str(row["concurrency"])]
        for db in dbs:
            d = row[db]
            for size in (small, big):
                text = _num(d["p99_ms"][str(size)], 1)
                if d["errors"][str(size)]:
                    text += f" ({d['errors'][str(size)]} errors)"
                cells.append(text)
        out.append("| " + " | ".join(cells) + " |")
    out.append("")
    out.append("Per-run reports: " + ", ".join(f"`{r['report']}`" for r in summary["runs"]) + ".")
    out.append("")
    return "\n".join(out)
