"""Times every canned report of an existing database with the options
that make sessiondb compute a report from the sessions rather than read
the summaries: `--filter` (a narrow and a broad filter), `--tz` in
another zone, and a week of `--from/--to` (which the summaries answer),
so the issue's targets ("filters <= 2 s on 10M events", "--tz <= 1 s")
can be checked on any database.

    python3 benches/bench.py --sizes 10m --skip-sqlite3   # makes the database
    python3 benches/report_options.py target/bench-data/db_10m/analytics.db

Prints a Markdown table: median wall-clock milliseconds of --repeat runs,
process start included, with the same binary as bench.py
(target/release/sessiondb, built first)."""

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BINARY = ROOT / "target" / "release" / "sessiondb"

# Option sets, by the column they head.
OPTIONS = {
    "no option": [],
    "--filter device=tablet": ["--filter", "device=tablet"],
    "--filter device=desktop": ["--filter", "device=desktop"],
    "--filter channel=Direct --filter bounced=no": ["--filter", "channel=Direct", "--filter", "bounced=no"],
    "--tz America/New_York": ["--tz", "America/New_York"],
    "a week, --from/--to": ["--from", "2026-03-08", "--to", "2026-03-14"],
}


def run(args):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--reports", help="comma-separated; default every canned report")
    args = parser.parse_args()
    if not args.db.exists():
        sys.exit(f"{args.db} does not exist")
    run(["cargo", "build", "--release", "--quiet"])
    if args.reports:
        reports = args.reports.split(",")
    else:
        listing = run([BINARY, "report", "--list"]).stdout
        reports = [line.split()[0] for line in listing.splitlines() if line.strip()]
    print("| report | " + " | ".join(OPTIONS) + " |")
    print("|---|" + "---:|" * len(OPTIONS))
    for report in reports:
        cells = []
        for options in OPTIONS.values():
            samples = []
            for _ in range(args.repeat):
                started = time.perf_counter()
                run([BINARY, "--db", args.db, "report", report, "--format", "csv", *options])
                samples.append(time.perf_counter() - started)
            cells.append(f"{1000 * statistics.median(samples):.0f}")
        print(f"| {report} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
