#!/usr/bin/env python3
"""An independent, deliberately plain implementation of the session rules and
overview metrics of PRODUCT.md, used by the tests to check sessiondb.

Input: one CSV or NDJSON file as ../shared/tools/gen_events.py writes it,
with or without its duplicates and malformed rows (one row per physical
line, as the generator writes). Output, as JSON on standard output: every
stored event as "event_id|user_id|ms|event_type", sorted; every rejected
row as [line, reason]; every session as [user_id, started_at, ended_at,
events], sorted by user and start; and the overview's numbers.

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
    """PRODUCT.md's forms: epoch seconds or milliseconds, or ISO 8601 with
    a Z or an offset (read as UTC without one). None when unreadable."""
    text = text.strip()
    try:
        if text.replace(".", "", 1).lstrip("-").isdigit():
            value = float(text)
            return int(value) if abs(value) >= 1e11 else int(value * 1000)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return (moment - EPOCH) // timedelta(milliseconds=1)


def to_iso(ms):
    moment = EPOCH + timedelta(milliseconds=ms)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ms % 1000)


def read_rows(path):
    """Yields (line number, row dict) or (line number, reason)."""
    with open(path, "rb") as handle:
        lines = handle.read().split(b"\n")
    header = None
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            yield number, "invalid_utf8"
            continue
        if path.endswith(".csv"):
            fields = next(csv.reader([text]))
            if header is None:
                header = fields
                continue
            if len(fields) != len(header):
                yield number, "wrong_field_count"
                continue
            yield number, dict(zip(header, fields))
        else:
            yield number, json.loads(text)


def main(path):
    seen_ids = set()
    stored = []
    rejects = []
    events_by_user = defaultdict(list)
    for number, row in read_rows(path):
        if isinstance(row, str):
            rejects.append([number, row])
            continue
        values = {k: (str(v).strip() if v is not None else "") for k, v in row.items()}
        if not values.get("user_id") or not values.get("timestamp") or not values.get("event_type"):
            rejects.append([number, "missing_field"])
            continue
        ms = to_ms(values["timestamp"])
        if ms is None:
            rejects.append([number, "bad_timestamp"])
            continue
        revenue = values.get("revenue", "")
        try:
            revenue = float(revenue) if revenue else 0.0
        except ValueError:
            rejects.append([number, "bad_revenue"])
            continue
        if values["event_id"] in seen_ids:
            continue  # a duplicate: the first occurrence is kept
        seen_ids.add(values["event_id"])
        stored.append("%s|%s|%d|%s" % (values["event_id"], values["user_id"], ms, values["event_type"]))
        events_by_user[values["user_id"]].append(
            {"id": values["event_id"], "ms": ms, "type": values["event_type"], "revenue": revenue}
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
                "events": sorted(stored),
                "rejects": rejects,
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
