//! What is kept of a collection in browser storage: one [`ItemRecord`] per
//! candidate (its state, why it failed, what it turned out to be, and the
//! source's credits) and one [`CollectionRecord`] per collection.
//!
//! Records are JSON text in IndexedDB; an original's bytes are kept apart,
//! keyed by their SHA-256 ([`original_key`]), so a duplicate is stored once.

use serde::{Deserialize, Serialize};

use crate::core::candidate::Candidate;
use crate::core::ledger::Settled;
use crate::core::protocol::Collected;

/// One candidate of a collection, as stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemRecord {
    pub collection: u32,
    pub id: u32,
    pub candidate: Candidate,
    /// "collected", "duplicate", "filtered", "failed" or "cancelled".
    pub status: String,
    /// Why it failed or was filtered out; empty otherwise.
    pub reason: String,
    /// Set when collected: what the image turned out to be.
    pub collected: Option<Collected>,
}

impl ItemRecord {
    pub fn new(
        collection: u32,
        id: u32,
        candidate: Candidate,
        state: &Settled,
        collected: Option<Collected>,
    ) -> ItemRecord {
        let (status, reason) = status_of(state);
        ItemRecord {
            collection,
            id,
            candidate,
            status: status.into(),
            reason,
            collected,
        }
    }

    pub fn is_collected(&self) -> bool {
        self.status == "collected" && self.collected.is_some()
    }
}

/// The status word and the reason of a settled state.
pub fn status_of(state: &Settled) -> (&'static str, String) {
    match state {
        Settled::Collected => ("collected", String::new()),
        Settled::Duplicate => ("duplicate", String::new()),
        Settled::Filtered(why) => ("filtered", why.clone()),
        Settled::Failed(why) => ("failed", why.clone()),
        Settled::Cancelled => ("cancelled", String::new()),
    }
}

/// A collection as stored: what was asked for, and when.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CollectionRecord {
    pub id: u32,
    pub name: String,
    pub query: String,
    /// The provider id ("commons", "local", ...).
    pub provider: String,
    pub created_unix_ms: f64,
}

/// The Cache Storage key of an original with this SHA-256. Cache Storage
/// wants an http(s) URL; this one is never fetched (`.invalid` cannot resolve).
pub fn original_key(sha256: &str) -> String {
    format!("https://originals.invalid/{sha256}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_as_json_and_old_json_still_loads() {
        let record = ItemRecord::new(
            3,
            7,
            Candidate {
                url: "http://127.0.0.1/a.jpg".into(),
                title: "Lake «北»".into(),
                ..Candidate::default()
            },
            &Settled::Failed("the server answered 404 Not Found".into()),
            None,
        );
        let json = serde_json::to_string(&record).unwrap();
        assert_eq!(serde_json::from_str::<ItemRecord>(&json).unwrap(), record);
        let old: ItemRecord =
            serde_json::from_str(r#"{"collection":1,"id":2,"status":"collected"}"#).unwrap();
        assert_eq!((old.collection, old.id, old.is_collected()), (1, 2, false));
    }

    #[test]
    fn originals_are_keyed_by_their_hash() {
        assert_eq!(original_key("ab12"), "https://originals.invalid/ab12");
    }
}
