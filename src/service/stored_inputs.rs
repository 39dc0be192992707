//! Stored draw inputs read back (`assign::stored_input`): the whole problem for a replay or a
//! supervisor, and whether what is stored still hashes to what was recorded.

use super::events::corrupt;
use crate::assign::stored_input::{self, Stored};
use crate::assign::Problem;
use crate::error::{AppError, AppResult};
use crate::store::{input_profiles, Store, StoreError};
use std::collections::BTreeMap;

/// The whole problem a stored input text describes (either format), and whether its stored
/// profiles still hash to the name the text gives them (always so for format 1, which has
/// them inline).
pub async fn problem(store: &Store, text: String) -> AppResult<(Problem, bool)> {
    let profiles = match stored_input::profiles_hash_of(&text) {
        Some(hash) => Some(profiles(store, hash).await?),
        None => None,
    };
    tokio::task::spawn_blocking(move || match stored_input::parse(&text).map_err(corrupt)? {
        Stored::Whole(problem) => Ok((*problem, true)),
        Stored::Split(split) => {
            let profiles = profiles.unwrap_or_default();
            let intact = stored_input::sha256_hex(&profiles) == split.profiles_hash();
            Ok((split.join(&profiles).map_err(corrupt)?, intact))
        }
    })
    .await
    .map_err(|e| AppError::Internal(format!("reading a stored input failed: {e}")))?
}

/// Whether each of these texts' stored profiles still hash to their names (format-1 texts
/// name none and are left out); each distinct set is read and hashed once.
pub async fn profiles_intact<'a>(
    store: &Store,
    texts: impl Iterator<Item = &'a str>,
) -> AppResult<BTreeMap<String, bool>> {
    let mut intact = BTreeMap::new();
    for hash in texts.filter_map(stored_input::profiles_hash_of) {
        if intact.contains_key(hash) {
            continue;
        }
        let ok = match input_profiles::get(store, hash).await {
            Ok(text) => stored_input::sha256_hex(&text) == hash,
            Err(StoreError::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        intact.insert(hash.to_string(), ok);
    }
    Ok(intact)
}

/// A stored text's own hash check and its profiles' (from [`profiles_intact`]).
pub fn intact(text: &str, hash: &str, profiles: &BTreeMap<String, bool>) -> bool {
    stored_input::sha256_hex(text) == hash
        && stored_input::profiles_hash_of(text)
            .is_none_or(|h| profiles.get(h).copied().unwrap_or(false))
}

async fn profiles(store: &Store, hash: &str) -> AppResult<String> {
    input_profiles::get(store, hash).await.map_err(|e| match e {
        StoreError::NotFound => {
            AppError::Internal(format!("the stored profiles {hash} of a draw are missing"))
        }
        other => other.into(),
    })
}
