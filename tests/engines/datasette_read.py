"""Reads every public table and view of a sessiondb file through
Datasette's JSON API, with the requests Datasette's own test client makes
(no server, one process), and prints them in duckdb_read.py's JSON shape:
{name: {"columns": [[name, ""], ...], "rows": [...], "count": n}}.

usage: datasette_read.py DATABASE NAME...   (sorted:NAME as in duckdb_read.py)
"""

import asyncio
import json
import os
import sys
import urllib.parse

from datasette.app import Datasette


async def main():
    path, names = sys.argv[1], sys.argv[2:]
    datasette = Datasette([path], settings={"sql_time_limit_ms": 60000, "max_returned_rows": 100000})
    database = os.path.splitext(os.path.basename(path))[0]

    async def get(query):
        url = f"/{database}.json?" + urllib.parse.urlencode({"sql": query, "_shape": "objects"})
        response = await datasette.client.get(url)
        if response.status_code != 200:
            sys.exit(f"GET {url}: {response.status_code} {response.text}")
        return response.json()

    out = {}
    for arg in names:
        name = arg.removeprefix("sorted:")
        columns = (await get(f'SELECT * FROM "{name}" LIMIT 0'))["columns"]
        order = ""
        if arg != name:
            order = " ORDER BY " + ", ".join(str(i) for i in range(1, len(columns) + 1))
        result = await get(f'SELECT * FROM "{name}"{order}')
        if result.get("truncated"):
            sys.exit(f"{name}: Datasette truncated the rows")
        rows = [[row[c] for c in result["columns"]] for row in result["rows"]]
        out[name] = {"columns": [[c, ""] for c in result["columns"]], "rows": rows, "count": len(rows)}
    json.dump(out, sys.stdout)


asyncio.run(main())
