#!/usr/bin/env python3
"""An independent, deliberately plain implementation of the session rules and
overview metrics of PRODUCT.md, used by the tests to check sessiondb.

Input: one CSV or NDJSON file as ../shared/tools/gen_events.py writes it
(clean rows: the tests do not feed it malformed ones). Output, as JSON on
standard output: every session as [user_id, started_at, ended_at, events],
sorted by user and start, and the overview's numbers.

It shares no code with sessiondb and favours obviousness over speed.
"""

import csv
import json
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone

TIMEOUT_MS = 30 * 60 * 1000
CONVERSION_TYPES = {"purchase", "signup"}
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def to_ms(text):
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment - EPOCH) // timedelta(milliseconds=1)


def to_iso(ms):
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def read_rows(path):
    with open(path, newline="", encoding="utf-8") as handle:
        if path.endswith(".csv"):
            yield from csv.DictReader(handle)
        else:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def main(path):
    seen_ids = set()
    events_by_user = defaultdict(list)
    for row in read_rows(path):
        if row["event_id"] in seen_ids:
            continue  # a duplicate: the first occurrence is kept
        seen_ids.add(row["event_id"])
        revenue = row.get("revenue") or None
        events_by_user[row["user_id"]].append(
            {
                "id": row["event_id"],
                "ms": to_ms(row["timestamp"]),
                "type": row["event_type"],
                "revenue": float(revenue) if revenue is not None else 0.0,
            }
        )

    sessions = []
    for user, events in events_by_user.items():
        events.sort(key=lambda e: (e["ms"], e["id"]))
        current = [events[0]]
        for previous, event in zip(events, events[1:]):
            if event["ms"] - previous["ms"] > TIMEOUT_MS:
                sessions.append((user, current))
                current = []
            current.append(event)
        sessions.append((user, current))

    durations, pageviews, bounced, engaged, converted, revenue = [], 0, 0, 0, 0, 0.0
    for _, events in sessions:
        duration_s = (events[-1]["ms"] - events[0]["ms"]) / 1000
        views = sum(1 for e in events if e["type"] == "page_view")
        is_converted = any(e["type"] in CONVERSION_TYPES for e in events)
        durations.append(duration_s)
        pageviews += views
        bounced += len(events) == 1
        engaged += duration_s > 10 or views >= 2 or is_converted
        converted += is_converted
        revenue += sum(e["revenue"] for e in events)

    count = len(sessions)
    listing = sorted(
        [user, to_iso(events[0]["ms"]), to_iso(events[-1]["ms"]), len(events)]
        for user, events in sessions
    )
    print(
        json.dumps(
            {
                "sessions": listing,
                "overview": {
                    "sessions": count,
                    "users": len(events_by_user),
                    "events": sum(len(e) for _, e in sessions),
                    "pageviews": pageviews,
                    "avg_duration_s": sum(durations) / count,
                    "pages_per_session": pageviews / count,
                    "bounce_rate": bounced / count,
                    "engagement_rate": engaged / count,
                    "conversion_rate": converted / count,
                    "revenue": revenue,
                },
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1])
