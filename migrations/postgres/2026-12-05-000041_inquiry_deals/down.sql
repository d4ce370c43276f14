ALTER TABLE inquiries DROP COLUMN deal_id;
