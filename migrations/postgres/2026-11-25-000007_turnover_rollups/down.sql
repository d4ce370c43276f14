DROP TABLE turnover_rollups;
