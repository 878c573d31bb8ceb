"""Runs `sessiondb sql --engine spark` scripts in ONE local Spark session
(local[2], loopback only, no web UI) and dumps the tables and views each job
names as JSON (see engine_jobs.py).

usage: run_spark.py JOBS.json WAREHOUSE_DIR
"""

import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import engine_jobs

os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
os.environ["PYSPARK_PYTHON"] = sys.executable
from pyspark.sql import SparkSession  # noqa: E402


def session(warehouse):
    here = os.path.dirname(os.path.abspath(__file__))
    quiet = os.path.join(here, "log4j2-quiet.properties")
    return (SparkSession.builder.master("local[2]").appName("sessiondb-engine-tests")
            # The test data is small: one partition per shuffle.
            .config("spark.sql.shuffle.partitions", "1")
            .config("spark.default.parallelism", "2")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "2g")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            # Not UTC on purpose: the script must not depend on the session's zone.
            .config("spark.sql.session.timeZone", "America/Sao_Paulo")
            .config("spark.sql.warehouse.dir", os.path.join(warehouse, "warehouse"))
            .config("spark.driver.extraJavaOptions",
                    f"-Dlog4j.configurationFile=file://{quiet} -Dderby.system.home={warehouse}/derby")
            .config("spark.sql.adaptive.enabled", "false")
            .getOrCreate())


def read(spark, names):
    """Every row of the tables and views, in their order, in one query (a
    query each would cost a second or more each): each row as JSON, its
    place in its view's order kept by monotonically_increasing_id."""
    columns = {name: spark.sql(f"SELECT * FROM {name}").columns for name in names}
    parts = [f"SELECT '{name}' AS name, monotonically_increasing_id() AS at, "
             f"to_json(struct(*), map('ignoreNullFields', 'false')) AS row FROM {name}"
             for name in names]
    tables = {name: {"columns": columns[name], "rows": []} for name in names}
    rows = spark.sql(" UNION ALL ".join(parts)).collect()
    for name, _, row in sorted(rows, key=lambda r: (r[0], r[1])):
        values = json.loads(row)
        tables[name]["rows"].append([values[c] for c in columns[name]])
    return tables


def run_job(spark, index, job):
    """One job in a session of its own whose current database is the
    job's, so that jobs can run side by side."""
    begun = time.time()
    session = spark.newSession()
    session.sql(f"CREATE DATABASE IF NOT EXISTS job{index}")
    session.sql(f"USE job{index}")
    for number, statement in enumerate(engine_jobs.prepare(job)):
        try:
            session.sql(statement).collect()
        except Exception as error:  # noqa: BLE001 - reported with its statement
            raise engine_jobs.JobFailed(engine_jobs.failure(job, number, statement, error)) from None
    ran = time.time() - begun
    tables = read(session, job["read"])
    seconds = time.time() - begun
    print(f"spark: {os.path.basename(job['script'])} in {seconds:.1f} s "
          f"({ran:.1f} s the script, the rest reading)", file=sys.stderr)
    engine_jobs.dump(job, tables, seconds)


def main():
    jobs = engine_jobs.jobs()
    started = time.time()
    spark = session(sys.argv[2])
    spark.sparkContext.setLogLevel("ERROR")
    print(f"spark: started in {time.time() - started:.1f} s", file=sys.stderr)
    # Two jobs at a time: most of a small job's time is the driver planning
    # and compiling queries, one thread each.
    with ThreadPoolExecutor(max_workers=int(os.environ.get("SESSIONDB_SPARK_THREADS", "2"))) as pool:
        futures = [pool.submit(run_job, spark, i, job) for i, job in enumerate(jobs)]
        for future in futures:
            try:
                future.result()
            except engine_jobs.JobFailed as failed:
                pool.shutdown(cancel_futures=True)
                sys.exit(str(failed))
    spark.stop()


main()
