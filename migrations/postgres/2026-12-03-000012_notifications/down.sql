DELETE FROM scheduled_jobs WHERE kind = 'notify.sweep';
DROP TABLE email_deliveries;
DROP TABLE notification_settings;
DROP TABLE notifications;
DROP TABLE notification_events;
