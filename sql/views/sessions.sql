-- One row per session: its times, size, entry and exit, source and flags.
-- Columns: session_id, user_id, started_at / ended_at (ISO 8601 UTC text,
-- milliseconds), duration_s (seconds, 0 for a one-event session), events,
-- pageviews, landing_page / exit_page (page of the first / last page_view),
-- referrer and utm_source / utm_medium / utm_campaign (of the first event),
-- device, country (of the first event), bounced (exactly one event), engaged
-- (duration > 10 s, or pageviews >= 2, or converted), converted (at least one
-- event whose type is in conversion_events), revenue (sum over the events);
-- flags are 0/1. Extra: started_ms / ended_ms (epoch milliseconds), day (date
-- of the start in the reporting time zone, YYYY-MM-DD; UTC unless set with
-- `sessiondb timezone`), referrer_domain, conversions (count),
-- session_key (the source's session id of the first event, from
-- `import --session-key`; NULL without one), bounced_plausible (fewer than
-- two page views and no other event), bounced_posthog (at most one page
-- view and shorter than 10 s): see bounce_definitions.
CREATE VIEW sessions AS
SELECT
    session_id,
    user_id,
    started_at,
    ended_at,
    CAST(ended_ms - started_ms AS DOUBLE) / 1000 AS duration_s,
    events,
    pageviews,
    landing_page,
    exit_page,
    referrer,
    utm_source,
    utm_medium,
    utm_campaign,
    device,
    country,
    bounced,
    engaged,
    converted,
    revenue,
    started_ms,
    ended_ms,
    day,
    referrer_domain,
    conversions,
    session_key,
    bounced_plausible, bounced_posthog
FROM session_records;
