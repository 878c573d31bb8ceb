"""The DuckDB comparison of benches/bench.py: the same job as
sqlite3_pipeline.sql (import, dedupe key, sessionize with window
functions, overview) into a persistent DuckDB file.
Usage: python duckdb_pipeline.py DB CSV; prints the overview as CSV."""

import sys

import duckdb

db, csv_path = sys.argv[1], sys.argv[2]
con = duckdb.connect(db)
con.execute(f"""
CREATE TABLE events AS
SELECT * FROM read_csv('{csv_path}', header = true, types = {{'revenue': 'DOUBLE', 'timestamp': 'TIMESTAMP'}})
""")
con.execute("CREATE UNIQUE INDEX events_by_event_id ON events (event_id)")
con.execute("""
CREATE TABLE sessions AS
WITH marked AS (
    SELECT user_id, event_id, timestamp, event_type, revenue,
           CASE WHEN lag(timestamp) OVER w IS NULL
                  OR epoch_ms(timestamp) - epoch_ms(lag(timestamp) OVER w) > 1800000
                THEN 1 ELSE 0 END AS starts
    FROM events
    WINDOW w AS (PARTITION BY user_id ORDER BY timestamp, event_id)
),
numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY user_id ORDER BY timestamp, event_id) AS n FROM marked
)
SELECT user_id, n,
       count(*) AS events,
       sum(CASE WHEN event_type = 'page_view' THEN 1 ELSE 0 END) AS pageviews,
       (epoch_ms(max(timestamp)) - epoch_ms(min(timestamp))) / 1000.0 AS duration_s,
       max(CASE WHEN event_type IN ('purchase', 'signup') THEN 1 ELSE 0 END) AS converted,
       sum(coalesce(revenue, 0)) AS revenue
FROM numbered GROUP BY user_id, n
""")
row = con.execute("""
SELECT count(*), count(DISTINCT user_id), sum(events), sum(pageviews), avg(duration_s),
       sum(pageviews) / count(*), avg(CASE WHEN events = 1 THEN 1 ELSE 0 END),
       avg(CASE WHEN duration_s > 10 OR pageviews >= 2 OR converted = 1 THEN 1 ELSE 0 END),
       avg(converted), sum(revenue)
FROM sessions
""").fetchone()
con.close()
print("sessions,users,events,pageviews,avg_duration_s,pages_per_session,bounce_rate,engagement_rate,conversion_rate,revenue")
print(",".join(str(v) for v in row))
