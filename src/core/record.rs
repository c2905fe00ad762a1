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
use crate::core::settings::Settings;
use crate::core::source::SourceChoice;

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

/// A collection as stored: what was asked for, with what settings, when,
/// and whether it ran to its end.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CollectionRecord {
    pub id: u32,
    pub name: String,
    pub query: String,
    /// The provider id ("commons", "local", ...).
    pub provider: String,
    pub created_unix_ms: f64,
    /// The source and its options, to resume from.
    pub choice: Option<SourceChoice>,
    /// The settings it ran with (its Max among them).
    pub settings: Option<Settings>,
    /// "collecting" until it ends, then "done", "cancelled" or "stopped".
    /// One still "collecting" when it is read back was interrupted (a
    /// reload, a closed tab) and can be resumed.
    pub state: String,
}

impl CollectionRecord {
    /// Whether it was interrupted before its end and can be resumed.
    pub fn can_resume(&self) -> bool {
        self.state == "collecting" && self.choice.is_some()
    }
}

/// Where an interrupted collection takes up again, from its stored records.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResumePoint {
    /// Records kept as they are: collected, duplicate or filtered. Their
    /// candidates are not fetched again.
    pub kept: Vec<ItemRecord>,
    /// Ids whose records are dropped: failed or cancelled, they are tried
    /// again when the source lists them again.
    pub retry: Vec<u32>,
    /// The first id the resumed run may give.
    pub next_id: u32,
}

impl ResumePoint {
    pub fn of(records: &[ItemRecord]) -> ResumePoint {
        let mut point = ResumePoint::default();
        for r in records {
            point.next_id = point.next_id.max(r.id.saturating_add(1));
            match r.status.as_str() {
                "collected" | "duplicate" | "filtered" => point.kept.push(r.clone()),
                _ => point.retry.push(r.id),
            }
        }
        point
    }
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
    fn a_resume_keeps_what_was_settled_for_good_and_retries_the_rest() {
        let record = |id, status: &str| ItemRecord {
            collection: 1,
            id,
            status: status.into(),
            ..ItemRecord::default()
        };
        let records = [
            record(0, "collected"),
            record(1, "failed"),
            record(2, "duplicate"),
            record(5, "cancelled"),
            record(3, "filtered"),
        ];
        let point = ResumePoint::of(&records);
        let kept: Vec<u32> = point.kept.iter().map(|r| r.id).collect();
        assert_eq!(kept, vec![0, 2, 3]);
        assert_eq!(point.retry, vec![1, 5]);
        assert_eq!(point.next_id, 6, "past every id the earlier run gave");
        assert_eq!(ResumePoint::of(&[]).next_id, 0);
    }

    #[test]
    fn an_interrupted_collection_can_be_resumed_and_old_json_still_loads() {
        let mut c = CollectionRecord {
            state: "collecting".into(),
            choice: Some(SourceChoice::UrlListAt {
                url: "http://127.0.0.1/list.txt".into(),
            }),
            ..CollectionRecord::default()
        };
        assert!(c.can_resume());
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<CollectionRecord>(&json).unwrap(), c);
        c.state = "done".into();
        assert!(!c.can_resume());
        let old: CollectionRecord = serde_json::from_str(r#"{"id":4,"name":"lakes"}"#).unwrap();
        assert!(
            !old.can_resume(),
            "a record from before resume existed is not resumable"
        );
    }

    #[test]
    fn originals_are_keyed_by_their_hash() {
        assert_eq!(original_key("ab12"), "https://originals.invalid/ab12");
    }
}
