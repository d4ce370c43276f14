DROP TABLE deal_events;
DROP TABLE deals;
