-- Revision 0003: a CHECK on every column that holds a closed set of words (or severities), so
-- that a word the application does not know is refused instead of stored. The words are those
-- of ivr/domain/statuses.py at this revision; schema.sql has the same constraints.
--
-- These statements are what PostgreSQL runs (with NOT VALID, then VALIDATE CONSTRAINT).
-- SQLite cannot add a constraint to a table: there 0003_status_checks.py rebuilds each table
-- with its constraints. Either way the migration first counts the rows that a constraint
-- would refuse, and stops with their table, column, count and values when there are any.
-- One statement per line: 0003_status_checks.py reads them.

ALTER TABLE analysts ADD CONSTRAINT ck_analysts_status CHECK (status IN ('available', 'unavailable', 'away'));
ALTER TABLE cases ADD CONSTRAINT ck_cases_status CHECK (status IN ('incomplete', 'received', 'in_progress', 'visit_scheduled', 'waiting_client', 'resolved'));
ALTER TABLE cases ADD CONSTRAINT ck_cases_severity CHECK (severity IN (1, 2, 3));
ALTER TABLE cases ADD CONSTRAINT ck_cases_callback_state CHECK (callback_state IN ('none', 'pending', 'done'));
ALTER TABLE cases ADD CONSTRAINT ck_cases_visit_status CHECK (visit_status IN ('proposed', 'confirmed', 'done', 'cancelled'));
ALTER TABLE recordings ADD CONSTRAINT ck_recordings_status CHECK (status IN ('in-progress', 'completed', 'failed', 'absent'));
ALTER TABLE calls ADD CONSTRAINT ck_calls_status CHECK (status IN ('queued', 'initiated', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'));
ALTER TABLE calls ADD CONSTRAINT ck_calls_outcome CHECK (outcome IN ('answered', 'emergency-answered', 'emergency-message', 'callback', 'abandoned'));
ALTER TABLE dial_attempts ADD CONSTRAINT ck_dial_attempts_outcome CHECK (outcome IN ('ringing', 'accepted', 'declined', 'no-answer', 'busy', 'failed', 'canceled', 'voicemail'));
