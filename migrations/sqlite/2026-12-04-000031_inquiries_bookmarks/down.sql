DROP TABLE inquiry_messages;
DROP TABLE inquiries;
DROP TABLE bookmarks;
