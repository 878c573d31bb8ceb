"""The Spark and ClickHouse comparison of benches/bench.py: the script of
`sessiondb sql --engine ENGINE` (sessions, summaries and every view from
the raw events in Parquet), run in Spark local mode (pyspark, local[2]) or
in ClickHouse in process (chdb), statement by statement.

Usage: python engines_pipeline.py spark|clickhouse SCRIPT WORKDIR
Prints the seconds to start the engine and to run the script on one line
(`timings START SCRIPT`), then the overview as CSV."""

import csv
import io
import os
import sys
import time

engine, script_path, work = sys.argv[1], sys.argv[2], sys.argv[3]
with open(script_path, encoding="utf-8") as f:
    statements, current = [], []
    for line in f.read().splitlines():
        current.append(line)
        if line.endswith(";"):
            statements.append("\n".join(current).strip()[:-1])
            current = []

started = time.perf_counter()
if engine == "spark":
    os.environ["SPARK_LOCAL_IP"] = "127.0.0.1"
    os.environ["PYSPARK_PYTHON"] = sys.executable
    from pyspark.sql import SparkSession

    quiet = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "engines", "log4j2-quiet.properties")
    spark = (SparkSession.builder.master("local[2]").appName("sessiondb-bench")
             .config("spark.sql.shuffle.partitions", "8")
             .config("spark.driver.memory", "6g")
             .config("spark.ui.enabled", "false")
             .config("spark.ui.showConsoleProgress", "false")
             .config("spark.driver.host", "127.0.0.1")
             .config("spark.driver.bindAddress", "127.0.0.1")
             .config("spark.sql.warehouse.dir", os.path.join(work, "warehouse"))
             .config("spark.driver.extraJavaOptions",
                     f"-Dlog4j.configurationFile=file://{os.path.abspath(quiet)} -Dderby.system.home={work}/derby")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")

    def run(sql):
        return spark.sql(sql).collect()

    def overview():
        frame = spark.sql("SELECT * FROM overview")
        return frame.columns, [list(r) for r in frame.collect()]
else:
    from chdb import session as chs

    db = chs.Session(os.path.join(work, "chdb"))

    def run(sql):
        return db.query(sql)

    def overview():
        table = db.query("SELECT * FROM overview", "ArrowTable")
        return table.column_names, [list(r.values()) for r in table.to_pylist()]
start_s = time.perf_counter() - started

started = time.perf_counter()
for statement in statements:
    run(statement)
script_s = time.perf_counter() - started
columns, rows = overview()
print(f"timings {start_s:.2f} {script_s:.2f}")
out = io.StringIO()
writer = csv.writer(out, lineterminator="\n")
writer.writerow(columns)
writer.writerows(rows)
print(out.getvalue(), end="")
