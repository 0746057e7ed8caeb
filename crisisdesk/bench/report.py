"""The bench's figures as text: percentiles and the tables ``manage.py bench`` prints."""


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample that ``pct`` % of samples do not exceed."""
    ordered = sorted(samples)
    rank = max(1, round(pct / 100 * len(ordered) + 0.4999))
    return ordered[min(rank, len(ordered)) - 1]


PAGE_HEADER = (
    f"{'target':<24} {'persona':<48} {'p50 ms':>8} {'p95 ms':>8} {'SQL':>5} {'tx':>4} {'x bare':>7} {'KiB':>7}"
)


def page_table(size_label: str, rows: list[dict]) -> list[str]:
    """One line per target: p50/p95 in ms, SQL and transaction statements per request, p50 ÷ bare p50, body size."""
    bare = next((row["p50"] for row in rows if row["target"] == "bare Django view"), None)
    lines = [f"== {size_label}", PAGE_HEADER, "-" * len(PAGE_HEADER)]
    for row in rows:
        ratio = f"{row['p50'] / bare:.1f}" if bare else "-"
        lines.append(
            f"{row['target']:<24} {row['persona']:<48} {row['p50'] * 1000:>8.2f} {row['p95'] * 1000:>8.2f} "
            f"{_count(row['sql']):>5} {_count(row['tx']):>4} {ratio:>7} {row['bytes'] / 1024:>7.1f}"
        )
    return lines


def _count(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"


def concurrency_line(result: dict) -> str:
    return (
        f"Concurrency: {result['clients']} clients on {result['target']} ({result['persona']}) for "
        f"{result['duration']:.0f} s: {result['requests']:,} requests, {result['errors']} errors, "
        f"p50 {result['p50'] * 1000:.0f} ms, p95 {result['p95'] * 1000:.0f} ms, "
        f"{result['throughput']:.1f} requests/s"
    )


def rss_line(result: dict) -> str:
    workers = ", ".join(f"{kib / 1024:.0f} MiB" for kib in result["after"].values())
    start = ", ".join(f"{kib / 1024:.0f} MiB" for kib in result["before"].values())
    note = "" if result["same_workers"] else " (a worker was recycled meanwhile: max_requests)"
    return (
        f"Worker RSS after {result['requests']:,} requests: {workers} "
        f"(max {result['max'] / 1024:.0f} MiB; {start} before){note}"
    )
