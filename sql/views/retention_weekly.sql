-- Weekly retention: users grouped by the week (from Monday) of their first
-- session, and the share of each cohort with a session in week 0, 1, 2,
-- ... after it. Weeks in which no user of the cohort was active have no
-- row.
-- Columns: cohort_week (YYYY-MM-DD, a Monday), cohort_users, week (0 =
-- the cohort's first week), active_users, retention (active_users /
-- cohort_users, a fraction 0..1).
CREATE VIEW retention_weekly AS
WITH activity AS (
    SELECT DISTINCT user_id, date(day, '-6 days', 'weekday 1') AS week
    FROM session_records
),
cohorts AS (
    SELECT user_id, min(week) AS cohort_week FROM activity GROUP BY user_id
),
sizes AS (
    SELECT cohort_week, count(*) AS cohort_users FROM cohorts GROUP BY cohort_week
)
SELECT
    cohorts.cohort_week,
    sizes.cohort_users,
    CAST(round((julianday(activity.week) - julianday(cohorts.cohort_week)) / 7) AS INTEGER) AS week,
    count(*) AS active_users,
    1.0 * count(*) / sizes.cohort_users AS retention
FROM activity
JOIN cohorts ON cohorts.user_id = activity.user_id
JOIN sizes ON sizes.cohort_week = cohorts.cohort_week
GROUP BY cohorts.cohort_week, 3
ORDER BY cohorts.cohort_week, 3;
