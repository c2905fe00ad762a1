//! Sources: where candidates come from, in the sans-IO style.
//!
//! A [`Source`] never does I/O. The collector asks it for its next [`Step`]:
//! either a request to make (the collector fetches it, one at a time, and hands
//! the answer back with [`Source::read`]), candidates it already has (a pasted
//! URL list), or `Done`. Each provider's module builds its requests and parses
//! answers shaped exactly like the real service's JSON; base URLs live only in
//! [`endpoints`].

use std::fmt;

use crate::core::candidate::Candidate;

pub mod catalog;
pub mod commons;
pub mod endpoints;
pub mod local;
pub mod openverse;
mod shared;
pub mod text;
pub mod url_list;

/// A request the collector should make for a source (GET, no credentials).
#[derive(Clone, Debug, PartialEq)]
pub struct SourceRequest {
    pub url: String,
    /// Extra headers, e.g. `Api-User-Agent` for the MediaWiki API host only.
    pub headers: Vec<(String, String)>,
}

/// What one answer (or a pasted list) yielded.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourcePage {
    pub candidates: Vec<Candidate>,
    /// How many results the source says there are in all, where it says.
    pub total: Option<u64>,
    /// Sentences for the user about this page, e.g. "line 3 is not an http(s) URL; skipped".
    pub notices: Vec<String>,
}

/// What a source wants next.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Make this request and give the answer to [`Source::read`].
    Fetch(SourceRequest),
    /// Candidates available without a request.
    Ready(SourcePage),
    /// Nothing more will come.
    Done,
}

/// Why a source could not go on. `Display` is a sentence a user can act on.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceError {
    /// The service answered with this HTTP status; `message` says what it means
    /// for the user (e.g. Openverse's 401 past the anonymous page limit).
    Http {
        status: u16,
        message: String,
        retry_after: Option<String>,
    },
    /// The body was not what this service sends (malformed JSON, missing fields).
    Malformed {
        service: &'static str,
        detail: String,
    },
}

impl SourceError {
    /// Whether asking again later may succeed (408, 429, 5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            SourceError::Http { status, .. } => matches!(status, 408 | 429 | 500..=599),
            SourceError::Malformed { .. } => false,
        }
    }
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceError::Http { message, .. } => f.write_str(message),
            SourceError::Malformed { service, detail } => {
                write!(
                    f,
                    "{service} sent an answer this app cannot read: {detail}."
                )
            }
        }
    }
}

/// A source of candidates, driven by the collector.
pub trait Source {
    /// What to do next. `wanted` is how many more candidates the collector
    /// would take; a source may size its page by it (within the service's limits).
    fn next(&mut self, wanted: usize) -> Step;
    /// The answer to the last [`Step::Fetch`]: its HTTP status, the value of
    /// its `Retry-After` header if any, and its body as text.
    fn read(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        body: &str,
    ) -> Result<SourcePage, SourceError>;
}

/// Which source the user picked, with its own options. This is what the search
/// form produces and what a deep link fills, and what a collection keeps so
/// that it can be resumed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum SourceChoice {
    /// The local demo source's `/api/search` at `api` (its base URL).
    Local { api: String, query: String },
    /// Wikimedia Commons through the MediaWiki API at `api` (…/w/api.php).
    Commons {
        api: String,
        query: String,
        thumb_px: u32,
    },
    /// Openverse's `/v1/images/` at `api` (its base URL), with its filters.
    Openverse {
        api: String,
        query: String,
        filters: openverse::Filters,
    },
    /// A URL list fetched from a URL (one URL a line, or CSV with url,caption).
    UrlListAt { url: String },
    /// A URL list pasted or opened from a file: its text.
    UrlListText { text: String },
    /// A catalog (JSON index in the local source's shape) at a URL.
    Catalog { url: String },
}

/// Opens the source a choice names.
pub fn open(choice: SourceChoice) -> Box<dyn Source> {
    match choice {
        SourceChoice::Local { api, query } => Box::new(local::LocalSearch::new(&api, &query)),
        SourceChoice::Commons {
            api,
            query,
            thumb_px,
        } => Box::new(commons::Commons::new(&api, &query, thumb_px)),
        SourceChoice::Openverse {
            api,
            query,
            filters,
        } => Box::new(openverse::Openverse::new(&api, &query, filters)),
        SourceChoice::UrlListAt { url } => Box::new(url_list::UrlList::at(&url)),
        SourceChoice::UrlListText { text } => Box::new(url_list::UrlList::from_text(&text)),
        SourceChoice::Catalog { url } => Box::new(catalog::Catalog::new(&url)),
    }
}
