//! expertpool: expert pools and review-panel assignment for a science & technology bureau.

pub mod assign;
pub mod domain;
pub mod dataset;
pub mod cli;
