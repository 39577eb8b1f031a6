"""The benchmark report: benchmarks/results/report.md and its PNG plots."""

from __future__ import annotations

import os
import platform
import time
from pathlib import Path

from benchmarks.cold import Scenario
from benchmarks.environment import ROOT
from benchmarks.warm import RouteResult

RESULTS = ROOT / "benchmarks" / "results"
HEADLINE = "GetProduct, cache hit, production settings"
COOKBOOK = "peer: cookbook (Powertools + boto3 + pydantic + redis), cache hit"
LAMBDALITH = "peer: FastAPI + Mangum lambdalith, cache hit"
BARE = "bare handler (no dependencies)"
TARGET_VS_COOKBOOK = 0.9


def machine() -> str:
    """One line about the machine the numbers come from."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def write(
    scenarios: list[Scenario],
    routes: list[RouteResult],
    *,
    quick: bool,
    lists_table: str,
    redis_url: str,
    passwords: dict[str, float] | None = None,
    operations_table: str = "",
    reports_table: str = "",
) -> Path:
    """Write the report and plots; the report's path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    by_name = {s.name: s for s in scenarios}
    bare, cookbook, lambdalith = (by_name[n].median_ms for n in (BARE, COOKBOOK, LAMBDALITH))
    headline = by_name[HEADLINE].median_ms / cookbook
    lines = [
        "# Storefront benchmarks",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {machine()};"
        f" {'quick mode, ' if quick else ''}{len(scenarios[0].times)} cold runs per scenario (median),"
        f" {routes[0].requests if routes else 0} warm requests per route. Ratios compare numbers of the same run.",
        "",
        f"**GetProduct cold start vs the cookbook peer: {headline:.2f}x** "
        f"(target <= {TARGET_VS_COOKBOOK}x: {'met' if headline <= TARGET_VS_COOKBOOK else 'NOT met'}).",
        "",
        "## Cold start: fresh interpreter, imports, INIT and the first request",
        "",
        "Production settings: `DATABASE_SECRET_ARN` read through the Parameters and Secrets Extension stand-in"
        " (an `oracle+oracledb` URL), `REDIS_URL` holding the product. Peers read the same secret with boto3"
        f" from a moto server. Redis: `{redis_url}`.",
        "",
        "| scenario | median ms | vs bare | vs cookbook peer | vs lambdalith peer |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for s in scenarios:
        ms = s.median_ms
        lines.append(f"| {s.name} | {ms:.0f} | {ms / bare:.1f}x | {ms / cookbook:.2f}x | {ms / lambdalith:.2f}x |")
    lines += [
        "",
        "## Warm requests on PostgreSQL + Redis (round trips counted at the wire)",
        "",
        "Redis round trips include the rate limiter's check (its limits and the token's revocation, one script),"
        " also counted alone.",
        "",
        "| route | SQL statements | DB round trips | Redis round trips | of which rate limit | p50 ms | p99 ms |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in routes:
        statements = ", ".join(r.statements) or "none"
        trips = f"{r.db_round_trips} | {r.redis_round_trips} | {r.rate_limit_round_trips}"
        lines.append(f"| {r.route} | {statements} | {trips} | {r.p50_ms:.2f} | {r.p99_ms:.2f} |")
    if passwords:
        lines += [
            "",
            "## Passwords (argon2id, m = 19 MiB, t = 2, p = 1)",
            "",
            "What a login costs: the hash a registration or a reset makes, the verify every login (and every"
            " login naming no account) makes, and a whole warm login.",
            "",
            "| step | median ms |",
            "| --- | ---: |",
            *(f"| {name} | {ms:.1f} |" for name, ms in passwords.items()),
        ]
    lines += ["", "## Lists (10k / 100k / 1M products)", ""]
    lines.append(
        "Latency of the warm ListProducts handler (ms) per tenant size, with the list's total remembered and"
        " when it counts it (the first request after a write), and the SQL alone; the 1M/10k ratio."
    )
    lines += ["", lists_table]
    if operations_table:
        lines += ["", "## Operational endpoints", ""]
        lines.append(
            "Warm /api/v1/ready and /api/v1/metrics on PostgreSQL + Redis (no SQS), /api/v1/ready while the database"
            " accepts connections and never answers (bounded by the deadline), and the local SigV4 check (ms)."
        )
        lines += ["", operations_table]
    if reports_table:
        lines += ["", "## Admin stats, reports and analytics", "", reports_table]
    lines += ["", "![cold starts](cold_start.png)", "", "![warm latency](warm_latency.png)", ""]
    path = RESULTS / "report.md"
    path.write_text("\n".join(lines))
    _plots(scenarios, routes)
    return path


def _plots(scenarios: list[Scenario], routes: list[RouteResult]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"baseline": "#999999", "storefront": "#1f77b4", "storefront-postgresql": "#6baed6", "peer": "#ff7f0e"}
    figure, axis = plt.subplots(figsize=(10, 0.45 * len(scenarios) + 1.5))
    names = [s.name for s in scenarios][::-1]
    values = [s.median_ms for s in scenarios][::-1]
    axis.barh(names, values, color=[colours[s.group] for s in scenarios][::-1])
    for y, value in enumerate(values):
        axis.text(value, y, f" {value:.0f}", va="center", fontsize=8)
    axis.set_xlabel("cold start, median ms (fresh interpreter + first request)")
    axis.set_title("Cold start")
    figure.tight_layout()
    figure.savefig(RESULTS / "cold_start.png", dpi=110)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(10, 0.45 * len(routes) + 1.5))
    labels = [r.route for r in routes][::-1]
    axis.barh([y + 0.2 for y in range(len(routes))], [r.p50_ms for r in routes][::-1], height=0.4, label="p50")
    axis.barh([y - 0.2 for y in range(len(routes))], [r.p99_ms for r in routes][::-1], height=0.4, label="p99")
    axis.set_yticks(range(len(routes)), labels)
    axis.set_xlabel("warm request, ms (in-process handler, PostgreSQL + Redis on loopback)")
    axis.set_title("Warm latency per route")
    axis.legend()
    figure.tight_layout()
    figure.savefig(RESULTS / "warm_latency.png", dpi=110)
    plt.close(figure)
