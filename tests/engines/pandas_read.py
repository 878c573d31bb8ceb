"""Reads every public table and view of a sessiondb file with pandas'
read_sql over Python's sqlite3, as a pandas user would, and prints them in
duckdb_read.py's JSON shape: {name: {"columns": [[name, dtype], ...],
"rows": [...], "count": n}}. Missing values (None, NaN, NA) print as null.

usage: pandas_read.py DATABASE NAME...   (sorted:NAME as in duckdb_read.py)
"""

import json
import math
import sqlite3
import sys

import pandas


def plain(value):
    """A cell as JSON: numpy scalars as Python numbers, missing as None."""
    if value is None or value is pandas.NA:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def main():
    path, names = sys.argv[1], sys.argv[2:]
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    out = {}
    for arg in names:
        name = arg.removeprefix("sorted:")
        width = len(con.execute(f'SELECT * FROM "{name}" LIMIT 0').description)
        order = ""
        if arg != name:
            order = " ORDER BY " + ", ".join(str(i) for i in range(1, width + 1))
        # The nullable dtypes keep an integer column with a missing value an
        # integer column (numpy's would make it float).
        frame = pandas.read_sql(f'SELECT * FROM "{name}"{order}', con, dtype_backend="numpy_nullable")
        columns = [[column, str(dtype)] for column, dtype in frame.dtypes.items()]
        rows = [[plain(v) for v in row] for row in frame.itertuples(index=False, name=None)]
        out[name] = {"columns": columns, "rows": rows, "count": len(frame)}
    json.dump(out, sys.stdout)


main()
