//! A worker's work on a chunk: each item downloaded (within the per-host
//! and per-worker caps, retried as `core::retry` decides), checked,
//! thumbnailed, hashed, stored and reported.
//!
//! The original stays a JS buffer from `fetch` to the browser's SHA-256,
//! its decoder and Cache Storage; only its header (`core::image_check`'s
//! excerpt) enters wasm memory, unless a wasm decoder has to stand in. Its
//! record is written, in a group with the others waiting, before the page
//! hears of it.

use std::cell::RefCell;

use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use js_sys::Uint8Array;
use web_sys::AbortController;

use crate::core::decode::DecodePath;
use crate::core::hosts::{host_of, Admit};
use crate::core::image_check::{
    check, check_excerpt, Excerpt, Header, Refusal, Unsure, HEAD_BYTES, TAIL_BYTES,
};
use crate::core::ledger::Settled;
use crate::core::profile::Stage;
use crate::core::protocol::{Checks, Chunk, Collected, FromWorker, ItemReport, JobItem};
use crate::core::record::ItemRecord;
use crate::core::retry::{Decision, RetryPolicy};
use crate::web::decode::{self, NotMade};
use crate::web::download::{fetch_once, AttemptError};
use crate::web::originals::put_original;
use crate::web::store::{put_items, StoreError};
use crate::web::worker_state::{
    is_cancelled, pause_host, post, profile_item, records_db, timed, wasm_bytes, with_state,
    work_ended, work_started,
};
use crate::web::{now_ms, sha256};

/// Runs every item of `chunk`, at most `rules.in_flight` in hand at once,
/// then says the chunk is done.
pub async fn run_chunk(chunk: Chunk) {
    let started = now_ms();
    let limit = chunk.rules.in_flight.max(1) as usize;
    let items = chunk.items.len() as u32;
    // What is left of each collected item once its original is stored: its
    // record, then its report. It runs outside the `limit` items in hand (it
    // holds a thumbnail, not the original), so the next download starts.
    let tails = RefCell::new(Vec::new());
    futures::stream::iter(chunk.items.iter())
        .for_each_concurrent(limit, |item| run_item(&chunk, item, &tails))
        .await;
    futures::future::join_all(tails.into_inner()).await;
    post(
        &FromWorker::ChunkDone {
            collection: chunk.collection,
            chunk: chunk.chunk,
            items,
            elapsed_ms: now_ms() - started,
            wasm_bytes: wasm_bytes(),
        },
        None,
    );
}

async fn run_item(
    chunk: &Chunk,
    item: &JobItem,
    tails: &RefCell<Vec<futures::future::RemoteHandle<()>>>,
) {
    use futures::FutureExt;
    work_started();
    let ended = collect_one(chunk, item).await;
    let collection = chunk.collection;
    let item = item.clone();
    let (tail, handle) = async move {
        if let Some(c) = &ended.collected {
            let started = now_ms();
            keep_record(collection, &item, c).await;
            timed(Stage::StoreRecord, started);
        }
        work_ended();
        post(
            &FromWorker::Item(ItemReport {
                collection,
                id: item.id,
                attempts: ended.attempts,
                state: ended.state,
                collected: ended.collected,
                stand_ins: ended.stand_ins,
            }),
            ended.thumbnail,
        );
    }
    .remote_handle();
    wasm_bindgen_futures::spawn_local(tail);
    tails.borrow_mut().push(handle);
}

/// Keeps a collected item's record before the page hears of it, so a reload
/// or a closed tab never leaves a stored original without its record. (The
/// page writes it again only when it knows more: a duplicate by hash.)
///
/// Records are committed in groups: an item's record joins the records
/// waiting, one transaction writes all of them, and each item goes on when
/// the transaction that held its record is done. A transaction per record
/// queued behind the others (they all write one store) and took 240-270 ms
/// per item in `make bench`, holding a download slot all that time.
async fn keep_record(collection: u32, item: &JobItem, collected: &Collected) {
    let record = ItemRecord::new(
        collection,
        item.id,
        item.candidate.clone(),
        &Settled::Collected,
        Some(collected.clone()),
    );
    let (kept, wait) = futures::channel::oneshot::channel();
    let start_writing = RECORDS.with_borrow_mut(|r| {
        r.waiting.push((record, kept));
        !std::mem::replace(&mut r.writing, true)
    });
    if start_writing {
        wasm_bindgen_futures::spawn_local(write_records());
    }
    let _ = wait.await;
}

thread_local! {
    static RECORDS: RefCell<RecordQueue> = RefCell::new(RecordQueue::default());
}

/// Records waiting to be written, and whether a transaction is under way.
#[derive(Default)]
struct RecordQueue {
    waiting: Vec<(ItemRecord, futures::channel::oneshot::Sender<()>)>,
    writing: bool,
}

/// Writes the waiting records, a transaction at a time, until none wait.
async fn write_records() {
    let db = records_db().await;
    loop {
        let batch = RECORDS.with_borrow_mut(|r| {
            let batch = std::mem::take(&mut r.waiting);
            r.writing = !batch.is_empty();
            batch
        });
        if batch.is_empty() {
            return;
        }
        let (records, kept): (Vec<ItemRecord>, Vec<_>) = batch.into_iter().unzip();
        let result = match &db {
            Ok(db) => put_items(db, &records).await,
            Err(e) => Err(e.clone()),
        };
        if let Err(e) = result {
            web_sys::console::warn_1(&format!("records could not be saved: {e}").into());
        }
        for k in kept {
            let _ = k.send(());
        }
    }
}

/// Waits until a download from `host` may start (within this worker's share
/// of the per-host cap, and not while the host is paused), or the collection
/// is cancelled (false). On true the download counts until [`release`].
async fn acquire(host: &str, per_host: usize, collection: u32) -> bool {
    loop {
        if is_cancelled(collection) {
            return false;
        }
        let admit = with_state(|s| {
            s.gate.set_cap(per_host);
            s.gate.try_acquire(host, now_ms())
        });
        match admit {
            Admit::Go => return true,
            Admit::Full => TimeoutFuture::new(10).await,
            Admit::PausedUntil(until) => {
                let left = (until - now_ms()).clamp(1.0, 100.0);
                TimeoutFuture::new(left.ceil() as u32).await;
            }
        }
    }
}

fn release(host: &str) {
    with_state(|s| s.gate.release(host));
}

/// How one item ended in the worker.
struct Ended {
    /// Collected (with `collected`), Filtered, Failed or Cancelled.
    state: Settled,
    collected: Option<Collected>,
    attempts: u32,
    /// A collected image's thumbnail.
    thumbnail: Option<web_sys::ImageBitmap>,
    stand_ins: Vec<(DecodePath, String)>,
}

impl Ended {
    fn new(state: Settled, attempts: u32) -> Self {
        Ended {
            state,
            collected: None,
            attempts,
            thumbnail: None,
            stand_ins: Vec::new(),
        }
    }
}

/// Downloads, checks and thumbnails one item, retrying as the policy says.
async fn collect_one(chunk: &Chunk, item: &JobItem) -> Ended {
    let rules = &chunk.rules;
    let policy = RetryPolicy {
        base_ms: rules.retry_base_ms,
        cap_ms: rules.retry_cap_ms,
        max_retries: rules.retries,
    };
    let host = host_of(&item.url).unwrap_or_default();
    let mut attempts = 0;
    let per_host = match rules.per_host {
        0 => rules.in_flight,
        n => n,
    } as usize;
    loop {
        let waiting = now_ms();
        if !acquire(&host, per_host, chunk.collection).await {
            return Ended::new(Settled::Cancelled, attempts);
        }
        let downloading = timed(Stage::Wait, waiting);
        attempts += 1;
        let Ok(controller) = AbortController::new() else {
            release(&host);
            let reason = "the browser could not start a download".into();
            return Ended::new(Settled::Failed(reason), attempts);
        };
        with_state(|s| {
            s.in_flight
                .entry(chunk.collection)
                .or_default()
                .push(controller.clone())
        });
        let result = fetch_once(&item.url, rules, &chunk.checks, &controller, || {
            is_cancelled(chunk.collection)
        })
        .await;
        timed(Stage::Download, downloading);
        // The download is over: its slot goes to the next one, while this
        // item is checked and decoded.
        release(&host);
        with_state(|s| {
            if let Some(list) = s.in_flight.get_mut(&chunk.collection) {
                list.retain(|c| c != &controller);
            }
        });
        let failure = match result {
            Ok(original) => {
                // Test hook (debug builds only): a worker that panics mid-chunk.
                #[cfg(debug_assertions)]
                if item.url.contains("collector-test-panic") {
                    panic!("test hook: a worker panics mid-chunk");
                }
                return finish(original, chunk, attempts).await;
            }
            Err(AttemptError::Cancelled) => return Ended::new(Settled::Cancelled, attempts),
            Err(AttemptError::Refused(r)) => return Ended::new(refusal(r), attempts),
            Err(AttemptError::Failure(f)) => f,
        };
        if !online() {
            // The network is gone, not the host: this attempt does not
            // count, and the next waits until the browser is back online.
            attempts -= 1;
            while !online() && !is_cancelled(chunk.collection) {
                TimeoutFuture::new(250).await;
            }
            continue;
        }
        match policy.decide(&failure, attempts - 1, crate::web::jitter()) {
            Decision::GiveUp(reason) => return Ended::new(Settled::Failed(reason), attempts),
            Decision::RetryIn {
                ms,
                pause_host: pause,
            } => {
                if pause {
                    pause_host(&host, ms);
                    post(
                        &FromWorker::HostPaused {
                            host: host.clone(),
                            for_ms: ms,
                        },
                        None,
                    );
                }
                sleep_unless_cancelled(ms, chunk.collection).await;
            }
        }
    }
}

fn refusal(r: Refusal) -> Settled {
    match r {
        Refusal::Failed(s) => Settled::Failed(s),
        Refusal::Filtered(s) => Settled::Filtered(s),
    }
}

/// Checks an original kept in a JS buffer from its excerpt (its first and
/// last bytes: all that enters wasm memory), or, when the excerpt cannot
/// tell, from the whole file.
pub fn check_original(original: &Uint8Array, checks: &Checks) -> Result<Header, Refusal> {
    let len = original.length();
    let head = original.subarray(0, len.min(HEAD_BYTES as u32)).to_vec();
    let tail = if len as usize > HEAD_BYTES {
        original
            .subarray(len - len.min(TAIL_BYTES as u32), len)
            .to_vec()
    } else {
        Vec::new()
    };
    let excerpt = Excerpt {
        head: &head,
        tail: &tail,
        len: len as u64,
    };
    match check_excerpt(&excerpt, checks) {
        Ok(header) => Ok(header),
        Err(Unsure::Refused(r)) => Err(r),
        Err(Unsure::NeedsWhole) => check(&original.to_vec(), checks),
    }
}

/// Checks, thumbnails, hashes and stores a downloaded original.
async fn finish(original: Uint8Array, chunk: &Chunk, attempts: u32) -> Ended {
    let checking = now_ms();
    // The browser copies the bytes as the digest starts, so it runs while
    // the same buffer is decoded.
    let digest = sha256::start(&original);
    let header = match check_original(&original, &chunk.checks) {
        Ok(h) => h,
        Err(r) => return Ended::new(refusal(r), attempts),
    };
    let decoding = timed(Stage::Check, checking);
    let check_ms = decoding - checking;
    let made = decode::thumbnail(
        &original,
        &header,
        chunk.checks.thumb_px,
        chunk.checks.decoder,
        Some(chunk.collection),
    )
    .await;
    let hashing = timed(Stage::Decode, decoding);
    let made = match made {
        Ok(made) => made,
        Err(NotMade::Cancelled) => return Ended::new(Settled::Cancelled, attempts),
        Err(NotMade::Failed(reason, tried)) => {
            with_state(|s| s.profile.could_not(&tried));
            return Ended {
                stand_ins: tried,
                ..Ended::new(Settled::Failed(reason), attempts)
            };
        }
    };
    with_state(|s| s.profile.decoded(made.path, &made.fallbacks));
    let sha256 = match digest.hex().await {
        Ok(h) => h,
        Err(reason) => return Ended::new(Settled::Failed(reason), attempts),
    };
    let storing = timed(Stage::Hash, hashing);
    // The original is kept before the image counts as collected.
    let content_type = format!("image/{}", header.format.name());
    let put = put_original(&sha256, &original, &content_type).await;
    timed(Stage::StoreOriginal, storing);
    // What held the worker's thread: the check, the thumbnail's drawing (or
    // a wasm decoder standing in).
    profile_item(check_ms + made.sync_ms);
    let stored = match put {
        Ok(()) => true,
        Err(StoreError::Full) => {
            let reason = StoreError::Full.to_string();
            post(
                &FromWorker::StorageFull {
                    reason: reason.clone(),
                },
                None,
            );
            return Ended::new(Settled::Failed(reason), attempts);
        }
        Err(e) => {
            web_sys::console::warn_1(&e.to_string().into());
            false
        }
    };
    let collected = Collected {
        width: header.width,
        height: header.height,
        format: header.format.name().into(),
        bytes: original.length() as u64,
        sha256,
        thumb_width: made.width,
        thumb_height: made.height,
        stored,
        decoded_by: Some(made.path),
    };
    Ended {
        state: Settled::Collected,
        collected: Some(collected),
        attempts,
        thumbnail: Some(made.bitmap),
        stand_ins: made.fallbacks,
    }
}

/// Whether the browser says it is online (`navigator.onLine` of the worker).
fn online() -> bool {
    crate::web::worker_state::scope().navigator().on_line()
}

/// Sleeps `ms`, waking early (within 50 ms) when the collection is cancelled.
async fn sleep_unless_cancelled(ms: u64, collection: u32) {
    let end = now_ms() + ms as f64;
    while !is_cancelled(collection) {
        let left = end - now_ms();
        if left <= 0.0 {
            return;
        }
        TimeoutFuture::new(left.min(50.0).ceil() as u32).await;
    }
}
