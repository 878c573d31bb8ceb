-- Sessions by source: referrer domain and utm_source / utm_medium /
-- utm_campaign of the session's first event, busiest first. All four NULL
-- means direct traffic (no referrer, no campaign).
-- Columns: referrer_domain (host of the referrer, lower case, without
-- "www."), utm_source, utm_medium, utm_campaign, sessions, users,
-- bounce_rate, engagement_rate, conversion_rate (fractions 0..1),
-- revenue (sum).
CREATE VIEW traffic_sources AS
SELECT
    referrer_domain,
    utm_source,
    utm_medium,
    utm_campaign,
    count(*) AS sessions,
    count(DISTINCT user_id) AS users,
    avg(bounced) AS bounce_rate,
    avg(engaged) AS engagement_rate,
    avg(converted) AS conversion_rate,
    sum(revenue) AS revenue
FROM sessions
GROUP BY referrer_domain, utm_source, utm_medium, utm_campaign
ORDER BY sessions DESC, referrer_domain IS NULL, referrer_domain, utm_source, utm_medium, utm_campaign;
