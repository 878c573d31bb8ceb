#!/usr/bin/env python3
"""Benchmark sessiondb against the sqlite3 shell (and DuckDB), in one run.

    python3 benches/bench.py                 # 1M and 10M events
    python3 benches/bench.py --sizes 1m      # quicker
    python3 benches/bench.py --duckdb        # also DuckDB (pip, in a venv)
    python3 benches/bench.py --baseline OLD  # also another sessiondb binary
    python3 benches/bench.py --sizes 10m --engines --skip-sqlite3
                                             # also Spark local and chdb

Generates deterministic dumps with ../shared/tools/gen_events.py into
target/bench-data/ (kept between runs), builds sessiondb in release mode,
and for each size times: sessiondb's full import into a new database, an
incremental import of 1% more events (half newer than everything, half late
events spread over the whole range), every canned report, `export` of the
database to Parquet and to CSV, the import of the exported events.parquet
into a new database, and the same job
done by the sqlite3 shell (benches/sqlite3_pipeline.sql) and, optionally,
DuckDB (benches/duckdb_pipeline.py). With --engines, the script of
`sessiondb sql` runs in Spark local mode and in chdb (benches/
engines_pipeline.py, with target/venv of tests/engines/requirements.txt)
over the same rows as Parquet.
Peak memory comes from /usr/bin/time -v.
With --baseline, the full import of another sessiondb build (say, of the
previous release) alternates with this one's, three times each, so that a
change of layout is measured against the same machine load.
The overview numbers of every tool are compared, so a fast wrong answer
shows. Prints a Markdown table; timings are wall-clock seconds on this
machine, so compare ratios within one run.
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "target" / "bench-data"
GENERATOR = ROOT.parent / "shared" / "tools" / "gen_events.py"
BINARY = ROOT / "target" / "release" / "sessiondb"
# The canned reports, as `report --list` names them (read once built).
REPORTS = []
# A saved funnel, so that the funnels report has work to do.
FUNNEL = ["page_view", "page_view:/products/*", "add_to_cart", "purchase"]
SIZES = {"1m": 1_000_000, "10m": 10_000_000, "100k": 100_000}


def run(command, **kwargs):
    return subprocess.run(command, check=True, text=True, capture_output=True, **kwargs)


def timed(command, stdin=None, cwd=None):
    """Runs a command under /usr/bin/time -v: (seconds, peak MiB, stdout, stderr)."""
    with open(stdin, "rb") if stdin else open(os.devnull, "rb") as source:
        started = time.perf_counter()
        done = subprocess.run(
            ["/usr/bin/time", "-v", *command], stdin=source, cwd=cwd, capture_output=True, text=True
        )
        elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{done.stderr[-2000:]}")
    peak_kib = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr).group(1))
    return elapsed, peak_kib / 1024, done.stdout, done.stderr


def generate(path, *args):
    if path.exists():
        return
    print(f"generating {path.name} ...", file=sys.stderr)
    partial = path.with_suffix(".partial")
    run([sys.executable, str(GENERATOR), *args, "--out", str(partial)])
    partial.rename(path)


def datasets(size_name):
    """The full dump and its 1% increment, generated once."""
    events = SIZES[size_name]
    full = DATA / f"events_{size_name}.csv"
    generate(full, "--events", str(events), "--seed", "1", "--days", "30", "--start", "2026-03-01T00:00:00")
    increment = DATA / f"increment_{size_name}.csv"
    if not increment.exists():
        newer = DATA / f"newer_{size_name}.csv"
        late = DATA / f"late_{size_name}.csv"
        half = str(events // 200)
        # Newer: the day after the dump ends. Late: over the whole range.
        # Both reuse the dump's user ids; uuid event ids never collide.
        generate(newer, "--events", half, "--seed", "2", "--days", "1", "--start", "2026-03-31T00:00:00", "--id-style", "uuid")
        generate(late, "--events", half, "--seed", "3", "--days", "30", "--start", "2026-03-01T00:00:00", "--id-style", "uuid")
        with open(increment, "w") as out:
            out.write(newer.read_text())
            out.writelines(late.read_text().splitlines(keepends=True)[1:])
    return full, increment


AGENTS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15",
]


def access_log(size_name, full):
    """A combined-format access log made from the dump: a line per event."""
    path = DATA / f"access_{size_name}.log"
    if path.exists():
        return path
    import csv
    from datetime import datetime

    print(f"writing {path.name} ...", file=sys.stderr)
    partial = path.with_suffix(".partial")
    with open(full, newline="") as source, open(partial, "w") as out:
        for row in csv.DictReader(source):
            user = int(row["user_id"][1:])
            address = f"{10 + user % 200}.{user // 200 % 250}.{user // 50000 % 250}.{user % 250 + 1}"
            moment = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
            stamp = moment.strftime("%d/%b/%Y:%H:%M:%S +0000")
            agent = AGENTS[user % len(AGENTS)]
            referrer = row["referrer"] or "-"
            out.write(f'{address} - - [{stamp}] "GET {row["page"]} HTTP/1.1" 200 {1000 + user % 9000} "{referrer}" "{agent}"\n')
    partial.rename(path)
    return path


def bench_access_log(size_name, full):
    log = access_log(size_name, full)
    work = DATA / f"log_{size_name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    seconds, peak, _, stderr = timed([BINARY, "--db", work / "log.db", "import", "--format", "combined", "--timings", log])
    lines = sum(1 for _ in open(log, "rb"))
    parse = re.search(r"parse \(parser thread\)\s+([0-9.]+) s", stderr)
    shutil.rmtree(work)
    return {"lines": lines, "import_s": seconds, "parse_s": float(parse.group(1)) if parse else seconds, "peak_mib": peak}


def overview_numbers(csv_text):
    lines = [line for line in csv_text.strip().splitlines() if line]
    header, values = lines[-2].split(","), lines[-1].split(",")
    return dict(zip(header, (float(v) for v in values)))


def compare_overviews(name, ours, theirs):
    """Relative differences beyond 1e-6 are reported; counts must be equal."""
    problems = []
    for key, value in ours.items():
        other = theirs.get(key)
        if other is None:
            continue
        if abs(value - other) > 1e-6 * max(1.0, abs(value)):
            problems.append(f"{key}: sessiondb {value} vs {name} {other}")
    return problems


def bench_sessiondb(size_name, full, increment, repeat):
    work = DATA / f"db_{size_name}"
    work.mkdir(exist_ok=True)
    db = work / "analytics.db"
    for leftover in work.glob("analytics.db*"):
        leftover.unlink()
    seconds, peak, _, stderr = timed([BINARY, "--db", db, "import", "--timings", full])
    timings = stderr[stderr.find("timings") :].split("\tCommand being timed")[0].strip()
    result = {"import_s": seconds, "import_peak_mib": peak, "timings": timings}
    result["overview"] = overview_numbers(run([BINARY, "--db", db, "report", "overview", "--format", "csv"]).stdout)
    result["dashboard_s"], result["dashboard_kib"] = time_dashboard(db, work, repeat)
    run([BINARY, "--db", db, "funnel", "--save", "checkout", *FUNNEL, "--format", "csv"])
    result["dashboard_funnel_s"], _ = time_dashboard(db, work, repeat)
    for report in REPORTS:
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            run([BINARY, "--db", db, "report", report, "--format", "csv"])
            samples.append(time.perf_counter() - started)
        result[f"report_{report}_s"] = statistics.median(samples)
    result.update(bench_export(work, db))
    incremental_db = work / "incremental.db"
    shutil.copy(db, incremental_db)
    seconds, peak, _, stderr = timed([BINARY, "--db", incremental_db, "import", "--timings", increment])
    result["incremental_s"], result["incremental_peak_mib"] = seconds, peak
    result["incremental_timings"] = stderr[stderr.find("timings") :].split("\tCommand being timed")[0].strip()
    incremental_db.unlink()
    return result


def time_dashboard(db, work, repeat):
    """`dashboard --out`: median seconds (process start included) and KiB."""
    page = work / "dashboard.html"
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        run([BINARY, "--db", db, "dashboard", "--out", page])
        samples.append(time.perf_counter() - started)
    size = page.stat().st_size / 1024
    page.unlink()
    return statistics.median(samples), size


def bench_export(work, db):
    """`export` to Parquet and to CSV, then the exported events imported
    into a new database: seconds, peak memory, size of events.parquet."""
    result = {}
    for format in ("parquet", "csv"):
        out = work / f"export_{format}"
        shutil.rmtree(out, ignore_errors=True)
        seconds, peak, _, _ = timed([BINARY, "--db", db, "export", "--out", out, "--format", format])
        events = out / f"events.{format}"
        result[f"export_{format}_s"], result[f"export_{format}_peak_mib"] = seconds, peak
        result[f"export_{format}_events_mib"] = events.stat().st_size / 2**20
    copy = work / "from_parquet.db"
    for leftover in work.glob("from_parquet.db*"):
        leftover.unlink()
    seconds, peak, _, _ = timed([BINARY, "--db", copy, "import", work / "export_parquet" / "events.parquet"])
    result["parquet_import_s"], result["parquet_import_peak_mib"] = seconds, peak
    result["parquet_import_overview"] = overview_numbers(run([BINARY, "--db", copy, "report", "overview", "--format", "csv"]).stdout)
    for leftover in work.glob("from_parquet.db*"):
        leftover.unlink()
    for format in ("parquet", "csv"):
        shutil.rmtree(work / f"export_{format}")
    return result


def bench_baseline(size_name, full, baseline):
    """Full imports by `baseline` and by this build, alternating: medians."""
    work = DATA / f"baseline_{size_name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    samples = {"baseline": [], "sessiondb": []}
    for round_number in range(3):
        for name, binary in (("baseline", baseline), ("sessiondb", BINARY)):
            db = work / f"{name}{round_number}.db"
            seconds, _, _, _ = timed([binary, "--db", db, "import", full])
            samples[name].append(seconds)
    baseline_overview = overview_numbers(run([baseline, "--db", work / "baseline0.db", "report", "overview", "--format", "csv"]).stdout)
    shutil.rmtree(work)
    return {
        "baseline_s": statistics.median(samples["baseline"]),
        "sessiondb_s": statistics.median(samples["sessiondb"]),
        "overview": baseline_overview,
    }


def bench_sqlite3(size_name, full):
    work = DATA / f"sqlite3_{size_name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    (work / "events.csv").symlink_to(full)
    db = work / "pipeline.db"
    seconds, peak, stdout, _ = timed(["sqlite3", db], stdin=ROOT / "benches" / "sqlite3_pipeline.sql", cwd=work)
    overview_sql = (ROOT / "benches" / "sqlite3_pipeline.sql").read_text().split(".headers on")[1]
    started = time.perf_counter()
    run(["sqlite3", "-csv", "-header", db, overview_sql])
    query_s = time.perf_counter() - started
    result = {"pipeline_s": seconds, "pipeline_peak_mib": peak, "overview_query_s": query_s, "overview": overview_numbers(stdout)}
    shutil.rmtree(work)
    return result


def duckdb_python():
    venv = ROOT / "target" / "bench-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print("installing duckdb into target/bench-venv ...", file=sys.stderr)
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(python), "-m", "pip", "install", "--quiet", "duckdb"])
    return python


def bench_duckdb(size_name, full):
    python = duckdb_python()
    work = DATA / f"duckdb_{size_name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    seconds, peak, stdout, _ = timed([python, ROOT / "benches" / "duckdb_pipeline.py", work / "bench.duckdb", full])
    shutil.rmtree(work)
    return {"pipeline_s": seconds, "pipeline_peak_mib": peak, "overview": overview_numbers(stdout)}


def engine_python():
    """target/venv, as .ci/run makes it for the engine tests."""
    python = ROOT / "target" / "venv" / "bin" / "python3"
    if not python.exists():
        print("making target/venv from tests/engines/requirements.txt ...", file=sys.stderr)
        run([sys.executable, "-m", "venv", str(ROOT / "target" / "venv")])
        run([str(python), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "tests" / "engines" / "requirements.txt")])
    return python


def to_parquet(size_name, full):
    """The dump's rows with sessiondb's columns (ts_ms in epoch ms, empty
    cells absent), as the engines read them: (path, seconds to write it)."""
    path = DATA / f"events_{size_name}.parquet"
    if path.exists():
        return path, None
    code = f"""
import sys, pyarrow as pa, pyarrow.csv as pc, pyarrow.compute as c, pyarrow.parquet as pq
table = pc.read_csv(sys.argv[1], convert_options=pc.ConvertOptions(
    column_types={{"timestamp": pa.timestamp("ms", tz="UTC"), "revenue": pa.float64()}},
    strings_can_be_null=True, null_values=[""]))
ts = table.column("timestamp").cast(pa.int64())
table = table.drop_columns(["timestamp"]).append_column("ts_ms", ts)
pq.write_table(table, sys.argv[2])
"""
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    run([str(engine_python()), "-c", code, str(full), str(partial)])
    partial.rename(path)
    return path, time.perf_counter() - started


def bench_engine(engine, size_name, parquet, db):
    """`sessiondb sql` for the engine, run by benches/engines_pipeline.py."""
    work = DATA / f"{engine}_{size_name}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    source = f"parquet.`{parquet}`" if engine == "spark" else f"file('{parquet}', Parquet)"
    script = work / "script.sql"
    script.write_text(run([BINARY, "--db", db, "sql", "--engine", engine, "--events", source]).stdout)
    seconds, peak, stdout, _ = timed([engine_python(), ROOT / "benches" / "engines_pipeline.py", engine, script, work])
    timing = next(line for line in stdout.splitlines() if line.startswith("timings "))
    start_s, script_s = (float(x) for x in timing.split()[1:])
    overview = overview_numbers(stdout.split(timing, 1)[1])
    shutil.rmtree(work)
    return {"total_s": seconds, "start_s": start_s, "script_s": script_s, "peak_mib": peak, "overview": overview}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1m,10m", help="comma-separated: 100k, 1m, 10m")
    parser.add_argument("--duckdb", action="store_true", help="also time DuckDB (installs it with pip)")
    parser.add_argument("--skip-sqlite3", action="store_true")
    parser.add_argument("--baseline", type=Path, help="another sessiondb binary whose full import to compare")
    parser.add_argument("--repeat", type=int, default=5, help="runs per report (median)")
    parser.add_argument("--engines", action="store_true",
                        help="also run the script of sessiondb sql in Spark local mode and chdb (target/venv)")
    args = parser.parse_args()
    if not GENERATOR.exists():
        sys.exit(f"{GENERATOR} is missing: the benchmark needs ../shared beside the repository")
    DATA.mkdir(parents=True, exist_ok=True)
    print("building sessiondb (release) ...", file=sys.stderr)
    run(["cargo", "build", "--release", "--quiet"], cwd=ROOT)
    listing = run([BINARY, "report", "--list"]).stdout
    REPORTS.extend(line.split()[0] for line in listing.splitlines() if line.strip())

    sizes = [s.strip() for s in args.sizes.split(",")]
    results = {}
    for size in sizes:
        full, increment = datasets(size)
        print(f"{size}: sessiondb ...", file=sys.stderr)
        results[size] = {"sessiondb": bench_sessiondb(size, full, increment, args.repeat)}
        if size != "10m":
            print(f"{size}: access log ...", file=sys.stderr)
            results[size]["access_log"] = bench_access_log(size, full)
        if not args.skip_sqlite3:
            print(f"{size}: sqlite3 shell ...", file=sys.stderr)
            results[size]["sqlite3"] = bench_sqlite3(size, full)
        if args.baseline:
            print(f"{size}: baseline {args.baseline} ...", file=sys.stderr)
            results[size]["baseline"] = bench_baseline(size, full, args.baseline.resolve())
        if args.duckdb:
            print(f"{size}: duckdb ...", file=sys.stderr)
            results[size]["duckdb"] = bench_duckdb(size, full)
        if args.engines:
            parquet, parquet_s = to_parquet(size, full)
            results[size]["parquet_s"] = parquet_s
            db = DATA / f"db_{size}" / "analytics.db"
            for engine in ("spark", "clickhouse"):
                print(f"{size}: {engine} ...", file=sys.stderr)
                results[size][engine] = bench_engine(engine, size, parquet, db)

    def cells(pick, fmt="{:.2f}"):
        out = []
        for size in sizes:
            try:
                value = pick(results[size])
            except KeyError:
                out.append("-")
                continue
            out.append(fmt.format(value))
        return " | ".join(out)

    header = " | ".join(sizes)
    print(f"\n| measure | {header} |")
    print("|---|" + "---|" * len(sizes))
    print(f"| sessiondb full import (s) | {cells(lambda r: r['sessiondb']['import_s'])} |")
    print(f"| sessiondb peak memory, import (MiB) | {cells(lambda r: r['sessiondb']['import_peak_mib'], '{:.0f}')} |")
    if not args.skip_sqlite3:
        print(f"| sqlite3 shell pipeline (s) | {cells(lambda r: r['sqlite3']['pipeline_s'])} |")
        print(f"| sqlite3 shell peak memory (MiB) | {cells(lambda r: r['sqlite3']['pipeline_peak_mib'], '{:.0f}')} |")
        print(f"| **speed-up over sqlite3 (x)** | {cells(lambda r: r['sqlite3']['pipeline_s'] / r['sessiondb']['import_s'])} |")
    if args.duckdb:
        print(f"| DuckDB pipeline (s) | {cells(lambda r: r['duckdb']['pipeline_s'])} |")
        print(f"| DuckDB peak memory (MiB) | {cells(lambda r: r['duckdb']['pipeline_peak_mib'], '{:.0f}')} |")
        print(f"| **sessiondb / DuckDB time (x)** | {cells(lambda r: r['sessiondb']['import_s'] / r['duckdb']['pipeline_s'])} |")
    if args.baseline:
        print(f"| baseline full import, median of 3 (s) | {cells(lambda r: r['baseline']['baseline_s'])} |")
        print(f"| sessiondb full import, median of 3 alternating (s) | {cells(lambda r: r['baseline']['sessiondb_s'])} |")
        print(f"| **sessiondb / baseline time (x)** | {cells(lambda r: r['baseline']['sessiondb_s'] / r['baseline']['baseline_s'])} |")
    if args.engines:
        for engine, label in (("spark", "Spark local[2]"), ("clickhouse", "chdb")):
            print(f"| {label}: the script, sessions to views (s) | {cells(lambda r, e=engine: r[e]['script_s'])} |")
            print(f"| {label}: engine start (s) | {cells(lambda r, e=engine: r[e]['start_s'])} |")
            print(f"| {label}: peak memory (MiB) | {cells(lambda r, e=engine: r[e]['peak_mib'], '{:.0f}')} |")
            print(f"| **{label} script / sessiondb import (x)** | {cells(lambda r, e=engine: r[e]['script_s'] / r['sessiondb']['import_s'])} |")
        print(f"| CSV to Parquet for the engines, pyarrow (s) | {cells(lambda r: r['parquet_s'] or float('nan'))} |")
    print(f"| sessiondb incremental import of 1% (s) | {cells(lambda r: r['sessiondb']['incremental_s'])} |")
    print(f"| **incremental / full import (%)** | {cells(lambda r: 100 * r['sessiondb']['incremental_s'] / r['sessiondb']['import_s'], '{:.1f}')} |")
    for format in ("parquet", "csv"):
        print(f"| export to {format} (s) | {cells(lambda r, f=format: r['sessiondb'][f'export_{f}_s'])} |")
        print(f"| export to {format}: peak memory (MiB) | {cells(lambda r, f=format: r['sessiondb'][f'export_{f}_peak_mib'], '{:.0f}')} |")
        print(f"| export to {format}: events file (MiB) | {cells(lambda r, f=format: r['sessiondb'][f'export_{f}_events_mib'], '{:.0f}')} |")
    print(f"| import of the exported events.parquet (s) | {cells(lambda r: r['sessiondb']['parquet_import_s'])} |")
    print(f"| import of the exported events.parquet: peak memory (MiB) | {cells(lambda r: r['sessiondb']['parquet_import_peak_mib'], '{:.0f}')} |")
    for report in REPORTS:
        print(f"| report {report} (ms) | {cells(lambda r, rep=report: 1000 * r['sessiondb'][f'report_{rep}_s'], '{:.0f}')} |")
    print(f"| dashboard, no saved funnel (ms) | {cells(lambda r: 1000 * r['sessiondb']['dashboard_s'], '{:.0f}')} |")
    print(f"| dashboard, one saved funnel (ms) | {cells(lambda r: 1000 * r['sessiondb']['dashboard_funnel_s'], '{:.0f}')} |")
    print(f"| dashboard file size (KiB) | {cells(lambda r: r['sessiondb']['dashboard_kib'], '{:.0f}')} |")
    print(f"| combined access log: import (s) | {cells(lambda r: r['access_log']['import_s'])} |")
    print(f"| combined access log: lines parsed per second (parser thread) | {cells(lambda r: r['access_log']['lines'] / r['access_log']['parse_s'], '{:,.0f}')} |")
    if not args.skip_sqlite3:
        print(f"| sqlite3: overview query over its sessions table (ms) | {cells(lambda r: 1000 * r['sqlite3']['overview_query_s'], '{:.0f}')} |")
    if len(sizes) > 1 and "1m" in sizes and "10m" in sizes:
        ratio = results["10m"]["sessiondb"]["import_peak_mib"] / results["1m"]["sessiondb"]["import_peak_mib"]
        print(f"\npeak memory at 10M / at 1M: {ratio:.2f}")

    for size in sizes:
        ours = results[size]["sessiondb"]["overview"]
        problems = compare_overviews("the import of its export", ours, results[size]["sessiondb"]["parquet_import_overview"])
        verdict = "same overview" if not problems else "DIFFERENT overview: " + "; ".join(problems)
        print(f"{size}: sessiondb vs the import of its Parquet export: {verdict}")
        for other in ("sqlite3", "duckdb", "baseline", "spark", "clickhouse"):
            if other in results[size]:
                problems = compare_overviews(other, ours, results[size][other]["overview"])
                verdict = "same overview" if not problems else "DIFFERENT overview: " + "; ".join(problems)
                print(f"{size}: sessiondb vs {other}: {verdict}")
        print(f"\n{size}: sessiondb import --timings\n{results[size]['sessiondb']['timings']}")
        print(f"\n{size}: incremental import --timings\n{results[size]['sessiondb']['incremental_timings']}")


if __name__ == "__main__":
    main()
