-- sessiondb schema, version 3. A database of an older version gets these
-- columns, then the migration code re-sessionizes it under its stored
-- rules (session ids follow a new, portable formula) and rebuilds every
-- summary, so the new columns hold real values.

-- The hour of the session's start in the reporting zone ('00'..'23'), and
-- the Plausible and PostHog bounce flags, stored like the others so that
-- every view and summary reads one definition.
ALTER TABLE session_records ADD COLUMN hour TEXT NOT NULL DEFAULT '00';
ALTER TABLE session_records ADD COLUMN bounced_plausible INTEGER NOT NULL DEFAULT 0;
ALTER TABLE session_records ADD COLUMN bounced_posthog INTEGER NOT NULL DEFAULT 0;

-- The day's weekday (1 = Monday .. 7 = Sunday) and the Monday of its week,
-- so that views group by them without date functions.
ALTER TABLE daily_stats ADD COLUMN weekday INTEGER NOT NULL DEFAULT 0;
ALTER TABLE daily_stats ADD COLUMN week TEXT NOT NULL DEFAULT '';
