"""Reads the files of a `sessiondb export --out DIR` with pyarrow and with
DuckDB, as their users would (pq.read_table, read_parquet), and prints
JSON: {"pyarrow": {name: {"columns": [[name, type], ...], "rows": [...]}},
"duckdb": {...}}. Timestamps are given as epoch milliseconds, so values
compare exactly.

usage: parquet_read.py DIR NAME...
"""

import json
import os
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq


def with_pyarrow(path):
    table = pq.read_table(path)
    columns = [[field.name, str(field.type)] for field in table.schema]
    values = []
    for field, column in zip(table.schema, table.columns):
        if pa.types.is_timestamp(field.type):
            column = column.cast(pa.int64())
        values.append(column.to_pylist())
    rows = [list(row) for row in zip(*values)]
    return {"columns": columns, "rows": rows}


def with_duckdb(path):
    con = duckdb.connect()
    source = "read_parquet('%s')" % path.replace("'", "''")
    described = con.execute("DESCRIBE SELECT * FROM " + source).fetchall()
    columns = [[row[0], row[1]] for row in described]
    select = ", ".join(
        'epoch_ms("%s")' % name if kind.startswith("TIMESTAMP") else '"%s"' % name
        for name, kind in columns
    )
    rows = [list(row) for row in con.execute("SELECT %s FROM %s" % (select, source)).fetchall()]
    return {"columns": columns, "rows": rows}


def main():
    directory, names = sys.argv[1], sys.argv[2:]
    out = {"pyarrow": {}, "duckdb": {}}
    for name in names:
        path = os.path.join(directory, name + ".parquet")
        out["pyarrow"][name] = with_pyarrow(path)
        out["duckdb"][name] = with_duckdb(path)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
