-- Weekly retention: users grouped by the week (from Monday) of their first
-- session ever, and the share of each cohort with a session in week 0, 1,
-- 2, ... after it. Weeks in which no user of the cohort was active have no
-- row; with --from/--to, activity is counted within the range (cohorts stay
-- those of the first session ever). Reads retention_stats, kept by every
-- import.
-- Columns: cohort_week (YYYY-MM-DD, a Monday), cohort_users, week (0 =
-- the cohort's first week), active_users, retention (active_users /
-- cohort_users, a fraction 0..1).
CREATE VIEW retention_weekly AS
WITH sizes AS (
    SELECT week AS cohort_week, sum(new_users) AS cohort_users FROM daily_stats GROUP BY week
)
SELECT
    retention_stats.cohort_week,
    CAST(sizes.cohort_users AS BIGINT) AS cohort_users,
    retention_stats.week,
    retention_stats.users AS active_users,
    CAST(retention_stats.users AS DOUBLE) / nullif(sizes.cohort_users, 0) AS retention
FROM retention_stats
JOIN sizes ON sizes.cohort_week = retention_stats.cohort_week
WHERE retention_stats.users > 0
ORDER BY retention_stats.cohort_week, retention_stats.week;
