//! Achievements (成果): university and institute research results, their review lifecycle,
//! and the yearly hundred-achievements pool (百项科技成果转化项目培育库).

pub mod handlers;
pub mod model;
pub mod pool;
pub mod store;

pub use store::AchievementStore;
