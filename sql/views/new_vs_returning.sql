-- New and returning users per day of session start, oldest first. A
-- user is new on the day of their first session ever (not only within a
-- --from/--to range) and returning on every later day with a session.
-- Columns: day, users (with a session starting that day), new_users,
-- returning_users, new_share (new_users / users).
CREATE VIEW new_vs_returning AS
SELECT day, users, new_users, users - new_users AS returning_users,
    CAST(new_users AS DOUBLE) / nullif(users, 0) AS new_share
FROM daily_stats
ORDER BY day;
