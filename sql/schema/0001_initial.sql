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
-- read = imported + duplicates + rejected, always.
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
    rejected    INTEGER NOT NULL DEFAULT 0
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
    PRIMARY KEY (user_id, ts_ms, event_id)
) WITHOUT ROWID;

-- Duplicates are found by event_id. (A bulk load into an empty table
-- drops this index and builds it once at the end.)
CREATE UNIQUE INDEX events_by_event_id ON events (event_id);



-- One row per session, maintained by the import. The public view `sessions`
-- adds the flags and the ISO times; read that one.
CREATE TABLE session_records (
    session_id       TEXT NOT NULL,
    user_id          TEXT NOT NULL,
    started_ms       INTEGER NOT NULL,
    ended_ms         INTEGER NOT NULL,
    events           INTEGER NOT NULL,
    pageviews        INTEGER NOT NULL,
    conversions      INTEGER NOT NULL,
    revenue          REAL NOT NULL,
    landing_page     TEXT,
    exit_page        TEXT,
    referrer         TEXT,
    referrer_domain  TEXT,
    utm_source       TEXT,
    utm_medium       TEXT,
    utm_campaign     TEXT,
    device           TEXT,
    country          TEXT
);

CREATE UNIQUE INDEX session_records_by_id ON session_records (session_id);
CREATE INDEX session_records_by_user_start ON session_records (user_id, started_ms);

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
