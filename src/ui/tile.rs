//! What the page keeps of each settled image: a [`GalleryItem`], a few
//! words and its key; no pixels (the thumbnail cache has those) and no
//! credits (the detail view reads them back from storage), so the page
//! holds a few hundred bytes an image however large the collection.

use crate::core::decode::DecodePath;
use crate::core::ledger::Status;
use crate::core::protocol::tile_key;
use crate::core::record::ItemRecord;

/// One tile of the gallery. Provider text (the title) is shown as text only.
#[derive(Clone, Debug, PartialEq)]
pub struct GalleryItem {
    /// The tile's key (collection and candidate id, see `protocol::tile_key`).
    pub key: u64,
    /// Collected, Failed or Filtered (the others have no tile).
    pub kind: Status,
    pub title: String,
    pub reason: String,
    /// The stored original's hash, to make the thumbnail again.
    pub sha256: Option<String>,
    /// The decode path that made its thumbnail.
    pub decoded_by: Option<DecodePath>,
}

impl GalleryItem {
    /// The tile of a stored record shown as `status`, if it has one.
    pub fn of_record(collection: u32, r: &ItemRecord, status: Status) -> Option<GalleryItem> {
        match status {
            Status::Collected if r.collected.as_ref().is_some_and(|c| c.stored) => {}
            Status::Failed | Status::Filtered => {}
            _ => return None,
        }
        Some(GalleryItem {
            key: tile_key(collection, r.id),
            kind: status,
            title: r.candidate.title.clone(),
            reason: r.reason.clone(),
            sha256: r.collected.as_ref().map(|c| c.sha256.clone()),
            decoded_by: r.collected.as_ref().and_then(|c| c.decoded_by),
        })
    }
}
