//! Orchestration: validate against stored reference data, write, audit — in one transaction.

pub mod auth;
pub mod candidates;
pub mod draws;
pub mod events;
pub mod experts;
pub mod export;
pub mod invitations;
pub mod memberships;
pub mod notices;
pub mod panels;
pub mod replacement;
pub mod seats;
pub mod sessions;
pub mod suspensions;
pub mod tracking;
pub mod users;
