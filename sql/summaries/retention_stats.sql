-- retention_stats: per weekly cohort (the Monday of the week of the users'
-- first session day) and week after it (0 = the cohort's own), the users
-- of the cohort with a session that week.
SELECT
    user_first_week AS cohort_week,
    week_index - user_first_week_index AS week,
    count(DISTINCT user_id) AS users
FROM summary_sessions
GROUP BY user_first_week, week_index - user_first_week_index
