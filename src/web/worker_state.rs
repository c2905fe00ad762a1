//! What a worker holds between messages, and how it talks to the page.
//!
//! The state (cancelled collections, requests in flight, the host gate, the
//! busy clock, the stage profile) is one thread-local `WorkerState`; the
//! chunk runner, the remakes and the archive jobs reach it through the
//! functions here, and post to the page with `post` and `post_blob`. While
//! a worker has work, it tells the page once a second how long it was busy
//! (`FromWorker::Busy`: time with at least one item or remake in hand).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{AbortController, DedicatedWorkerGlobalScope, IdbDatabase};

use crate::core::hosts::HostGate;
use crate::core::profile::{Stage, StageProfile};
use crate::core::protocol::{self, FromWorker};
use crate::web::decode;
use crate::web::store::{open_db, StoreError};

#[derive(Default)]
pub(crate) struct WorkerState {
    cancelled: HashSet<u32>,
    /// Abort controllers of the requests in flight, by collection.
    pub in_flight: HashMap<u32, Vec<AbortController>>,
    /// Downloads in flight per host, and hosts that asked us to slow down
    /// (times in performance.now ms).
    pub gate: HostGate,
    busy: BusyClock,
    /// Where this worker's time went, published for `make bench`.
    pub profile: StageProfile,
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
}

/// Runs `f` on the worker's state.
pub(crate) fn with_state<R>(f: impl FnOnce(&mut WorkerState) -> R) -> R {
    STATE.with_borrow_mut(f)
}

/// Adds the time since `since` (performance.now ms) to a stage; returns now.
pub(crate) fn timed(stage: Stage, since: f64) -> f64 {
    let now = super::now_ms();
    STATE.with_borrow_mut(|s| s.profile.add(stage, now - since));
    now
}

/// Counts a collected item and publishes the profile as
/// `globalThis.__collectorProfile` (read by `make bench` from the worker).
pub(crate) fn profile_item(sync_ms: f64) {
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

pub(crate) fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
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

/// Posts a message to the page, with a thumbnail beside it (transferred).
pub(crate) fn post(msg: &FromWorker, thumbnail: Option<web_sys::ImageBitmap>) {
    let envelope = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&envelope, &"msg".into(), &protocol::encode(msg).into());
    let result = match thumbnail {
        Some(bitmap) => {
            let _ = js_sys::Reflect::set(&envelope, &"thumbnail".into(), &bitmap);
            scope().post_message_with_transfer(&envelope, &js_sys::Array::of1(&bitmap))
        }
        None => scope().post_message(&envelope),
    };
    if let Err(e) = result {
        web_sys::console::error_2(&"a worker message could not be posted".into(), &e);
    }
}

/// Cancel: aborts the collection's downloads and closes its decoders now.
pub(crate) fn cancel(collection: u32) {
    let controllers = STATE.with_borrow_mut(|s| {
        s.cancelled.insert(collection);
        s.in_flight.remove(&collection).unwrap_or_default()
    });
    for c in controllers {
        c.abort();
    }
    decode::close_all(collection);
}

/// Holds every download from `host` for `for_ms` (a later pause extends it).
pub(crate) fn pause_host(host: &str, for_ms: u64) {
    let until = super::now_ms() + for_ms as f64;
    STATE.with_borrow_mut(|s| s.gate.pause(host, until));
}

pub(crate) fn is_cancelled(collection: u32) -> bool {
    STATE.with_borrow(|s| s.cancelled.contains(&collection))
}

/// An item or remake is taken in hand: the busy clock runs.
pub(crate) fn work_started() {
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

pub(crate) fn work_ended() {
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

/// The records database, opened once per worker.
pub(crate) async fn records_db() -> Result<IdbDatabase, StoreError> {
    if let Some(db) = DB.with_borrow(Clone::clone) {
        return Ok(db);
    }
    let db = open_db().await?;
    DB.set(Some(db.clone()));
    Ok(db)
}

/// This worker's wasm memory size, in bytes.
pub(crate) fn wasm_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
        .unwrap_or(0)
}
