-- Sessions by source: referrer domain and utm_source / utm_medium /
-- utm_campaign of the session's first event, busiest first. All four NULL
-- means direct traffic (no referrer, no campaign).
-- Columns: referrer_domain (host of the referrer, lower case, without
-- "www."), utm_source, utm_medium, utm_campaign, sessions, bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum),
-- channel (the channel grouping of README: Direct, Organic Search, Paid
-- Search, Social, Email, Referral, Affiliate or Other).
CREATE VIEW traffic_sources AS
WITH search_engines (name) AS (
    VALUES ('google'), ('bing'), ('yahoo'), ('duckduckgo'), ('baidu'), ('yandex'), ('ecosia'),
        ('qwant'), ('startpage'), ('search.brave'), ('naver'), ('seznam')
),
social_sites (name) AS (
    VALUES ('facebook'), ('fb.com'), ('instagram'), ('twitter'), ('t.co'), ('x.com'),
        ('linkedin'), ('lnkd.in'), ('reddit'), ('pinterest'), ('youtube'), ('tiktok'),
        ('snapchat'), ('tumblr'), ('vk.com'), ('weibo'), ('threads.net'), ('mastodon'),
        ('bsky.app'), ('quora'), ('whatsapp'), ('t.me')
),
sources AS (
    SELECT source_stats.*, lower(utm_medium) AS medium,
        -- Where the visit came from: the utm source when given, else the
        -- referrer's domain.
        lower(CASE WHEN utm_source <> '' THEN utm_source ELSE referrer_domain END) AS site
    FROM source_stats
),
classified AS (
    SELECT sources.*,
        EXISTS (SELECT 1 FROM search_engines
                WHERE site = name OR site GLOB name || '.*' OR site GLOB '*.' || name || '.*'
                    OR site GLOB '*.' || name) AS from_search,
        EXISTS (SELECT 1 FROM social_sites
                WHERE site = name OR site GLOB name || '.*' OR site GLOB '*.' || name || '.*'
                    OR site GLOB '*.' || name) AS from_social,
        medium IN ('cpc', 'ppc', 'cpm', 'sem', 'paidsearch', 'paid-search', 'paid_search')
            OR medium GLOB 'paid*' AS paid
    FROM sources
),
-- The channel is grouped on beside the source, so that every engine
-- binds the query (a column neither grouped nor aggregated is SQLite's
-- leniency).
channeled AS (
    SELECT classified.*,
        CASE
            WHEN referrer_domain = '' AND utm_source = '' AND utm_medium = '' AND utm_campaign = ''
                THEN 'Direct'
            WHEN medium IN ('email', 'e-mail', 'e_mail', 'newsletter') OR site IN ('email', 'newsletter')
                THEN 'Email'
            WHEN medium IN ('affiliate', 'affiliates', 'partner', 'partners') THEN 'Affiliate'
            WHEN paid AND from_search THEN 'Paid Search'
            WHEN paid AND from_social THEN 'Social'
            WHEN paid THEN 'Other'
            WHEN medium IN ('social', 'social-network', 'social-media', 'social_media', 'sm') OR from_social
                THEN 'Social'
            WHEN medium = 'organic' OR from_search THEN 'Organic Search'
            WHEN medium IN ('referral', 'link') OR (medium = '' AND referrer_domain <> '') THEN 'Referral'
            ELSE 'Other'
        END AS channel
    FROM classified
)
SELECT
    nullif(referrer_domain, '') AS referrer_domain,
    nullif(utm_source, '') AS utm_source,
    nullif(utm_medium, '') AS utm_medium,
    nullif(utm_campaign, '') AS utm_campaign,
    CAST(sum(sessions) AS BIGINT) AS sessions,
    CAST(sum(bounced) AS DOUBLE) / nullif(sum(sessions), 0) AS bounce_rate,
    CAST(sum(engaged) AS DOUBLE) / nullif(sum(sessions), 0) AS engagement_rate,
    CAST(sum(converted) AS DOUBLE) / nullif(sum(sessions), 0) AS conversion_rate,
    CAST(sum(revenue_micros) AS DOUBLE) / 1000000 AS revenue,
    channel
FROM channeled
GROUP BY channeled.referrer_domain, channeled.utm_source, channeled.utm_medium, channeled.utm_campaign,
    channeled.channel
ORDER BY sum(sessions) DESC, channeled.referrer_domain = '', channeled.referrer_domain,
    channeled.utm_source, channeled.utm_medium, channeled.utm_campaign;
