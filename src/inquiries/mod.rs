//! Inquiries: a user of a verified org asks the org of a published listing about it
//! (`POST /api/v1/{achievements,demands}/{id}/inquiries`); the two orgs then write in one
//! thread (`GET|POST /api/v1/inquiries/{id}/messages`), listed in `GET /api/v1/me/inquiries`.
//! Only the two orgs' users and admins read a thread (anyone else gets a 404); every
//! message tells the other org through a notification (`inquiry_message`), which names the
//! org and the listing, not the message. Each user may write at most
//! [`store::MESSAGES_PER_HOUR`] messages an hour (counted in the database, so across
//! servers), each of at most [`store::MAX_BODY`] characters.

pub mod handlers;
pub mod store;
