-- Sessions by source: referrer domain and utm_source / utm_medium /
-- utm_campaign of the session's first event, busiest first. All four NULL
-- means direct traffic (no referrer, no campaign).
-- Columns: referrer_domain (host of the referrer, lower case, without
-- "www."), utm_source, utm_medium, utm_campaign, sessions, bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum).
CREATE VIEW traffic_sources AS
SELECT
    nullif(referrer_domain, '') AS referrer_domain,
    nullif(utm_source, '') AS utm_source,
    nullif(utm_medium, '') AS utm_medium,
    nullif(utm_campaign, '') AS utm_campaign,
    sum(sessions) AS sessions,
    1.0 * sum(bounced) / sum(sessions) AS bounce_rate,
    1.0 * sum(engaged) / sum(sessions) AS engagement_rate,
    1.0 * sum(converted) / sum(sessions) AS conversion_rate,
    sum(revenue_micros) / 1000000.0 AS revenue
FROM source_stats
GROUP BY source_stats.referrer_domain, source_stats.utm_source, source_stats.utm_medium, source_stats.utm_campaign
ORDER BY sum(sessions) DESC, source_stats.referrer_domain = '', source_stats.referrer_domain,
    source_stats.utm_source, source_stats.utm_medium, source_stats.utm_campaign;
