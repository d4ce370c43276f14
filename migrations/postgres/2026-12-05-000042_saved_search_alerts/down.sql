ALTER TABLE saved_searches DROP COLUMN alert;
