-- Conversion per session and per user, and revenue, in one row.
-- Columns: sessions, converted_sessions, session_conversion_rate
-- (converted sessions / sessions), users, converting_users (users with at
-- least one converted session), user_conversion_rate (converting users /
-- users), revenue (sum), revenue_per_session, revenue_per_user. Rates are
-- fractions 0..1; NULL when there are no sessions.
CREATE VIEW conversions AS
SELECT
    coalesce(sum(sessions), 0) AS sessions,
    coalesce(sum(converted), 0) AS converted_sessions,
    1.0 * sum(converted) / sum(sessions) AS session_conversion_rate,
    (SELECT count(*) FROM users) AS users,
    (SELECT count(*) FROM users WHERE conversions > 0) AS converting_users,
    1.0 * (SELECT count(*) FROM users WHERE conversions > 0)
        / (SELECT nullif(count(*), 0) FROM users) AS user_conversion_rate,
    coalesce(sum(revenue_micros), 0) / 1000000.0 AS revenue,
    sum(revenue_micros) / 1000000.0 / sum(sessions) AS revenue_per_session,
    coalesce(sum(revenue_micros), 0) / 1000000.0
        / (SELECT nullif(count(*), 0) FROM users) AS revenue_per_user
FROM daily_stats;
