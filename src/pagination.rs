//! Every list pages: `page` from 1, `per_page` 1..=100, and says its total.

use serde::Serialize;

use crate::error::{ApiError, ErrorCode};

pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;

#[derive(Debug, Clone, Copy)]
pub struct Pagination {
    pub page: i64,
    pub per_page: i64,
}

impl Pagination {
    pub fn new(page: Option<i64>, per_page: Option<i64>) -> Result<Pagination, ApiError> {
        let page = page.unwrap_or(1);
        let per_page = per_page.unwrap_or(DEFAULT_PER_PAGE);
        if page < 1 || !(1..=MAX_PER_PAGE).contains(&per_page) || page > i64::MAX / MAX_PER_PAGE {
            return Err(ApiError::new(ErrorCode::InvalidPagination));
        }
        Ok(Pagination { page, per_page })
    }

    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    pub fn limit(&self) -> i64 {
        self.per_page
    }

    pub fn wrap<T>(self, items: Vec<T>, total: i64) -> Paged<T> {
        Paged {
            items,
            total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// The list answer: `{items, total, page, per_page}`.
#[derive(Debug, Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}
