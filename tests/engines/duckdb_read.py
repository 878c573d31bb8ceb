"""Reads every public table and view of a sessiondb file through DuckDB's
sqlite extension, as a DuckDB user would (ATTACH ... (TYPE sqlite)), and
prints them as JSON: {name: {"columns": [[name, type], ...], "rows": [...]}}.
The extension comes from the duckdb-ext-sqlite package (offline); a bare
INSTALL sqlite would download it.

usage: duckdb_read.py DATABASE NAME...

A NAME written sorted:NAME is read ordered by all its columns, NULLs first
(as SQLite orders them by default), for tables and views without an order
of their own.
"""

import glob
import json
import os
import sys

import duckdb


def extension_path():
    base = os.path.join(os.path.dirname(duckdb.__file__), "..", "duckdb_ext", "extensions")
    found = glob.glob(os.path.join(base, "v" + duckdb.__version__, "*", "sqlite_scanner.duckdb_extension"))
    if not found:
        sys.exit(f"no sqlite extension for duckdb {duckdb.__version__} under {base}")
    return os.path.normpath(found[0])


def main():
    path, names = sys.argv[1], sys.argv[2:]
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute(f"LOAD '{extension_path()}'")
    con.execute(f"ATTACH '{path}' AS db (TYPE sqlite, READ_ONLY)")
    out = {}
    for arg in names:
        name = arg.removeprefix("sorted:")
        width = len(con.execute(f'SELECT * FROM db."{name}" LIMIT 0').description)
        order = ""
        if arg != name:
            order = " ORDER BY " + ", ".join(f"{i} NULLS FIRST" for i in range(1, width + 1))
        result = con.execute(f'SELECT * FROM db."{name}"{order}')
        columns = [[d[0], str(d[1])] for d in result.description]
        rows = [list(row) for row in result.fetchall()]
        count = con.execute(f'SELECT count(*) FROM db."{name}"').fetchone()[0]
        out[name] = {"columns": columns, "rows": rows, "count": count}
    json.dump(out, sys.stdout, default=str)


main()
