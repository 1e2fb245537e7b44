"""What the benchmark prints: the machine, the code measured, and Markdown tables of results."""

from __future__ import annotations

import hashlib
import os
import platform
import sqlite3
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

from .measure import IndexAB, PageResult

ROOT = Path(__file__).resolve().parent.parent


def machine(databases: Sequence[str], code: str, load_at_start: float) -> list[tuple[str, str]]:
    """The machine and software the numbers come from, as (what, value) pairs.

    `code` is code_state() taken when the run started (the code it imported), and the load
    averages say whether something else was using the processors meanwhile.
    """
    cpu = _first_field(Path("/proc/cpuinfo"), "model name") or platform.processor() or "?"
    mem = _first_field(Path("/proc/meminfo"), "MemTotal")
    ram = f"{int(mem.split()[0]) / 2**20:.1f} GiB" if mem else "?"
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("nproc", str(len(os.sched_getaffinity(0)))),
        ("load average (1 min), start / end", f"{load_at_start:.2f} / {os.getloadavg()[0]:.2f}"),
        ("CPU", cpu),
        ("RAM", ram),
        ("Python", platform.python_version()),
        ("SQLite", sqlite3.sqlite_version),
        *((("PostgreSQL", db.removeprefix("PostgreSQL ")),) if (db := _pg(databases)) else ()),
        (
            "Flask / SQLAlchemy / psycopg",
            " / ".join(map(version, ("flask", "sqlalchemy", "psycopg"))),
        ),
        ("code", code),
    ]


def _pg(databases: Sequence[str]) -> str:
    return next((d for d in databases if d.startswith("PostgreSQL")), "")


def _first_field(path: Path, name: str) -> str:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return ""
    return next((ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(name)), "")


def _git(*args: str) -> str:
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments
            ["git", *args],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def code_state() -> str:
    """The commit, how many app files differ from it, and whether the trend method (the package
    rehab_app/core/trends) does, with a hash of its modules.

    Other work may change the tree during a run: call this when the run starts, once the app
    is imported, to say which code was measured.
    """
    commit = _git("rev-parse", "--short", "HEAD") or "unknown commit"
    changed = [ln for ln in _git("status", "--porcelain", "--", "rehab_app").splitlines() if ln]
    package = ROOT / "rehab_app" / "core" / "trends"
    digest = hashlib.sha1(usedforsecurity=False)
    for module in sorted(package.glob("*.py")):
        digest.update(module.name.encode() + b"\0" + module.read_bytes())
    sha = digest.hexdigest()[:10]
    stat = _git("diff", "--stat", "--", "rehab_app/core/trends").splitlines()
    state = f"{commit}, {len(changed)} files of rehab_app/ changed or new in the working tree"
    if stat:
        return f"{state}; rehab_app/core/trends changed ({stat[-1].strip()}; sha1 {sha})"
    return f"{state}; rehab_app/core/trends as committed (sha1 {sha})"


def ms(seconds: float) -> str:
    """Seconds as milliseconds, like 1,234 or 12.3."""
    value = seconds * 1000
    if abs(value) < 0.05:
        return "0.0"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.1f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table with aligned columns (numbers to the right)."""
    widths = [max(len(str(c)) for c in col) for col in zip(header, *rows, strict=True)]
    right = [all(_numeric(r[i]) for r in rows) and bool(rows) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        padded = [
            c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right, strict=True)
        ]
        return "| " + " | ".join(padded) + " |"

    rule = (
        "|"
        + "|".join(
            ("-" * (w + 1) + ":") if r else "-" * (w + 2)
            for w, r in zip(widths, right, strict=True)
        )
        + "|"
    )
    return "\n".join([line(header), rule, *(line(r) for r in rows)])


def _numeric(cell: str) -> bool:
    return (
        bool(cell)
        and cell.replace(",", "").replace(".", "").replace("x", "").replace("-", "").isdigit()
    )


def results_table(results: Sequence[PageResult]) -> str:
    """One row per database and page: server time, queries, raw SQL time and their ratio."""
    rows = [
        [
            r.database,
            r.page.label,
            _queries(r.queries),
            ms(r.server.median),
            ms(r.server.p90),
            ms(r.raw.median),
            f"{r.ratio:.1f}x",
        ]
        for r in results
    ]
    header = ["database", "page", "queries", "median ms", "p90 ms", "raw SQL ms", "page / raw"]
    return table(header, rows)


def _queries(counts: Sequence[int]) -> str:
    low, high = min(counts), max(counts)
    return str(low) if low == high else f"{low}-{high}"


def raw_table(results: Sequence[PageResult]) -> str:
    """The raw SQL of each page, statement by statement (median ms)."""
    rows = [
        [r.database, r.page.label, label, ms(seconds)]
        for r in results
        for label, seconds in r.raw_parts.items()
    ]
    return table(["database", "page", "raw statement", "median ms"], rows)


def index_table(comparisons: Sequence[IndexAB]) -> str:
    """Median times with and without an index, and what the index saves: page, functions."""
    rows = [
        [
            c.database,
            c.index,
            what,
            ms(without.median),
            ms(with_index.median),
            ms(without.median - with_index.median),
        ]
        for c in comparisons
        for what, with_index, without in c.rows
    ]
    header = ["database", "index", "caseload, or its function", "without, ms", "with, ms"]
    return table([*header, "saved, ms"], rows)


def breakdown_table(results: Sequence[PageResult]) -> str:
    """Where one more (profiled) run of each page spent its time, function by function."""
    rows = [
        [r.database, r.page.label, "  " * part.depth + f"{part.name}()", ms(seconds)]
        for r in results
        for part, seconds in r.breakdown
    ]
    return table(["database", "page", "function (nested ones indented)", "ms"], rows)


def plans_text(results: Sequence[PageResult]) -> str:
    """Each SELECT of each page, its time alone and the database's plan for it."""
    out = []
    for r in results:
        if not r.plans:
            continue
        out.append(f"### {r.database}: {r.page.label} ({r.page.path})\n")
        for plan in r.plans:
            out.append(f"- {ms(plan.seconds)} ms, {plan.rows:,} rows: `{plan.statement}`")
            out.extend(f"      {line}" for line in plan.plan)
        out.append("")
    return "\n".join(out)
