-- sessiondb schema, version 2: what the analytics views need. A database
-- of version 1 gets these tables and columns, then its summaries are
-- rebuilt from session_records (the migration code does that), so the new
-- columns hold real numbers, not their defaults.

-- conversions: conversion events over all the user's sessions (per-user
-- conversion rate); first_day: the day of their first session (new vs
-- returning).
ALTER TABLE users ADD COLUMN conversions INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN first_day TEXT NOT NULL DEFAULT '';

-- Sessions bounced under Plausible's and PostHog's definitions (the view
-- bounce_definitions).
ALTER TABLE daily_stats ADD COLUMN bounced_plausible INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_stats ADD COLUMN bounced_posthog INTEGER NOT NULL DEFAULT 0;
-- Users whose first session starts on the day (new_vs_returning).
ALTER TABLE daily_stats ADD COLUMN new_users INTEGER NOT NULL DEFAULT 0;

-- Sessions per day and segment of one dimension: 'device' and 'country'
-- (of the first event), 'hour' (hour of the start in the reporting time
-- zone, '00'..'23'), and 'duration' (whole seconds, sessions of two events
-- or more only: the histogram behind the median; these rows count sessions
-- and duration_ms only, their other columns are 0).
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
) WITHOUT ROWID;

-- Page views per day and page ('' for none; the view pages): the sessions
-- with the page, and the views timed by a next event of their session
-- with the time to it.
CREATE TABLE page_stats (
    day          TEXT NOT NULL,
    page         TEXT NOT NULL,
    pageviews    INTEGER NOT NULL,
    sessions     INTEGER NOT NULL,
    timed_views  INTEGER NOT NULL,
    time_ms      INTEGER NOT NULL,
    PRIMARY KEY (day, page)
) WITHOUT ROWID;

-- Weekly retention (the view retention_weekly): users whose first session
-- is in the week starting Monday cohort_week and who have a session `week`
-- weeks later.
CREATE TABLE retention_stats (
    cohort_week  TEXT NOT NULL,
    week         INTEGER NOT NULL,
    users        INTEGER NOT NULL,
    PRIMARY KEY (cohort_week, week)
) WITHOUT ROWID;

-- Saved funnels (`sessiondb funnel --save NAME STEP...`), read by the view
-- funnels: steps numbered from 1; page_pattern NULL matches any page.
CREATE TABLE funnel_steps (
    funnel        TEXT NOT NULL,
    step          INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    page_pattern  TEXT,
    PRIMARY KEY (funnel, step)
) WITHOUT ROWID;
