"""Runs `sessiondb sql --engine clickhouse` scripts in one chdb session
(ClickHouse in-process) and dumps the tables and views each job names as
JSON (see engine_jobs.py). The views are read in the session's default
settings: a view must mean the same in any session.

usage: run_chdb.py JOBS.json DATA_DIR
"""

import os
import sys
import time

import engine_jobs
from chdb import session as chs


def main():
    jobs = engine_jobs.jobs()
    db = chs.Session(os.path.join(sys.argv[2], "chdb"))
    for job in jobs:
        begun = time.time()
        for index, statement in enumerate(engine_jobs.prepare(job)):
            try:
                db.query(statement)
            except Exception as error:  # noqa: BLE001 - reported with its statement
                engine_jobs.fail(job, index, statement, error)
        tables = {}
        for name in job["read"]:
            table = db.query(f"SELECT * FROM {name}", "ArrowTable")
            tables[name] = {"columns": table.column_names,
                            "rows": [list(row.values()) for row in table.to_pylist()]}
        seconds = time.time() - begun
        print(f"chdb: {os.path.basename(job['script'])} in {seconds:.1f} s", file=sys.stderr)
        engine_jobs.dump(job, tables, seconds)
    db.close()


main()
