-- daily_stats: the sessions added up per reporting day (what overview,
-- daily_metrics, bounce_definitions, conversions and new_vs_returning read).
-- sessions, users (distinct users with a session that day), events,
-- pageviews, duration_ms (sum of durations), bounced, engaged, converted,
-- bounced_plausible, bounced_posthog (sessions with the flag),
-- revenue_micros, new_users (users whose first session day it is).
SELECT
    day,
    weekday,
    week,
    count(*) AS sessions,
    count(DISTINCT user_id) AS users,
    sum(events) AS events,
    sum(pageviews) AS pageviews,
    sum(ended_ms - started_ms) AS duration_ms,
    sum(bounced) AS bounced,
    sum(engaged) AS engaged,
    sum(converted) AS converted,
    sum(revenue_micros) AS revenue_micros,
    sum(bounced_plausible) AS bounced_plausible,
    sum(bounced_posthog) AS bounced_posthog,
    count(DISTINCT CASE WHEN day = user_first_day THEN user_id END) AS new_users
FROM summary_sessions
GROUP BY day, weekday, week
