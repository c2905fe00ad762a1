//! What is kept of a collection in browser storage: one [`ItemRecord`] per
//! candidate (its state, why it failed, what it turned out to be, and the
//! source's credits) and one [`CollectionRecord`] per collection.
//!
//! Records are JSON text in IndexedDB; an original's bytes are kept apart,
//! keyed by their SHA-256 ([`original_key`]), so a duplicate is stored once.

use serde::{Deserialize, Serialize};

use crate::core::candidate::Candidate;
use crate::core::ledger::{Counts, Settled, Status};
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
    pub status: Status,
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
        ItemRecord {
            collection,
            id,
            candidate,
            status: state.status(),
            reason: state.reason().to_string(),
            collected,
        }
    }

    pub fn is_collected(&self) -> bool {
        self.status == Status::Collected && self.collected.is_some()
    }
}

impl Counts {
    /// The counts of a stored collection, and each record's status as it is
    /// shown. A worker keeps a collected record before the page can call it
    /// a duplicate, so a reload in between leaves two collected records of
    /// one image: the second is a duplicate.
    pub fn from_records(records: &[ItemRecord]) -> (Counts, Vec<Status>) {
        let mut counts = Counts::default();
        let mut hashes = std::collections::HashSet::new();
        let statuses = records
            .iter()
            .map(|r| {
                let status = match &r.collected {
                    Some(c) if r.status == Status::Collected && !hashes.insert(&c.sha256) => {
                        Status::Duplicate
                    }
                    _ => r.status,
                };
                counts.add(status);
                status
            })
            .collect();
        (counts, statuses)
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
    pub state: RunState,
}

/// Whether a collection ran to its end: `Collecting` until it ends. One
/// still `Collecting` when it is read back was interrupted (a reload, a
/// closed tab) and can be resumed. Written and read as the lowercase word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Collecting,
    /// Also what a record from before this word is read as.
    #[default]
    Done,
    Cancelled,
    Stopped,
}

impl CollectionRecord {
    /// Whether it was interrupted before its end and can be resumed.
    pub fn can_resume(&self) -> bool {
        self.state == RunState::Collecting && self.choice.is_some()
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
            if r.status.is_final() {
                point.kept.push(r.clone());
            } else {
                point.retry.push(r.id);
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
        let record = |id, status| ItemRecord {
            collection: 1,
            id,
            status,
            ..ItemRecord::default()
        };
        let records = [
            record(0, Status::Collected),
            record(1, Status::Failed),
            record(2, Status::Duplicate),
            record(5, Status::Cancelled),
            record(3, Status::Filtered),
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
            state: RunState::Collecting,
            choice: Some(SourceChoice::UrlListAt {
                url: "http://127.0.0.1/list.txt".into(),
            }),
            ..CollectionRecord::default()
        };
        assert!(c.can_resume());
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<CollectionRecord>(&json).unwrap(), c);
        c.state = RunState::Done;
        assert!(
            json.contains(r#""state":"collecting""#),
            "stored as the word"
        );
        assert!(!c.can_resume());
        let old: CollectionRecord = serde_json::from_str(r#"{"id":4,"name":"lakes"}"#).unwrap();
        assert!(
            !old.can_resume(),
            "a record from before resume existed is not resumable"
        );
    }

    #[test]
    fn stored_counts_call_a_second_record_of_one_hash_a_duplicate() {
        let collected = |id, sha: &str| ItemRecord {
            id,
            status: Status::Collected,
            collected: Some(Collected {
                sha256: sha.into(),
                ..Collected::default()
            }),
            ..ItemRecord::default()
        };
        let failed = ItemRecord {
            id: 3,
            status: Status::Failed,
            ..ItemRecord::default()
        };
        let records = [
            collected(0, "a"),
            collected(1, "b"),
            collected(2, "a"),
            failed,
        ];
        let (counts, statuses) = Counts::from_records(&records);
        assert_eq!(
            statuses,
            vec![
                Status::Collected,
                Status::Collected,
                Status::Duplicate,
                Status::Failed
            ]
        );
        assert_eq!(
            (
                counts.seen,
                counts.collected,
                counts.duplicate,
                counts.failed
            ),
            (4, 2, 1, 1)
        );
        // The words as stored by earlier versions read back as they are.
        let r: ItemRecord =
            serde_json::from_str(r#"{"id":1,"status":"filtered","reason":"too small"}"#).unwrap();
        assert_eq!(
            (r.status, r.reason.as_str()),
            (Status::Filtered, "too small")
        );
    }

    #[test]
    fn originals_are_keyed_by_their_hash() {
        assert_eq!(original_key("ab12"), "https://originals.invalid/ab12");
    }
}
