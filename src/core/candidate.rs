//! A `Candidate` is one image a source proposed: where to fetch it and what the
//! source said about it (its credits and, where known, its size and type).

use serde::{Deserialize, Serialize};

/// One image proposed by a source, before it is downloaded.
///
/// Text fields are provider text: they are shown as text, never as HTML.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// The image's own URL (what a worker fetches).
    pub url: String,
    pub title: String,
    pub creator: String,
    /// License short name, e.g. "CC BY-SA 4.0".
    pub license: String,
    pub license_url: String,
    /// The page that describes the image (its credits live there).
    pub source_page: String,
    /// Who published it: "wikimedia commons", "flickr", "local", ...
    pub provider: String,
    /// Caption from a URL list, or a description from the provider.
    pub caption: String,
    /// The provider's ready-made credit sentence, where it gives one (Openverse).
    #[serde(default)]
    pub attribution: String,
    /// Where within the provider it comes from (Openverse's `source`).
    #[serde(default)]
    pub source: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub mime: Option<String>,
    pub bytes: Option<u64>,
}
