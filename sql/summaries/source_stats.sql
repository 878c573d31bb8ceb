-- source_stats: sessions per day and traffic source (referrer domain and
-- utm source, medium, campaign; '' for none), with their flags and revenue.
SELECT
    day,
    coalesce(referrer_domain, '') AS referrer_domain,
    coalesce(utm_source, '') AS utm_source,
    coalesce(utm_medium, '') AS utm_medium,
    coalesce(utm_campaign, '') AS utm_campaign,
    count(*) AS sessions,
    sum(bounced) AS bounced,
    sum(engaged) AS engaged,
    sum(converted) AS converted,
    sum(revenue_micros) AS revenue_micros
FROM summary_sessions
GROUP BY day, coalesce(referrer_domain, ''), coalesce(utm_source, ''),
    coalesce(utm_medium, ''), coalesce(utm_campaign, '')
