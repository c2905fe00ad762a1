//! Pure logic of the collector, with no browser types and no I/O.
//!
//! Everything here takes events (an answer came, a timer fired, Cancel) and
//! returns decisions (fetch this, wait that long, report this), so it builds
//! and tests natively with `cargo test` and the browser glue in `web` stays thin.

pub mod avif;
pub mod cache;
pub mod candidate;
pub mod collection;
pub mod decode;
pub mod deep_link;
pub mod export;
pub mod format;
pub mod hosts;
pub mod image_check;
pub mod ledger;
pub mod metrics;
pub mod plan;
pub mod pressure;
pub mod priority;
pub mod profile;
pub mod protocol;
pub mod record;
pub mod recorder;
pub mod retry;
pub mod settings;
pub mod source;
pub mod thumbnail;
pub mod urls;
pub mod viewport;
