//! What goes into a collection and what comes out of it: the [`Input`]s
//! the driver hands it, the [`Command`]s it returns, the [`Change`]s the user
//! sees, and the words and figures they carry.

use crate::core::decode::DecodePath;
use crate::core::ledger::{Counts, Settled};
use crate::core::pressure::PressureLevel;
use crate::core::protocol::{Checks, Collected, FromWorker, ToWorker};
use crate::core::record::{ItemRecord, RunState};
use crate::core::settings::Settings;
use crate::core::source::SourceRequest;

/// How a collection stands, for the status line.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Collecting,
    /// Intake waits (memory, the user, the network).
    Paused,
    Done,
    Cancelled,
    /// It could not go on; the sentence says why.
    Stopped(String),
}

impl Phase {
    /// What the collection's record keeps of it.
    pub fn run_state(&self) -> RunState {
        match self {
            Phase::Collecting | Phase::Paused => RunState::Collecting,
            Phase::Done => RunState::Done,
            Phase::Cancelled => RunState::Cancelled,
            Phase::Stopped(_) => RunState::Stopped,
        }
    }
}

/// What the performance panel shows of a running collection.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    /// Candidates waiting for a worker.
    pub queue_depth: u32,
    /// The size of the next chunk.
    pub chunk_size: u32,
    /// Items handed to workers and not yet settled, by host, most first.
    pub in_flight_by_host: Vec<(String, u32)>,
    /// Bytes of the originals collected so far.
    pub collected_bytes: u64,
    /// Whether intake is paused by the user.
    pub paused_by_user: bool,
    /// Thumbnails made so far by each decode path, most first.
    pub decoded_by: Vec<(DecodePath, u32)>,
}

/// Something happened that the driver hands to the collection.
#[derive(Clone, Debug, PartialEq)]
pub enum Input {
    /// The answer to the last [`Command::Fetch`]: status, `Retry-After`, body.
    SourceAnswer {
        status: u16,
        retry_after: Option<String>,
        body: String,
    },
    /// The last [`Command::Fetch`] got no answer; the sentence says why.
    SourceUnreachable(String),
    /// The time asked for by [`Command::WakeIn`] has come.
    Wake,
    /// Worker `worker` said something.
    Worker {
        worker: usize,
        msg: FromWorker,
    },
    /// Worker `worker` stopped; the pool started another in its place.
    Crashed {
        worker: usize,
        reason: String,
    },
    /// A second passed.
    Tick,
    Pressure(PressureLevel),
    /// The user paused (true) or resumed (false) intake.
    Pause(bool),
    /// The browser went offline (false) or back online (true).
    Online(bool),
    Cancel,
}

/// What the collection asks the driver to do, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Make this request to the source; its answer comes back as an input.
    Fetch(SourceRequest),
    /// Abort the source request under way.
    AbortFetch,
    /// Hand back [`Input::Wake`] after this many ms.
    WakeIn(u64),
    /// Send this to worker `worker`.
    Send { worker: usize, msg: ToWorker },
    /// Keep this record (the collected ones' records are kept by their
    /// workers, before the page hears of them).
    Keep(Box<ItemRecord>),
    /// The collection is worth keeping for good: ask the browser
    /// (`navigator.storage.persist()`), and tell the user [`persist_notice`].
    AskPersist,
    /// Show this to the user.
    Show(Change),
    /// It ended: write what is kept, and record how it ended.
    Ended(Phase),
}

/// What the user sees change.
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    /// A candidate settled (for good): how, what a collected image turned
    /// out to be, and the title the source gave it.
    Settled {
        id: u32,
        state: Settled,
        collected: Option<Collected>,
        title: String,
    },
    Counts(Counts),
    /// How many candidates the collection will have, as far as is known.
    Expected(u32),
    Phase(Phase),
    /// A sentence about the collection.
    Notice(String),
    /// A sentence worth an alert as well as a notice.
    Alert(String),
    Figures(Figures),
}

/// A collection this large is worth keeping: past it, the browser is asked
/// not to clear the site's storage when it runs short of space.
pub const PERSIST_AFTER: u32 = 200;

/// What the browser's answer to `navigator.storage.persist()` means for the user.
pub fn persist_notice(granted: bool) -> &'static str {
    if granted {
        "This collection passed 200 images: the browser agreed to keep the stored originals even when it runs short of space."
    } else {
        "This collection passed 200 images, but the browser did not agree to keep its storage for good: it may clear the stored originals when it runs short of space."
    }
}

/// The worker-side checks the settings ask for.
pub fn checks_of(s: &Settings) -> Checks {
    Checks {
        max_bytes: s.max_bytes_mb as u64 * 1024 * 1024,
        max_side: s.max_side_px,
        max_pixels: s.max_megapixels as u64 * 1_000_000,
        min_width: s.min_width,
        min_height: s.min_height,
        max_width: s.max_width,
        max_height: s.max_height,
        file_types: s.file_types.clone(),
        thumb_px: s.thumb_px,
        decoder: s.decoder,
    }
}
