-- sessiondb schema, version 3: one session pipeline, and a file that every
-- SQLite client reads alike, DuckDB's sqlite scanner included. A database
-- of an older version gets these tables and columns, then the migration
-- code re-sessionizes it under its stored rules (session ids follow a new
-- formula that Spark and ClickHouse compute too) and rebuilds every
-- summary, so the new columns hold real values.

-- The views are recreated after migrating; dropped first so that the
-- tables they read can be replaced.
DROP VIEW IF EXISTS event_types;
DROP VIEW IF EXISTS funnels;
DROP VIEW IF EXISTS retention_weekly;
DROP VIEW IF EXISTS new_vs_returning;
DROP VIEW IF EXISTS conversions;
DROP VIEW IF EXISTS bounce_definitions;
DROP VIEW IF EXISTS durations;
DROP VIEW IF EXISTS hourly;
DROP VIEW IF EXISTS countries;
DROP VIEW IF EXISTS devices;
DROP VIEW IF EXISTS pages;
DROP VIEW IF EXISTS channels;
DROP VIEW IF EXISTS traffic_sources;
DROP VIEW IF EXISTS exit_pages;
DROP VIEW IF EXISTS landing_pages;
DROP VIEW IF EXISTS daily_metrics;
DROP VIEW IF EXISTS overview;
DROP VIEW IF EXISTS sessions;

-- Every table has a rowid: DuckDB's scanner counts rows by rowid, so a
-- WITHOUT ROWID table fails `count(*)` there. Events keep their order
-- (a bulk load appends them by user, time and id) and are found by user
-- and time through an index.
CREATE TABLE events_v3 (
    event_id      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    ts_ms         INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    page          TEXT,
    referrer      TEXT,
    utm_source    TEXT,
    utm_medium    TEXT,
    utm_campaign  TEXT,
    device        TEXT,
    country       TEXT,
    revenue       REAL,
    properties    TEXT,
    session_id    TEXT,
    import_id     INTEGER NOT NULL REFERENCES imports (import_id),
    session_key   TEXT
);
INSERT INTO events_v3 (event_id, user_id, ts_ms, event_type, page, referrer, utm_source,
    utm_medium, utm_campaign, device, country, revenue, properties, session_id, import_id,
    session_key)
SELECT event_id, user_id, ts_ms, event_type, page, referrer, utm_source, utm_medium,
    utm_campaign, device, country, revenue, properties, session_id, import_id, session_key
FROM events ORDER BY user_id, ts_ms, event_id;
DROP TABLE events;
ALTER TABLE events_v3 RENAME TO events;
-- Duplicates are found by event_id. (A bulk load into an empty table
-- drops these indexes and builds them once at the end.)
CREATE UNIQUE INDEX events_by_event_id ON events (event_id);
CREATE INDEX events_by_user_time ON events (user_id, ts_ms);

-- Sessions: their start and end as ISO 8601 text (what the sessions view
-- shows; no date function is needed to read them), the hour of the start
-- in the reporting zone ('00'..'23'), and the Plausible and PostHog bounce
-- flags, stored like the others so that every view and summary reads one
-- definition. Rebuilt from the events by the migration code.
DROP TABLE session_records;
CREATE TABLE session_records (
    session_id         TEXT NOT NULL,
    user_id            TEXT NOT NULL,
    started_ms         INTEGER NOT NULL,
    ended_ms           INTEGER NOT NULL,
    started_at         TEXT NOT NULL,
    ended_at           TEXT NOT NULL,
    day                TEXT NOT NULL,
    hour               TEXT NOT NULL,
    events             INTEGER NOT NULL,
    pageviews          INTEGER NOT NULL,
    conversions        INTEGER NOT NULL,
    bounced            INTEGER NOT NULL,
    engaged            INTEGER NOT NULL,
    converted          INTEGER NOT NULL,
    bounced_plausible  INTEGER NOT NULL,
    bounced_posthog    INTEGER NOT NULL,
    revenue            REAL NOT NULL,
    landing_page       TEXT,
    exit_page          TEXT,
    referrer           TEXT,
    referrer_domain    TEXT,
    utm_source         TEXT,
    utm_medium         TEXT,
    utm_campaign       TEXT,
    device             TEXT,
    country            TEXT,
    session_key        TEXT
);
CREATE UNIQUE INDEX session_records_by_id ON session_records (session_id);
CREATE INDEX session_records_by_user_start ON session_records (user_id, started_ms);

-- The summaries and users, rebuilt by the migration code: the same tables
-- with a rowid, daily_stats with the day's weekday (1 = Monday .. 7) and
-- the Monday of its week, so that views group by them without date
-- functions.
DROP TABLE users;
CREATE TABLE users (
    user_id      TEXT PRIMARY KEY,
    first_ms     INTEGER NOT NULL,
    last_ms      INTEGER NOT NULL,
    sessions     INTEGER NOT NULL,
    events       INTEGER NOT NULL,
    conversions  INTEGER NOT NULL,
    first_day    TEXT NOT NULL
);

DROP TABLE daily_stats;
CREATE TABLE daily_stats (
    day                TEXT PRIMARY KEY,
    weekday            INTEGER NOT NULL,
    week               TEXT NOT NULL,
    sessions           INTEGER NOT NULL,
    users              INTEGER NOT NULL,
    events             INTEGER NOT NULL,
    pageviews          INTEGER NOT NULL,
    duration_ms        INTEGER NOT NULL,
    bounced            INTEGER NOT NULL,
    engaged            INTEGER NOT NULL,
    converted          INTEGER NOT NULL,
    revenue_micros     INTEGER NOT NULL,
    bounced_plausible  INTEGER NOT NULL,
    bounced_posthog    INTEGER NOT NULL,
    new_users          INTEGER NOT NULL
);

DROP TABLE landing_stats;
CREATE TABLE landing_stats (
    day             TEXT NOT NULL,
    page            TEXT NOT NULL,
    sessions        INTEGER NOT NULL,
    bounced         INTEGER NOT NULL,
    engaged         INTEGER NOT NULL,
    converted       INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    revenue_micros  INTEGER NOT NULL,
    PRIMARY KEY (day, page)
);

DROP TABLE exit_stats;
CREATE TABLE exit_stats (
    day          TEXT NOT NULL,
    page         TEXT NOT NULL,
    exits        INTEGER NOT NULL,
    bounced      INTEGER NOT NULL,
    duration_ms  INTEGER NOT NULL,
    PRIMARY KEY (day, page)
);

DROP TABLE source_stats;
CREATE TABLE source_stats (
    day              TEXT NOT NULL,
    referrer_domain  TEXT NOT NULL,
    utm_source       TEXT NOT NULL,
    utm_medium       TEXT NOT NULL,
    utm_campaign     TEXT NOT NULL,
    sessions         INTEGER NOT NULL,
    bounced          INTEGER NOT NULL,
    engaged          INTEGER NOT NULL,
    converted        INTEGER NOT NULL,
    revenue_micros   INTEGER NOT NULL,
    PRIMARY KEY (day, referrer_domain, utm_source, utm_medium, utm_campaign)
);

DROP TABLE segment_stats;
CREATE TABLE segment_stats (
    day             TEXT NOT NULL,
    dimension       TEXT NOT NULL,
    value           TEXT NOT NULL,
    sessions        INTEGER NOT NULL,
    pageviews       INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    bounced         INTEGER NOT NULL,
    engaged         INTEGER NOT NULL,
    converted       INTEGER NOT NULL,
    revenue_micros  INTEGER NOT NULL,
    PRIMARY KEY (day, dimension, value)
);

DROP TABLE page_stats;
CREATE TABLE page_stats (
    day          TEXT NOT NULL,
    page         TEXT NOT NULL,
    pageviews    INTEGER NOT NULL,
    sessions     INTEGER NOT NULL,
    timed_views  INTEGER NOT NULL,
    time_ms      INTEGER NOT NULL,
    PRIMARY KEY (day, page)
);

DROP TABLE retention_stats;
CREATE TABLE retention_stats (
    cohort_week  TEXT NOT NULL,
    week         INTEGER NOT NULL,
    users        INTEGER NOT NULL,
    PRIMARY KEY (cohort_week, week)
);

-- Saved funnels keep their steps.
CREATE TABLE funnel_steps_v3 (
    funnel        TEXT NOT NULL,
    step          INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    page_pattern  TEXT,
    PRIMARY KEY (funnel, step)
);
INSERT INTO funnel_steps_v3 SELECT funnel, step, event_type, page_pattern FROM funnel_steps;
DROP TABLE funnel_steps;
ALTER TABLE funnel_steps_v3 RENAME TO funnel_steps;

-- The event types that count as page views (`sessiondb page-views`,
-- `import --page-view-types`): PostHog calls them $pageview, REES46 view.
CREATE TABLE page_view_events (
    event_type TEXT PRIMARY KEY
);
INSERT INTO page_view_events (event_type) VALUES ('page_view');

-- Events per day (of their session's start) and event type: the
-- event_types report, and the warnings when a funnel step or a
-- conversion type matches no event.
CREATE TABLE event_type_stats (
    day         TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    events      INTEGER NOT NULL,
    PRIMARY KEY (day, event_type)
);

-- Rows an import left out by a rule, by file and reason: robot (a
-- robot's request), asset (a static file), status (a failed request),
-- method (one that does not fetch a page). imports.filtered is their sum.
CREATE TABLE import_filters (
    import_id  INTEGER NOT NULL REFERENCES imports (import_id),
    reason     TEXT NOT NULL,
    rows       INTEGER NOT NULL,
    PRIMARY KEY (import_id, reason)
);
