//! expertpool: expert pools and review-panel assignment for a science & technology bureau.
//!
//! Layers (DESIGN §9): `web` → `service` → {`store`, `assign`} → `domain`.

#[macro_use]
extern crate rocket;

pub mod assign;
pub mod cli;
pub mod clock;
pub mod config;
pub mod dataset;
pub mod domain;
pub mod error;
pub mod service;
pub mod store;
pub mod web;

pub use web::build;
