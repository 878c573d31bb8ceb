#!/usr/bin/env python3
"""Independent check of sessions in a common/combined access log, or in a
NASA-style TSV (host, logname, epoch seconds, ...): per client host (the
first field), every request counted, requests sorted by time, a new session
after more than 30 minutes of silence. Prints JSON
{host: [requests per session, ...]}. Shares nothing with sessiondb."""

import json
import re
import sys
from collections import defaultdict
from datetime import datetime

LINE = re.compile(r'^(\S+) \S+ \S+ \[([^\]]+)\] ')
TIMEOUT_S = 30 * 60

times = defaultdict(list)
with open(sys.argv[1], encoding="utf-8") as log:
    tsv = sys.argv[1].endswith(".tsv")
    if tsv:
        next(log)  # the header
    for line in log:
        if tsv:
            fields = line.rstrip("\n").split("\t")
            times[fields[0]].append(int(fields[2]))
            continue
        match = LINE.match(line)
        if match:
            moment = datetime.strptime(match.group(2), "%d/%b/%Y:%H:%M:%S %z")
            times[match.group(1)].append(moment.timestamp())

sessions = {}
for host, stamps in times.items():
    stamps.sort()
    sizes = [1]
    for before, after in zip(stamps, stamps[1:]):
        if after - before > TIMEOUT_S:
            sizes.append(1)
        else:
            sizes[-1] += 1
    sessions[host] = sizes
print(json.dumps(sessions))
