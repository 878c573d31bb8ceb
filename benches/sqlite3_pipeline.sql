-- The baseline of benches/bench.py: what a careful analyst would do with
-- the sqlite3 shell alone. Import the CSV, add the indexes later imports
-- need (dedupe key, user/time), sessionize with window functions into a
-- table (30-minute gap, PRODUCT.md's rules), and compute the overview.
-- Run as: sqlite3 DB < sqlite3_pipeline.sql, with events.csv in the working
-- directory.
PRAGMA journal_mode = WAL;
CREATE TABLE events (
    event_id TEXT, user_id TEXT, timestamp TEXT, event_type TEXT, page TEXT,
    referrer TEXT, utm_source TEXT, utm_medium TEXT, utm_campaign TEXT,
    device TEXT, country TEXT, revenue REAL
);
.import --csv --skip 1 events.csv events
CREATE UNIQUE INDEX events_by_event_id ON events (event_id);
CREATE INDEX events_by_user_time ON events (user_id, timestamp, event_id);
CREATE TABLE sessions AS
WITH marked AS (
    SELECT user_id, event_id, timestamp, event_type, revenue,
           CASE WHEN lag(timestamp) OVER w IS NULL
                  OR (julianday(timestamp) - julianday(lag(timestamp) OVER w)) * 86400000 > 1800000
                THEN 1 ELSE 0 END AS starts
    FROM events
    WINDOW w AS (PARTITION BY user_id ORDER BY timestamp, event_id)
),
numbered AS (
    SELECT *, sum(starts) OVER (PARTITION BY user_id ORDER BY timestamp, event_id) AS n
    FROM marked
)
SELECT user_id, n,
       min(timestamp) AS started_at,
       max(timestamp) AS ended_at,
       count(*) AS events,
       sum(event_type = 'page_view') AS pageviews,
       round((julianday(max(timestamp)) - julianday(min(timestamp))) * 86400000) / 1000.0 AS duration_s,
       max(event_type IN ('purchase', 'signup')) AS converted,
       sum(coalesce(revenue, 0)) AS revenue
FROM numbered
GROUP BY user_id, n;
.mode csv
.headers on
SELECT count(*) AS sessions,
       count(DISTINCT user_id) AS users,
       sum(events) AS events,
       sum(pageviews) AS pageviews,
       avg(duration_s) AS avg_duration_s,
       1.0 * sum(pageviews) / count(*) AS pages_per_session,
       avg(events = 1) AS bounce_rate,
       avg(duration_s > 10 OR pageviews >= 2 OR converted) AS engagement_rate,
       avg(converted) AS conversion_rate,
       sum(revenue) AS revenue
FROM sessions;
