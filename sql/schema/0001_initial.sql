-- sessiondb schema, version 1.
-- Times are INTEGER milliseconds since the Unix epoch (UTC); the views show
-- them as ISO 8601 text. No STRICT tables: SQLite 3.31 must read this file.

-- Key/value settings of the database, such as the session rules (JSON).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- One row per input file imported (a command importing three files writes
-- three). size_bytes and sha256 are those of the bytes read (before gzip
-- decompression), so `sha256sum FILE` identifies the file imported.
-- read = imported + duplicates + rejected + filtered, always (filtered:
-- robots' requests in access logs).
CREATE TABLE imports (
    import_id   INTEGER PRIMARY KEY,
    file        TEXT NOT NULL,
    format      TEXT NOT NULL,
    size_bytes  INTEGER,
    sha256      TEXT,
    started_at  TEXT NOT NULL,
    rules       TEXT NOT NULL,
    rows_read   INTEGER NOT NULL DEFAULT 0,
    imported    INTEGER NOT NULL DEFAULT 0,
    duplicates  INTEGER NOT NULL DEFAULT 0,
    rejected    INTEGER NOT NULL DEFAULT 0,
    filtered    INTEGER NOT NULL DEFAULT 0
);

-- Every stored event. session_id is assigned by the import that stores it,
-- and rewritten when a later import merges or splits its session.
CREATE TABLE events (
    event_id      TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    ts_ms         INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    page          TEXT,
    referrer      TEXT,
    utm_source    TEXT,
    utm_medium    TEXT,
    utm_campaign  TEXT,
    device        TEXT,
    country       TEXT,
    revenue       REAL,
    properties    TEXT,
    session_id    TEXT,
    import_id     INTEGER NOT NULL REFERENCES imports (import_id),
    -- The source's own session id, when the input has one (--session-key).
    session_key   TEXT,
    PRIMARY KEY (user_id, ts_ms, event_id)
) WITHOUT ROWID;

-- Duplicates are found by event_id. (A bulk load into an empty table
-- drops this index and builds it once at the end.)
CREATE UNIQUE INDEX events_by_event_id ON events (event_id);



-- One row per session, maintained by the import, with its flags (0/1) and
-- reporting day as README's metric definitions compute them. The public
-- view `sessions` adds the ISO times; read that one.
CREATE TABLE session_records (
    session_id       TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    started_ms       INTEGER NOT NULL,
    ended_ms         INTEGER NOT NULL,
    day              TEXT NOT NULL,
    events           INTEGER NOT NULL,
    pageviews        INTEGER NOT NULL,
    conversions      INTEGER NOT NULL,
    bounced          INTEGER NOT NULL,
    engaged          INTEGER NOT NULL,
    converted        INTEGER NOT NULL,
    revenue          REAL NOT NULL,
    landing_page     TEXT,
    exit_page        TEXT,
    referrer         TEXT,
    referrer_domain  TEXT,
    utm_source       TEXT,
    utm_medium       TEXT,
    utm_campaign     TEXT,
    device           TEXT,
    country          TEXT,
    session_key      TEXT
);

CREATE UNIQUE INDEX session_records_by_id ON session_records (session_id);
CREATE INDEX session_records_by_user_start ON session_records (user_id, started_ms);

-- One row per user with at least one session.
CREATE TABLE users (
    user_id   TEXT PRIMARY KEY,
    first_ms  INTEGER NOT NULL,
    last_ms   INTEGER NOT NULL,
    sessions  INTEGER NOT NULL,
    events    INTEGER NOT NULL
) WITHOUT ROWID;

-- Summaries kept by every import, so reports need not scan all sessions:
-- sessions and their flags, durations and revenue added up per reporting
-- day, and per day and landing page, exit page or traffic source. ''
-- stands for none (keys cannot be NULL); revenue is in millionths.
CREATE TABLE daily_stats (
    day             TEXT PRIMARY KEY,
    sessions        INTEGER NOT NULL,
    users           INTEGER NOT NULL,
    events          INTEGER NOT NULL,
    pageviews       INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    bounced         INTEGER NOT NULL,
    engaged         INTEGER NOT NULL,
    converted       INTEGER NOT NULL,
    revenue_micros  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE landing_stats (
    day             TEXT NOT NULL,
    page            TEXT NOT NULL,
    sessions        INTEGER NOT NULL,
    bounced         INTEGER NOT NULL,
    engaged         INTEGER NOT NULL,
    converted       INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    revenue_micros  INTEGER NOT NULL,
    PRIMARY KEY (day, page)
) WITHOUT ROWID;

CREATE TABLE exit_stats (
    day             TEXT NOT NULL,
    page            TEXT NOT NULL,
    exits           INTEGER NOT NULL,
    bounced         INTEGER NOT NULL,
    duration_ms     INTEGER NOT NULL,
    PRIMARY KEY (day, page)
) WITHOUT ROWID;

CREATE TABLE source_stats (
    day              TEXT NOT NULL,
    referrer_domain  TEXT NOT NULL,
    utm_source       TEXT NOT NULL,
    utm_medium       TEXT NOT NULL,
    utm_campaign     TEXT NOT NULL,
    sessions         INTEGER NOT NULL,
    bounced          INTEGER NOT NULL,
    engaged          INTEGER NOT NULL,
    converted        INTEGER NOT NULL,
    revenue_micros   INTEGER NOT NULL,
    PRIMARY KEY (day, referrer_domain, utm_source, utm_medium, utm_campaign)
) WITHOUT ROWID;

-- Rows that could not be stored, with where they came from and why.
CREATE TABLE rejected_rows (
    import_id  INTEGER NOT NULL REFERENCES imports (import_id),
    file       TEXT NOT NULL,
    line       INTEGER NOT NULL,
    reason     TEXT NOT NULL,
    message    TEXT NOT NULL,
    raw        TEXT NOT NULL
);

-- The event types that count as conversions.
CREATE TABLE conversion_events (
    event_type TEXT PRIMARY KEY
);

INSERT INTO conversion_events (event_type) VALUES ('purchase'), ('signup');
