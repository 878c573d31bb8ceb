-- Sessions by channel (README's channel grouping of traffic_sources),
-- busiest first. (Rates times sessions, rounded, are the exact counts.)
-- Columns: channel, sessions, share (of all sessions), bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum).
CREATE VIEW channels AS
SELECT
    channel,
    CAST(sum(sessions) AS BIGINT) AS sessions,
    CAST(sum(sessions) AS DOUBLE) / (SELECT nullif(sum(sessions), 0) FROM traffic_sources) AS share,
    sum(round(bounce_rate * sessions)) / nullif(sum(sessions), 0) AS bounce_rate,
    sum(round(engagement_rate * sessions)) / nullif(sum(sessions), 0) AS engagement_rate,
    sum(round(conversion_rate * sessions)) / nullif(sum(sessions), 0) AS conversion_rate,
    sum(revenue) AS revenue
FROM traffic_sources
GROUP BY channel
ORDER BY sum(traffic_sources.sessions) DESC, channel;
