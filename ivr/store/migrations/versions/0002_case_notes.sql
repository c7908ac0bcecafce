-- Revision 0002: free-text notes on a case (what the line learnt outside the normal steps,
-- e.g. the choices of a caller recorded while the database was unavailable).
ALTER TABLE cases ADD COLUMN notes TEXT;
