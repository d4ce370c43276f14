DROP TABLE scheduled_jobs;
DROP TABLE publicity_objections;
DROP TABLE publicities;
ALTER TABLE contracts DROP COLUMN offering_id;
DROP TABLE offering_bids;
DROP TABLE offerings;
