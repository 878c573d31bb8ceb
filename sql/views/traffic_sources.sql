-- Sessions by source: referrer domain and utm_source / utm_medium /
-- utm_campaign of the session's first event, busiest first. All four NULL
-- means direct traffic (no referrer, no campaign).
-- Columns: referrer_domain (host of the referrer, lower case, without
-- "www."), utm_source, utm_medium, utm_campaign, sessions, bounce_rate,
-- engagement_rate, conversion_rate (fractions 0..1), revenue (sum),
-- channel (the channel grouping of README: Direct, Organic Search, Paid
-- Search, Social, Email, Referral, Affiliate or Other).
CREATE VIEW traffic_sources AS
WITH site_lists AS (
    -- The search engines and social sites of README's channel grouping,
    -- one row each.
    SELECT 'search' AS list, 'google' AS name
    UNION ALL SELECT 'search', 'bing' UNION ALL SELECT 'search', 'yahoo'
    UNION ALL SELECT 'search', 'duckduckgo' UNION ALL SELECT 'search', 'baidu'
    UNION ALL SELECT 'search', 'yandex' UNION ALL SELECT 'search', 'ecosia'
    UNION ALL SELECT 'search', 'qwant' UNION ALL SELECT 'search', 'startpage'
    UNION ALL SELECT 'search', 'search.brave' UNION ALL SELECT 'search', 'naver'
    UNION ALL SELECT 'search', 'seznam' UNION ALL SELECT 'social', 'facebook'
    UNION ALL SELECT 'social', 'fb.com' UNION ALL SELECT 'social', 'instagram'
    UNION ALL SELECT 'social', 'twitter' UNION ALL SELECT 'social', 't.co'
    UNION ALL SELECT 'social', 'x.com' UNION ALL SELECT 'social', 'linkedin'
    UNION ALL SELECT 'social', 'lnkd.in' UNION ALL SELECT 'social', 'reddit'
    UNION ALL SELECT 'social', 'pinterest' UNION ALL SELECT 'social', 'youtube'
    UNION ALL SELECT 'social', 'tiktok' UNION ALL SELECT 'social', 'snapchat'
    UNION ALL SELECT 'social', 'tumblr' UNION ALL SELECT 'social', 'vk.com'
    UNION ALL SELECT 'social', 'weibo' UNION ALL SELECT 'social', 'threads.net'
    UNION ALL SELECT 'social', 'mastodon' UNION ALL SELECT 'social', 'bsky.app'
    UNION ALL SELECT 'social', 'quora' UNION ALL SELECT 'social', 'whatsapp'
    UNION ALL SELECT 'social', 't.me'
),
sources AS (
    SELECT source_stats.*, lower(utm_medium) AS medium,
        -- Where the visit came from: the utm source when given, else the
        -- referrer's domain.
        lower(CASE WHEN utm_source <> '' THEN utm_source ELSE referrer_domain END) AS site
    FROM source_stats
),
-- The lists each site is on: it matches a name when it equals it, starts
-- with `name.`, contains `.name.` or ends with `.name` (the names hold no
-- LIKE wildcard; sites are lower case, so LIKE's case rule does not
-- matter).
site_matches AS (
    SELECT sites.site,
        max(CASE WHEN site_lists.list = 'search' THEN 1 ELSE 0 END) AS from_search,
        max(CASE WHEN site_lists.list = 'social' THEN 1 ELSE 0 END) AS from_social
    FROM (SELECT DISTINCT site FROM sources) sites
    CROSS JOIN site_lists
    WHERE sites.site = site_lists.name OR sites.site LIKE site_lists.name || '.%'
        OR sites.site LIKE '%.' || site_lists.name || '.%' OR sites.site LIKE '%.' || site_lists.name
    GROUP BY sites.site
),
classified AS (
    SELECT sources.*,
        coalesce(site_matches.from_search, 0) = 1 AS from_search,
        coalesce(site_matches.from_social, 0) = 1 AS from_social,
        medium IN ('cpc', 'ppc', 'cpm', 'sem', 'paidsearch', 'paid-search', 'paid_search')
            OR medium LIKE 'paid%' AS paid
    FROM sources
    LEFT JOIN site_matches ON site_matches.site = sources.site
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
ORDER BY sum(channeled.sessions) DESC, channeled.referrer_domain = '', channeled.referrer_domain,
    channeled.utm_source, channeled.utm_medium, channeled.utm_campaign;
