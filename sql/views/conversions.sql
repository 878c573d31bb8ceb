-- Conversion per session and per user, and revenue, in one row.
-- Columns: sessions, converted_sessions, session_conversion_rate
-- (converted sessions / sessions), users, converting_users (users with at
-- least one converted session), user_conversion_rate (converting users /
-- users), revenue (sum), revenue_per_session, revenue_per_user. Rates are
-- fractions 0..1; NULL when there are no sessions.
CREATE VIEW conversions AS
SELECT
    CAST(coalesce(sum(sessions), 0) AS BIGINT) AS sessions,
    CAST(coalesce(sum(converted), 0) AS BIGINT) AS converted_sessions,
    CAST(sum(converted) AS DOUBLE) / nullif(sum(sessions), 0) AS session_conversion_rate,
    (SELECT count(user_id) FROM users) AS users,
    (SELECT count(user_id) FROM users WHERE conversions > 0) AS converting_users,
    CAST((SELECT count(user_id) FROM users WHERE conversions > 0) AS DOUBLE)
        / (SELECT nullif(count(user_id), 0) FROM users) AS user_conversion_rate,
    CAST(coalesce(sum(revenue_micros), 0) AS DOUBLE) / 1000000 AS revenue,
    CAST(sum(revenue_micros) AS DOUBLE) / 1000000 / nullif(sum(sessions), 0) AS revenue_per_session,
    CAST(coalesce(sum(revenue_micros), 0) AS DOUBLE) / 1000000
        / (SELECT nullif(count(user_id), 0) FROM users) AS revenue_per_user
FROM daily_stats;
