DROP TABLE file_attachments;
DROP TABLE files;
DROP TABLE file_blobs;
