//! The page's decoded thumbnails: a byte-bounded LRU of `ImageBitmap`s, and
//! the queue of thumbnails to make again from stored originals.
//!
//! A worker transfers a thumbnail as an `ImageBitmap` (outside wasm memory;
//! the page neither copies its pixels nor decodes anything), kept in a
//! [`ByteLru`] weighed at w×h×4 bytes. An evicted bitmap is closed at once. A tile that finds no bitmap asks for its
//! thumbnail to be made again by a worker from the stored original:
//! visible tiles at `Critical` priority, rows just past the viewport at `Low`.

use std::cell::RefCell;
use std::collections::HashSet;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageBitmap};

use crate::core::cache::{ByteLru, CacheStats};
use crate::core::priority::{JobQueue, Priority};
use crate::core::protocol::{full_key, ToWorker};
use crate::web::worker_bridge::WorkerPool;

/// Remakes in flight per worker: enough to keep it busy, few enough that a
/// newly visible tile does not wait long.
const REMAKES_PER_WORKER: usize = 2;

struct Remake {
    key: u64,
    sha256: String,
    /// The long side to make it at: the thumbnail size, or the detail
    /// view's full size.
    px: Option<u32>,
}

/// Whether `key` is a full image's (the detail view's), not a thumbnail's.
fn is_full(key: u64) -> bool {
    full_key(key) == key
}

struct Thumbs {
    cache: ByteLru<u64, ImageBitmap>,
    queue: JobQueue<Remake>,
    /// Ids queued or being made, so a tile asks once.
    asked: HashSet<u64>,
    in_flight: usize,
    next_worker: usize,
    pool: Option<WorkerPool>,
    thumb_px: u32,
    /// The current batch of remakes (since the queue was last empty), for
    /// the performance panel's progress: how many were made, of how many.
    batch: RemakeBatch,
}

/// A batch of thumbnails being made again.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RemakeBatch {
    pub done: u64,
    pub total: u64,
    /// When the batch began (performance.now ms).
    pub started_ms: f64,
}

thread_local! {
    static THUMBS: RefCell<Thumbs> = RefCell::new(Thumbs {
        cache: ByteLru::default(),
        queue: JobQueue::new(),
        asked: HashSet::new(),
        in_flight: 0,
        next_worker: 0,
        pool: None,
        thumb_px: 256,
        batch: RemakeBatch { done: 0, total: 0, started_ms: 0.0 },
    });
    /// Bumped whenever a bitmap arrives, so waiting tiles look again.
    /// Reference-counted, not owned by whichever component touched it first
    /// (an owned signal would die with that component).
    static EPOCH: ArcRwSignal<u64> = ArcRwSignal::new(0);
}

/// A signal that changes whenever new thumbnails are ready.
pub fn epoch() -> ArcRwSignal<u64> {
    EPOCH.with(Clone::clone)
}

/// The pool that makes thumbnails again, and their size.
pub fn configure(pool: WorkerPool, thumb_px: u32) {
    THUMBS.with_borrow_mut(|t| {
        t.pool = Some(pool);
        t.thumb_px = thumb_px;
    });
}

/// Caches a thumbnail a worker made.
pub fn put(key: u64, bitmap: ImageBitmap) {
    let (width, height) = (bitmap.width(), bitmap.height());
    if width == 0 || height == 0 {
        bitmap.close();
        return;
    }
    let evicted = THUMBS.with_borrow_mut(|t| {
        t.cache
            .insert(key, bitmap, width as u64 * height as u64 * 4)
    });
    for (_, old) in evicted {
        old.close();
    }
    epoch().update(|e| *e += 1);
}

/// Draws tile `key` into `canvas` if its bitmap is cached; false if not.
pub fn draw(key: u64, canvas: &HtmlCanvasElement) -> bool {
    THUMBS.with_borrow_mut(|t| {
        let Some(bitmap) = t.cache.get(&key) else {
            return false;
        };
        canvas.set_width(bitmap.width());
        canvas.set_height(bitmap.height());
        let Ok(Some(ctx)) = canvas.get_context("2d") else {
            return false;
        };
        let Ok(ctx) = ctx.dyn_into::<CanvasRenderingContext2d>() else {
            return false;
        };
        ctx.draw_image_with_image_bitmap(bitmap, 0.0, 0.0).is_ok()
    })
}

/// Asks for a thumbnail to be made again from its stored original.
pub fn request(key: u64, sha256: &str, priority: Priority) {
    ask(key, sha256, priority, None);
}

/// Asks for tile `key`'s full image (long side `px`) for the detail view;
/// it is cached under [`full_key`].
pub fn request_full(key: u64, sha256: &str, px: u32) {
    ask(full_key(key), sha256, Priority::High, Some(px));
}

/// Drops tile `key`'s full image from the queue if it is not made yet.
pub fn forget_full(key: u64) {
    let key = full_key(key);
    THUMBS.with_borrow_mut(|t| {
        let before = t.queue.len();
        t.queue.retain(|job| job.key != key);
        if t.queue.len() < before {
            t.asked.remove(&key);
        }
    });
}

fn ask(key: u64, sha256: &str, priority: Priority, px: Option<u32>) {
    THUMBS.with_borrow_mut(|t| {
        if t.cache.contains(&key) || !t.asked.insert(key) {
            return;
        }
        if px.is_some() {
            t.queue.push(
                priority,
                Remake {
                    key,
                    sha256: sha256.to_string(),
                    px,
                },
            );
            return;
        }
        if t.batch.done >= t.batch.total {
            t.batch = RemakeBatch {
                done: 0,
                total: 0,
                started_ms: crate::web::now_ms(),
            };
        }
        t.batch.total += 1;
        t.queue.push(
            priority,
            Remake {
                key,
                sha256: sha256.to_string(),
                px,
            },
        );
    });
    dispatch();
}

/// Drops queued thumbnail remakes of tiles no longer wanted (scrolled
/// away). A full image is the detail view's to drop ([`forget_full`]).
pub fn keep_only(wanted: impl Fn(u64) -> bool) {
    THUMBS.with_borrow_mut(|t| {
        let mut dropped = Vec::new();
        t.queue.retain(|job| {
            let keep = is_full(job.key) || wanted(job.key);
            if !keep {
                dropped.push(job.key);
            }
            keep
        });
        t.batch.total -= dropped.len() as u64;
        for key in dropped {
            t.asked.remove(&key);
        }
    });
}

/// Drops every queued remake (the panel's Cancel); those being made finish.
pub fn cancel_remakes() {
    keep_only(|_| false);
}

/// The batch of remakes under way, if one is.
pub fn remake_batch() -> Option<RemakeBatch> {
    THUMBS.with_borrow(|t| (t.batch.done < t.batch.total).then_some(t.batch))
}

/// A remade thumbnail arrived (or could not be made).
pub fn remade(key: u64, result: Result<(u32, u32), String>, thumbnail: Option<ImageBitmap>) {
    THUMBS.with_borrow_mut(|t| {
        t.in_flight = t.in_flight.saturating_sub(1);
        t.asked.remove(&key);
        if !is_full(key) {
            t.batch.done = (t.batch.done + 1).min(t.batch.total);
        }
    });
    match (result, thumbnail) {
        (Ok(_), Some(bitmap)) => put(key, bitmap),
        (Err(reason), _) => web_sys::console::warn_1(
            &format!("thumbnail {key} could not be made again: {reason}").into(),
        ),
        _ => {}
    }
    dispatch();
}

fn dispatch() {
    loop {
        let next = THUMBS.with_borrow_mut(|t| {
            let pool = t.pool.clone()?;
            let workers = pool.len().max(1);
            if t.in_flight >= workers * REMAKES_PER_WORKER {
                return None;
            }
            let (_, job) = t.queue.pop()?;
            t.in_flight += 1;
            t.next_worker = (t.next_worker + 1) % workers;
            let px = job.px.unwrap_or(t.thumb_px);
            Some((pool, t.next_worker, job, px))
        });
        let Some((pool, worker, job, thumb_px)) = next else {
            return;
        };
        if pool.is_empty() && pool.ensure(1).is_err() {
            return;
        }
        pool.send(
            worker,
            &ToWorker::Remake {
                key: job.key,
                sha256: job.sha256,
                thumb_px,
            },
        );
    }
}

/// Sets the cache budget (a pressure level or the user changed it); what no
/// longer fits is closed at once.
pub fn set_budget(bytes: u64) {
    let evicted = THUMBS.with_borrow_mut(|t| t.cache.set_budget(bytes));
    for (_, bitmap) in evicted {
        bitmap.close();
    }
}

/// Empties the cache and the queue (Clear, or a new collection).
pub fn clear() {
    let evicted = THUMBS.with_borrow_mut(|t| {
        t.queue.clear();
        t.asked.clear();
        t.batch = RemakeBatch::default();
        t.cache.clear()
    });
    for (_, bitmap) in evicted {
        bitmap.close();
    }
}

/// The cache's figures for the status line and the metrics.
pub fn stats() -> CacheStats {
    THUMBS.with_borrow(|t| t.cache.stats())
}
