"""What the engine runners share: reading a jobs file, writing a job's
events (CSV files as sessiondb imports them) to one Parquet file, splitting
a script into statements, and dumping tables and views as JSON.

A jobs file is a JSON list of jobs:
  {"script": PATH,          the script of `sessiondb sql`
   "csv": [PATH, ...],      the events, as given to sessiondb
   "parquet": PATH,         where the script reads them (written here when missing)
   "read": [NAME, ...],     tables and views to dump
   "out": PATH}             {name: {"columns": [...], "rows": [[...]]}, "_seconds": ...}
"""

import csv
import json
import os
import sys
import threading
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq

TEXT = ["event_id", "user_id", "event_type", "page", "referrer", "utm_source", "utm_medium",
        "utm_campaign", "device", "country", "session_key"]
EPOCH = datetime(1970, 1, 1)


def ms(text):
    """An RFC 3339 UTC time with milliseconds (what the tests and
    gen_events.py write) as epoch milliseconds, exactly."""
    moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ")
    return (moment - EPOCH) // timedelta(milliseconds=1)


def write_parquet(csv_paths, path):
    """Every row of the CSV files, duplicates included, with sessiondb's
    columns (empty cells absent, times as ts_ms); session_key only when a
    file has it."""
    rows = []
    for csv_path in csv_paths:
        with open(csv_path, newline="", encoding="utf-8") as f:
            rows.extend(csv.DictReader(f))
    keyed = any("session_key" in row for row in rows)
    columns = {name: [] for name in TEXT if name != "session_key" or keyed}
    columns["ts_ms"] = []
    columns["revenue"] = []
    for row in rows:
        for name in columns:
            if name == "ts_ms":
                columns[name].append(ms(row["timestamp"]))
            elif name == "revenue":
                value = row.get("revenue") or ""
                columns[name].append(float(value) if value else None)
            else:
                columns[name].append(row.get(name) or None)
    schema = pa.schema([(name, pa.int64() if name == "ts_ms" else pa.float64() if name == "revenue" else pa.string())
                        for name in columns])
    # Jobs running side by side may write the same file: each its own
    # temporary one, moved into place whole.
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}.tmp"
    pq.write_table(pa.table(columns, schema=schema), tmp)
    os.replace(tmp, path)


def statements(script):
    """The statements of a script: each ends with ';' at the end of a line."""
    out, current = [], []
    for line in script.splitlines():
        current.append(line)
        if line.endswith(";"):
            text = "\n".join(current).strip()
            out.append(text[:-1])
            current = []
    if "\n".join(current).strip():
        raise SystemExit("the script does not end with a statement ending in ';'")
    return out


def jobs():
    with open(sys.argv[1], encoding="utf-8") as f:
        return json.load(f)


def prepare(job):
    if not os.path.exists(job["parquet"]):
        write_parquet(job["csv"], job["parquet"])
    with open(job["script"], encoding="utf-8") as f:
        return statements(f.read())


class JobFailed(Exception):
    """A statement of a job's script failed."""


def failure(job, index, statement, error):
    first = "\n".join(str(error).strip().splitlines()[:6])
    return f"{job['script']}: statement {index + 1} failed:\n{statement[:3000]}\n--\n{first}"


def fail(job, index, statement, error):
    sys.exit(failure(job, index, statement, error))


def dump(job, tables, seconds):
    tables["_seconds"] = seconds
    with open(job["out"], "w", encoding="utf-8") as f:
        json.dump(tables, f, allow_nan=False)
