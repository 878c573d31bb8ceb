-- The bounce rate of the same sessions under each tool's definition, one
-- row a definition (README, "Bounce definitions side by side").
-- Columns: definition (sessiondb, universal_analytics, ga4, plausible,
-- posthog), rule (the definition in words), bounced (sessions), sessions,
-- bounce_rate (bounced / sessions, a fraction 0..1; NULL without sessions).
CREATE VIEW bounce_definitions AS
WITH totals AS (
    SELECT
        sum(daily_stats.sessions) AS sessions,
        sum(bounced) AS single_event,
        sum(daily_stats.sessions) - sum(engaged) AS not_engaged,
        sum(bounced_plausible) AS plausible,
        sum(bounced_posthog) AS posthog
    FROM daily_stats
)
SELECT 'sessiondb' AS definition, 'exactly one event' AS rule,
    CAST(coalesce(single_event, 0) AS BIGINT) AS bounced, CAST(coalesce(sessions, 0) AS BIGINT) AS sessions,
    CAST(single_event AS DOUBLE) / nullif(sessions, 0) AS bounce_rate
FROM totals
UNION ALL
SELECT 'universal_analytics', 'one interaction hit (every event counts as one)',
    CAST(coalesce(single_event, 0) AS BIGINT), CAST(coalesce(sessions, 0) AS BIGINT), CAST(single_event AS DOUBLE) / nullif(sessions, 0)
FROM totals
UNION ALL
SELECT 'ga4', 'not engaged: 10 s or shorter, under 2 page views, no conversion',
    CAST(coalesce(not_engaged, 0) AS BIGINT), CAST(coalesce(sessions, 0) AS BIGINT), CAST(not_engaged AS DOUBLE) / nullif(sessions, 0)
FROM totals
UNION ALL
SELECT 'plausible', 'under 2 page views and no other event',
    CAST(coalesce(plausible, 0) AS BIGINT), CAST(coalesce(sessions, 0) AS BIGINT), CAST(plausible AS DOUBLE) / nullif(sessions, 0)
FROM totals
UNION ALL
SELECT 'posthog', 'at most 1 page view and shorter than 10 s',
    CAST(coalesce(posthog, 0) AS BIGINT), CAST(coalesce(sessions, 0) AS BIGINT), CAST(posthog AS DOUBLE) / nullif(sessions, 0)
FROM totals;
