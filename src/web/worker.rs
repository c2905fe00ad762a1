//! The worker's side: its entry point and the job runner.
//!
//! A worker says `Ready` once its wasm runs, then takes chunks. Each chunk's
//! items are downloaded with at most `rules.in_flight` at once, retried as
//! `core::retry` decides, checked and thumbnailed by `core`, and reported one
//! by one; the thumbnail's pixels are transferred, not copied. Cancel aborts
//! every request of its collection at once and starts nothing more of it.
//! While it has work, it tells the page once a second how long it was busy
//! (`FromWorker::Busy`: time with at least one item or remake in hand).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, DedicatedWorkerGlobalScope, IdbDatabase, MessageEvent};

use crate::core::hosts::{host_of, Admit, HostGate};
use crate::core::image_check::{check, Format, Header, Refusal};
use crate::core::ledger::Settled;
use crate::core::profile::{Stage, StageProfile};
use crate::core::protocol::{
    self, Checks, Chunk, Collected, FromWorker, ItemReport, JobItem, Outcome, ToWorker,
};
use crate::core::record::ItemRecord;
use crate::core::retry::{Decision, RetryPolicy};
use crate::core::thumbnail::{make_jpeg_thumbnail_scaled, make_thumbnail};
use crate::web::archive;
use crate::web::browser_decode;
use crate::web::download::{fetch_once, AttemptError};
use crate::web::store::{get_original, open_db, put_items, put_original, StoreError};

#[derive(Default)]
struct WorkerState {
    cancelled: HashSet<u32>,
    /// Abort controllers of the requests in flight, by collection.
    in_flight: HashMap<u32, Vec<AbortController>>,
    /// Downloads in flight per host, and hosts that asked us to slow down
    /// (times in performance.now ms).
    gate: HostGate,
    busy: BusyClock,
    /// Where this worker's time went, published for `make bench`.
    profile: StageProfile,
}

/// Measures the time with at least one item or remake in hand.
#[derive(Default)]
struct BusyClock {
    /// Items and remakes in hand now.
    active: u32,
    /// When `active` last rose from 0 (or the last tick, if busy across it).
    since: f64,
    /// Busy ms since the last tick, of spans already ended.
    done_ms: f64,
    /// Whether the once-a-second report is running.
    ticking: bool,
}

thread_local! {
    static STATE: RefCell<WorkerState> = RefCell::new(WorkerState::default());
    /// The records database, opened on the first collected item.
    static DB: RefCell<Option<IdbDatabase>> = const { RefCell::new(None) };
    static RECORDS: RefCell<RecordQueue> = RefCell::new(RecordQueue::default());
}

/// Adds the time since `since` (performance.now ms) to a stage; returns now.
fn timed(stage: Stage, since: f64) -> f64 {
    let now = super::now_ms();
    STATE.with_borrow_mut(|s| s.profile.add(stage, now - since));
    now
}

/// Counts a collected item and publishes the profile as
/// `globalThis.__collectorProfile` (read by `make bench` from the worker).
fn profile_item(sync_ms: f64) {
    let summary = STATE.with_borrow_mut(|s| {
        s.profile.item_done(sync_ms);
        s.profile.summary()
    });
    if let Ok(value) = to_js(&summary) {
        let _ = js_sys::Reflect::set(&js_sys::global(), &"__collectorProfile".into(), &value);
    }
}

/// A serializable value as a JS value (through JSON: small and rare).
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| JsValue::from_str(&e.to_string()))?;
    js_sys::JSON::parse(&text)
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

/// Starts the worker: listens for messages, then says it is ready.
pub fn start() {
    std::panic::set_hook(Box::new(console_error_panic_hook::hook));
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(|event: MessageEvent| {
        // A message is JSON text, or {msg, file} when a file comes with it.
        let data = event.data();
        let (text, file) = match data.as_string() {
            Some(text) => (text, None),
            None => (
                js_sys::Reflect::get(&data, &"msg".into())
                    .ok()
                    .and_then(|m| m.as_string())
                    .unwrap_or_default(),
                js_sys::Reflect::get(&data, &"file".into())
                    .ok()
                    .and_then(archive::as_blob),
            ),
        };
        match protocol::decode::<ToWorker>(&text) {
            Ok(ToWorker::Chunk(chunk)) => wasm_bindgen_futures::spawn_local(run_chunk(chunk)),
            Ok(ToWorker::Cancel { collection }) => cancel(collection),
            Ok(ToWorker::PauseHost { host, for_ms }) => pause_host(&host, for_ms),
            Ok(ToWorker::Remake {
                key,
                sha256,
                thumb_px,
            }) => wasm_bindgen_futures::spawn_local(remake(key, sha256, thumb_px)),
            Ok(ToWorker::Export { job, images, texts }) => {
                wasm_bindgen_futures::spawn_local(archive::export(job, images, texts))
            }
            Ok(ToWorker::Import {
                job,
                collection,
                thumb_px,
            }) => match file {
                Some(file) => wasm_bindgen_futures::spawn_local(archive::import(
                    job, collection, thumb_px, file,
                )),
                None => post(
                    &FromWorker::JobEnded {
                        job,
                        result: Err("no file came with it".into()),
                    },
                    None,
                ),
            },
            Ok(ToWorker::CancelJob { job }) => archive::cancel(job),
            Err(e) => web_sys::console::error_1(&e.into()),
        }
    });
    scope().set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&FromWorker::Ready, None);
}

/// Posts a message to the page with a blob beside it (a handle).
pub(crate) fn post_blob(msg: &FromWorker, blob: &web_sys::Blob) {
    let envelope = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&envelope, &"msg".into(), &protocol::encode(msg).into());
    let _ = js_sys::Reflect::set(&envelope, &"blob".into(), blob);
    if let Err(e) = scope().post_message(&envelope) {
        web_sys::console::error_2(&"a worker message could not be posted".into(), &e);
    }
}

/// Posts a message to the page, with a buffer beside it (transferred).
pub(crate) fn post(msg: &FromWorker, pixels: Option<js_sys::ArrayBuffer>) {
    let envelope = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&envelope, &"msg".into(), &protocol::encode(msg).into());
    let result = match pixels {
        Some(buffer) => {
            let _ = js_sys::Reflect::set(&envelope, &"pixels".into(), &buffer);
            scope().post_message_with_transfer(&envelope, &js_sys::Array::of1(&buffer))
        }
        None => scope().post_message(&envelope),
    };
    if let Err(e) = result {
        web_sys::console::error_2(&"a worker message could not be posted".into(), &e);
    }
}

fn cancel(collection: u32) {
    let controllers = STATE.with_borrow_mut(|s| {
        s.cancelled.insert(collection);
        s.in_flight.remove(&collection).unwrap_or_default()
    });
    for c in controllers {
        c.abort();
    }
}

/// Holds every download from `host` for `for_ms` (a later pause extends it).
fn pause_host(host: &str, for_ms: u64) {
    let until = super::now_ms() + for_ms as f64;
    STATE.with_borrow_mut(|s| s.gate.pause(host, until));
}

/// Waits until a download from `host` may start (within this worker's share
/// of the per-host cap, and not while the host is paused), or the collection
/// is cancelled (false). On true the download counts until [`release`].
async fn acquire(host: &str, per_host: usize, collection: u32) -> bool {
    loop {
        if is_cancelled(collection) {
            return false;
        }
        let admit = STATE.with_borrow_mut(|s| {
            s.gate.set_cap(per_host);
            s.gate.try_acquire(host, super::now_ms())
        });
        match admit {
            Admit::Go => return true,
            Admit::Full => TimeoutFuture::new(10).await,
            Admit::PausedUntil(until) => {
                let left = (until - super::now_ms()).clamp(1.0, 100.0);
                TimeoutFuture::new(left.ceil() as u32).await;
            }
        }
    }
}

fn release(host: &str) {
    STATE.with_borrow_mut(|s| s.gate.release(host));
}

fn is_cancelled(collection: u32) -> bool {
    STATE.with_borrow(|s| s.cancelled.contains(&collection))
}

async fn run_chunk(chunk: Chunk) {
    let started = super::now_ms();
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
            elapsed_ms: super::now_ms() - started,
            wasm_bytes: wasm_bytes(),
        },
        None,
    );
}

/// An item or remake is taken in hand: the busy clock runs.
fn work_started() {
    let start_ticking = STATE.with_borrow_mut(|s| {
        let b = &mut s.busy;
        if b.active == 0 {
            b.since = super::now_ms();
        }
        b.active += 1;
        !std::mem::replace(&mut b.ticking, true)
    });
    if start_ticking {
        wasm_bindgen_futures::spawn_local(report_busy());
    }
}

fn work_ended() {
    STATE.with_borrow_mut(|s| {
        let b = &mut s.busy;
        b.active = b.active.saturating_sub(1);
        if b.active == 0 {
            b.done_ms += super::now_ms() - b.since;
        }
    });
}

/// Posts `Busy` once a second until a second passes with no work. A tick
/// delayed by a long synchronous decode is scaled back to one second.
async fn report_busy() {
    let mut last = super::now_ms();
    loop {
        TimeoutFuture::new(1_000).await;
        let now = super::now_ms();
        let (busy, idle) = STATE.with_borrow_mut(|s| {
            let b = &mut s.busy;
            let mut busy = std::mem::take(&mut b.done_ms);
            if b.active > 0 {
                busy += now - b.since;
                b.since = now;
            }
            let idle = b.active == 0 && busy <= 0.0;
            if idle {
                b.ticking = false;
            }
            (busy, idle)
        });
        let elapsed = (now - last).max(1.0);
        last = now;
        let busy_ms = (busy * 1000.0 / elapsed).clamp(0.0, 1000.0);
        post(
            &FromWorker::Busy {
                busy_ms,
                wasm_bytes: wasm_bytes(),
            },
            None,
        );
        if idle {
            return;
        }
    }
}

async fn run_item(
    chunk: &Chunk,
    item: &JobItem,
    tails: &RefCell<Vec<futures::future::RemoteHandle<()>>>,
) {
    use futures::FutureExt;
    work_started();
    let (outcome, attempts, pixels) = collect_one(chunk, item).await;
    let collection = chunk.collection;
    let item = item.clone();
    let (tail, handle) = async move {
        if let Outcome::Collected(c) = &outcome {
            let started = super::now_ms();
            keep_record(collection, &item, c).await;
            timed(Stage::StoreRecord, started);
        }
        work_ended();
        post(
            &FromWorker::Item(ItemReport {
                collection,
                id: item.id,
                attempts,
                outcome,
            }),
            pixels,
        );
    }
    .remote_handle();
    wasm_bindgen_futures::spawn_local(tail);
    tails.borrow_mut().push(handle);
}

/// Keeps a collected item's record before the page hears of it, so a reload
/// or a closed tab never leaves a stored original without its record. (The
/// page writes the record too, later, with what only it knows: a duplicate.)
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

/// The records database, opened once per worker.
pub(crate) async fn records_db() -> Result<IdbDatabase, StoreError> {
    if let Some(db) = DB.with_borrow(Clone::clone) {
        return Ok(db);
    }
    let db = open_db().await?;
    DB.set(Some(db.clone()));
    Ok(db)
}

/// Downloads, checks and thumbnails one item, retrying as the policy says.
async fn collect_one(chunk: &Chunk, item: &JobItem) -> (Outcome, u32, Option<js_sys::ArrayBuffer>) {
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
        let waiting = super::now_ms();
        if !acquire(&host, per_host, chunk.collection).await {
            return (Outcome::Cancelled, attempts, None);
        }
        let downloading = timed(Stage::Wait, waiting);
        attempts += 1;
        let controller = match AbortController::new() {
            Ok(c) => c,
            Err(_) => {
                release(&host);
                return (
                    Outcome::Failed("the browser could not start a download".into()),
                    attempts,
                    None,
                );
            }
        };
        STATE.with_borrow_mut(|s| {
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
        STATE.with_borrow_mut(|s| {
            if let Some(list) = s.in_flight.get_mut(&chunk.collection) {
                list.retain(|c| c != &controller);
            }
        });
        let failure = match result {
            Ok(bytes) => {
                // Test hook (debug builds only): a worker that panics mid-chunk.
                #[cfg(debug_assertions)]
                if item.url.contains("collector-test-panic") {
                    panic!("test hook: a worker panics mid-chunk");
                }
                return finish(bytes, chunk, attempts).await;
            }
            Err(AttemptError::Cancelled) => return (Outcome::Cancelled, attempts, None),
            Err(AttemptError::Refused(r)) => return (refusal(r), attempts, None),
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
        match policy.decide(&failure, attempts - 1, super::jitter()) {
            Decision::GiveUp(reason) => return (Outcome::Failed(reason), attempts, None),
            Decision::RetryIn { ms, pause_host } => {
                if pause_host {
                    self::pause_host(&host, ms);
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

fn refusal(r: Refusal) -> Outcome {
    match r {
        Refusal::Failed(s) => Outcome::Failed(s),
        Refusal::Filtered(s) => Outcome::Filtered(s),
    }
}

async fn finish(
    bytes: Vec<u8>,
    chunk: &Chunk,
    attempts: u32,
) -> (Outcome, u32, Option<js_sys::ArrayBuffer>) {
    let checking = super::now_ms();
    let header = match check(&bytes, &chunk.checks) {
        Ok(h) => h,
        Err(r) => return (refusal(r), attempts, None),
    };
    let decoding = timed(Stage::Check, checking);
    let (thumb_width, thumb_height, pixels) =
        match thumbnail(&bytes, &header, chunk.checks.thumb_px, &chunk.checks).await {
            Ok(t) => t,
            Err(reason) => return (Outcome::Failed(reason), attempts, None),
        };
    let hashing = timed(Stage::Decode, decoding);
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<String>();
    let storing = timed(Stage::Hash, hashing);
    // Check, decode and hash ran on this thread without a break (with the
    // wasm decoders): no message, a Cancel included, was heard meanwhile.
    let sync_ms = storing - checking;
    // The original is kept before the image counts as collected.
    let put = put_original(&sha256, &bytes, &format!("image/{}", header.format.name())).await;
    timed(Stage::StoreOriginal, storing);
    profile_item(sync_ms);
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
            return (Outcome::Failed(reason), attempts, None);
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
        bytes: bytes.len() as u64,
        sha256,
        thumb_width,
        thumb_height,
        stored,
    };
    (Outcome::Collected(collected), attempts, Some(pixels))
}

/// Makes the thumbnail: by the browser when asked (falling back to the `image`
/// crate for what it cannot decode), else by the `image` crate. The pixels
/// come back in a JS buffer, ready to transfer.
async fn thumbnail(
    bytes: &[u8],
    header: &Header,
    thumb_px: u32,
    checks: &Checks,
) -> Result<(u32, u32, js_sys::ArrayBuffer), String> {
    if checks.scaled_jpeg && header.format == Format::Jpeg {
        if let Ok(thumb) = make_jpeg_thumbnail_scaled(bytes, header, thumb_px) {
            return Ok((
                thumb.width,
                thumb.height,
                js_sys::Uint8Array::from(thumb.rgba.as_slice()).buffer(),
            ));
        }
    }
    if checks.browser_decoder {
        if let Ok(t) = browser_decode::thumbnail(bytes, header, thumb_px).await {
            return Ok((t.width, t.height, t.pixels));
        }
    }
    let thumb = make_thumbnail(bytes, header, thumb_px)?;
    // One copy out of wasm memory into a buffer the page then owns (transferred).
    Ok((
        thumb.width,
        thumb.height,
        js_sys::Uint8Array::from(thumb.rgba.as_slice()).buffer(),
    ))
}

/// Makes a thumbnail again from a stored original.
async fn remake(key: u64, sha256: String, thumb_px: u32) {
    work_started();
    let made = async {
        let bytes = get_original(&sha256)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| "its original is no longer in browser storage".to_string())?;
        let checks = Checks {
            max_bytes: u64::MAX,
            max_side: u32::MAX,
            max_pixels: u64::MAX,
            ..Checks::default()
        };
        let header = check(&bytes, &checks).map_err(|r| r.to_string())?;
        // The default decoder (the fastest measured), whatever the setting.
        thumbnail(&bytes, &header, thumb_px, &checks).await
    }
    .await;
    work_ended();
    match made {
        Ok((width, height, pixels)) => {
            let msg = FromWorker::Remade {
                key,
                result: Ok((width, height)),
                wasm_bytes: wasm_bytes(),
            };
            post(&msg, Some(pixels));
        }
        Err(reason) => post(
            &FromWorker::Remade {
                key,
                result: Err(reason),
                wasm_bytes: wasm_bytes(),
            },
            None,
        ),
    }
}

/// This worker's wasm memory size, in bytes.
fn wasm_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
        .unwrap_or(0)
}

/// Whether the browser says it is online (`navigator.onLine` of the worker).
fn online() -> bool {
    scope().navigator().on_line()
}

/// Sleeps `ms`, waking early (within 50 ms) when the collection is cancelled.
async fn sleep_unless_cancelled(ms: u64, collection: u32) {
    let end = super::now_ms() + ms as f64;
    while !is_cancelled(collection) {
        let left = end - super::now_ms();
        if left <= 0.0 {
            return;
        }
        TimeoutFuture::new(left.min(50.0).ceil() as u32).await;
    }
}
