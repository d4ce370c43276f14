//! Bookmarks: a user keeps listings for later (`PUT|DELETE /api/v1/me/bookmarks/{kind}/{id}`,
//! `GET /api/v1/me/bookmarks`); a listing's org reads how many users keep it
//! (`GET /api/v1/{kind}/{id}/stats`), never who.
//!
//! A user may bookmark what they may read: a published listing, or any of their own org's
//! (admins: any). A bookmarked listing that later leaves the market stays in the list with
//! `available: false`, its title as it was visible then.

pub mod handlers;
pub mod store;
