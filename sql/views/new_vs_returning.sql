-- New and returning users per day of session start, oldest first. A
-- user is new on the day of their first session ever (not only within a
-- --from/--to range) and returning on every later day with a session.
-- Columns: day, users (with a session starting that day), new_users,
-- returning_users, new_share (new_users / users).
CREATE VIEW new_vs_returning AS
WITH first_days AS (
    SELECT first_day AS day, count(*) AS new_users
    FROM users
    GROUP BY first_day
)
SELECT
    daily_stats.day,
    daily_stats.users,
    coalesce(first_days.new_users, 0) AS new_users,
    daily_stats.users - coalesce(first_days.new_users, 0) AS returning_users,
    1.0 * coalesce(first_days.new_users, 0) / daily_stats.users AS new_share
FROM daily_stats
LEFT JOIN first_days ON first_days.day = daily_stats.day
ORDER BY daily_stats.day;
