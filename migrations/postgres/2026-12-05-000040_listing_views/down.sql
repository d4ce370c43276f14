DROP TABLE listing_views;
