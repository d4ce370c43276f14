-- How often a saved search may alert its owner: hourly (the default), daily, or off (no
-- hits are recorded while it is off, so turning it on again does not flood the inbox).
ALTER TABLE saved_searches ADD COLUMN alert TEXT NOT NULL DEFAULT 'hourly';
