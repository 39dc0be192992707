//! Integration tests: the real Rocket app through `rocket::local` on a temp SQLite file, or
//! PostgreSQL when `TEST_DATABASE_URL` is set.

mod access;
mod architecture;
mod backup;
mod browser;
mod calls;
mod cli;
mod concurrency;
mod deployment;
mod disk_full;
mod events;
mod experts;
mod export_import;
mod exports;
mod helpers;
mod import;
mod invitations;
mod mailbox;
mod notifications;
mod openapi;
mod pool_rules;
mod pools;
mod recruiting;
mod registry;
mod sample_engine;
mod search;
mod session;
mod stored_inputs;
mod tracking;
mod workflow;
mod workflow_history;
mod workflow_walk;
mod zh_pages;
