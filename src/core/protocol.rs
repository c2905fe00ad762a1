//! The messages between the page and its workers.
//!
//! Messages travel as JSON text; a thumbnail's pixels never do. A thumbnail
//! travels beside the message as a transferred `ImageBitmap` (see
//! `web::worker_bridge`), so the page receives it without a copy.

use serde::{Deserialize, Serialize};

use crate::core::candidate::Candidate;
use crate::core::decode::DecodePath;
use crate::core::ledger::Settled;

/// What the page asks of a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Fetch, check and thumbnail these candidates.
    Chunk(Chunk),
    /// Abort everything of this collection now, and start nothing more of it.
    Cancel { collection: u32 },
    /// Another worker was told to slow down by this host: wait too.
    PauseHost { host: String, for_ms: u64 },
    /// Make a thumbnail again from the stored original with this SHA-256
    /// (it scrolled into view and is no longer cached). `key` is the tile's
    /// [`tile_key`].
    Remake {
        key: u64,
        sha256: String,
        thumb_px: u32,
    },
    /// Write a ZIP: these stored originals (stored as they are) and these
    /// text files (deflated), streamed back in chunks.
    Export {
        job: u32,
        images: Vec<ExportImage>,
        texts: Vec<(String, String)>,
    },
    /// Read a ZIP made by an export (the file travels beside the message)
    /// into collection `collection`: originals into storage, records into
    /// the database.
    Import {
        job: u32,
        collection: u32,
        thumb_px: u32,
    },
    /// Stop an export or import now.
    CancelJob { job: u32 },
}

/// One image of an export: where it goes in the ZIP, and its stored original.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExportImage {
    pub path: String,
    pub sha256: String,
}

/// A batch of candidates for one worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Chunk {
    pub collection: u32,
    pub chunk: u32,
    pub items: Vec<JobItem>,
    pub checks: Checks,
    pub rules: FetchRules,
}

/// One candidate to download.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobItem {
    pub id: u32,
    /// The candidate's URL, normalized: what is fetched.
    pub url: String,
    /// What the source said of it: the worker keeps it in the item's record
    /// when the image is collected, before telling the page.
    #[serde(default)]
    pub candidate: Candidate,
}

/// What a downloaded image must satisfy, and the thumbnail to make of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    pub max_bytes: u64,
    pub max_side: u32,
    pub max_pixels: u64,
    /// Filters: 0 means no bound.
    pub min_width: u32,
    pub min_height: u32,
    pub max_width: u32,
    pub max_height: u32,
    /// Allowed formats by name ("jpeg", "png", "webp", "gif", "avif"); empty allows all.
    pub file_types: Vec<String>,
    pub thumb_px: u32,
    /// The decoder tried first; the others stand in (`core::decode`).
    #[serde(default)]
    pub decoder: DecodePath,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            max_bytes: 40 * 1024 * 1024,
            max_side: 16_384,
            max_pixels: 64_000_000,
            min_width: 0,
            min_height: 0,
            max_width: 0,
            max_height: 0,
            file_types: Vec::new(),
            thumb_px: 256,
            decoder: DecodePath::default(),
        }
    }
}

/// How a worker fetches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FetchRules {
    pub header_timeout_ms: u32,
    pub body_timeout_ms: u32,
    pub retry_base_ms: u32,
    pub retry_cap_ms: u32,
    pub retries: u32,
    /// Items this worker may have in hand at once (the per-worker cap).
    pub in_flight: u32,
    /// Downloads this worker may have in flight from any one host: its
    /// share of the per-host cap (the pool's shares add up to the cap).
    /// 0 (an older page) means `in_flight`.
    #[serde(default)]
    pub per_host: u32,
}

impl Default for FetchRules {
    fn default() -> Self {
        FetchRules {
            header_timeout_ms: 15_000,
            body_timeout_ms: 60_000,
            retry_base_ms: 500,
            retry_cap_ms: 30_000,
            retries: 3,
            in_flight: 12,
            per_host: 6,
        }
    }
}

/// What a worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm has started; it can take jobs now.
    Ready,
    /// One candidate is settled. A `Collected` outcome comes with its
    /// thumbnail beside the message.
    Item(ItemReport),
    /// Every item of the chunk has been reported. `wasm_bytes` is the
    /// worker's wasm memory size then.
    ChunkDone {
        collection: u32,
        chunk: u32,
        items: u32,
        elapsed_ms: f64,
        wasm_bytes: u64,
    },
    /// A thumbnail made again (beside the message), or why not.
    Remade {
        key: u64,
        result: Result<(u32, u32), String>,
        wasm_bytes: u64,
    },
    /// The browser's storage is full: the original could not be kept.
    StorageFull { reason: String },
    /// A host answered "slow down" and this worker paused it.
    HostPaused { host: String, for_ms: u64 },
    /// Sent once a second while the worker has work: how many ms of the last
    /// second it had at least one item or remake in hand (from the start of
    /// its download to its report, so waiting on the network counts, and so
    /// does the synchronous check, decode, thumbnail and hash), and its wasm
    /// memory size. A page cannot read a worker's CPU time; this is the
    /// honest figure it can have.
    Busy { busy_ms: f64, wasm_bytes: u64 },
    /// The next bytes of an export's ZIP (beside the message), and how far
    /// it is: `done` of `total` images written.
    ExportChunk { job: u32, done: u32, total: u32 },
    /// How far an import is: `done` of `total` rows read.
    JobProgress { job: u32, done: u32, total: u32 },
    /// An export or import ended: how many images it wrote or read, or why
    /// it stopped (a sentence).
    JobEnded {
        job: u32,
        result: Result<u32, String>,
    },
}

/// How one candidate ended in a worker.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ItemReport {
    pub collection: u32,
    pub id: u32,
    pub attempts: u32,
    /// Collected, Filtered, Failed or Cancelled (a worker cannot know a
    /// duplicate: the page tells by the hash).
    pub state: Settled,
    /// What a collected image turned out to be.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collected: Option<Collected>,
    /// The decode paths that could not make the thumbnail before the one
    /// that did (or before the item failed), and why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stand_ins: Vec<(DecodePath, String)>,
}

/// What a collected image turned out to be.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Collected {
    pub width: u32,
    pub height: u32,
    /// "jpeg", "png", ...
    pub format: String,
    pub bytes: u64,
    /// SHA-256 of the original bytes, lowercase hex.
    pub sha256: String,
    pub thumb_width: u32,
    pub thumb_height: u32,
    /// Whether the original's bytes are kept in browser storage.
    pub stored: bool,
    /// The decode path that made the thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded_by: Option<DecodePath>,
}

/// A gallery tile's key: its collection and candidate id in one number, so
/// thumbnails of two collections never mix.
pub fn tile_key(collection: u32, id: u32) -> u64 {
    (collection as u64) << 32 | id as u64
}

/// The collection and candidate id of a tile's key.
pub fn tile_parts(key: u64) -> (u32, u32) {
    ((key >> 32) as u32 & (u32::MAX >> 1), key as u32)
}

/// The key of tile `key`'s full-size image (the detail view's), made and
/// cached like a thumbnail but never mistaken for one.
pub fn full_key(key: u64) -> u64 {
    key | 1 << 63
}

/// Encodes a message for `postMessage`.
pub fn encode<T: Serialize>(msg: &T) -> String {
    // Serializing these plain types cannot fail; an empty string is answered
    // by the receiver as an unreadable message rather than a panic.
    serde_json::to_string(msg).unwrap_or_default()
}

/// Decodes a message from `postMessage`.
pub fn decode<T: for<'de> Deserialize<'de>>(text: &str) -> Result<T, String> {
    serde_json::from_str(text).map_err(|e| format!("a worker message could not be read ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_as_json() {
        let msg = ToWorker::Chunk(Chunk {
            collection: 1,
            chunk: 2,
            items: vec![JobItem {
                id: 3,
                url: "http://127.0.0.1/a.jpg".into(),
                candidate: Candidate {
                    title: "Lake".into(),
                    ..Candidate::default()
                },
            }],
            checks: Checks::default(),
            rules: FetchRules::default(),
        });
        assert_eq!(decode::<ToWorker>(&encode(&msg)).unwrap(), msg);
        let back = FromWorker::Item(ItemReport {
            collection: 1,
            id: 3,
            attempts: 2,
            state: Settled::Failed("the server answered 404 Not Found".into()),
            collected: None,
            stand_ins: vec![(DecodePath::ImageDecoder, "it is missing".into())],
        });
        assert_eq!(decode::<FromWorker>(&encode(&back)).unwrap(), back);
        let busy = FromWorker::Busy {
            busy_ms: 640.5,
            wasm_bytes: 1 << 20,
        };
        assert_eq!(decode::<FromWorker>(&encode(&busy)).unwrap(), busy);
    }

    #[test]
    fn a_full_image_key_is_apart_from_every_tile_key() {
        let key = tile_key(u32::MAX >> 1, u32::MAX);
        assert_ne!(full_key(key), key);
        assert_ne!(full_key(tile_key(1, 2)), tile_key(1, 2));
        assert_eq!(full_key(full_key(key)), full_key(key));
        assert_ne!(full_key(tile_key(1, 2)), full_key(tile_key(1, 3)));
        assert_eq!(tile_parts(tile_key(7, 9)), (7, 9));
        assert_eq!(tile_parts(full_key(tile_key(7, 9))), (7, 9));
    }

    #[test]
    fn an_unreadable_message_is_a_sentence() {
        let err = decode::<FromWorker>("{").unwrap_err();
        assert!(err.starts_with("a worker message could not be read"));
    }
}
