-- The bounce rate of the same sessions under each tool's definition, one
-- row a definition (README, "Bounce definitions side by side").
-- Columns: definition (sessiondb, universal_analytics, ga4, plausible,
-- posthog), rule (the definition in words), bounced (sessions), sessions,
-- bounce_rate (bounced / sessions, a fraction 0..1; NULL without sessions).
CREATE VIEW bounce_definitions AS
WITH totals AS (
    SELECT
        sum(sessions) AS sessions,
        sum(bounced) AS single_event,
        sum(sessions) - sum(engaged) AS not_engaged,
        sum(bounced_plausible) AS plausible,
        sum(bounced_posthog) AS posthog
    FROM daily_stats
)
SELECT 'sessiondb' AS definition, 'exactly one event' AS rule,
    coalesce(single_event, 0) AS bounced, coalesce(sessions, 0) AS sessions,
    1.0 * single_event / sessions AS bounce_rate
FROM totals
UNION ALL
SELECT 'universal_analytics', 'one interaction hit (every event counts as one)',
    coalesce(single_event, 0), coalesce(sessions, 0), 1.0 * single_event / sessions
FROM totals
UNION ALL
SELECT 'ga4', 'not engaged: 10 s or shorter, under 2 page views, no conversion',
    coalesce(not_engaged, 0), coalesce(sessions, 0), 1.0 * not_engaged / sessions
FROM totals
UNION ALL
SELECT 'plausible', 'under 2 page views and no other event',
    coalesce(plausible, 0), coalesce(sessions, 0), 1.0 * plausible / sessions
FROM totals
UNION ALL
SELECT 'posthog', 'at most 1 page view and shorter than 10 s',
    coalesce(posthog, 0), coalesce(sessions, 0), 1.0 * posthog / sessions
FROM totals;
