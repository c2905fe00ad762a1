//! The page's decoded thumbnails: a byte-bounded LRU of `ImageBitmap`s, and
//! the queue of thumbnails to make again from stored originals.
//!
//! A worker transfers a thumbnail as an `ImageBitmap` (outside wasm memory;
//! the page neither copies its pixels nor decodes anything), kept in a
//! [`ByteLru`] weighed at w×h×4 bytes. An evicted bitmap is closed at once.
//! A tile that finds no bitmap asks for its thumbnail to be made again by a
//! worker from the stored original: visible tiles at `Critical` priority,
//! rows just past the viewport at `Low`. The page holds one [`Thumbs`] and
//! hands it out (`ui::state`).

use std::cell::RefCell;
use std::collections::HashSet;
use std::rc::Rc;

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

struct Inner {
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

/// The thumbnail cache and its remake queue. Clones share them.
#[derive(Clone)]
pub struct Thumbs {
    inner: Rc<RefCell<Inner>>,
    /// Bumped whenever a bitmap arrives, so waiting tiles look again.
    epoch: ArcRwSignal<u64>,
}

impl Thumbs {
    /// A cache whose remakes go to `pool`'s workers, at `thumb_px`.
    pub fn new(pool: WorkerPool, thumb_px: u32) -> Thumbs {
        Thumbs {
            inner: Rc::new(RefCell::new(Inner {
                cache: ByteLru::default(),
                queue: JobQueue::new(),
                asked: HashSet::new(),
                in_flight: 0,
                next_worker: 0,
                pool: Some(pool),
                thumb_px,
                batch: RemakeBatch::default(),
            })),
            epoch: ArcRwSignal::new(0),
        }
    }

    /// A signal that changes whenever new thumbnails are ready.
    pub fn epoch(&self) -> ArcRwSignal<u64> {
        self.epoch.clone()
    }

    /// Caches a thumbnail a worker made.
    pub fn put(&self, key: u64, bitmap: ImageBitmap) {
        let (width, height) = (bitmap.width(), bitmap.height());
        if width == 0 || height == 0 {
            bitmap.close();
            return;
        }
        let evicted =
            self.inner
                .borrow_mut()
                .cache
                .insert(key, bitmap, width as u64 * height as u64 * 4);
        for (_, old) in evicted {
            old.close();
        }
        self.epoch.update(|e| *e += 1);
    }

    /// Draws tile `key` into `canvas` if its bitmap is cached; false if not.
    pub fn draw(&self, key: u64, canvas: &HtmlCanvasElement) -> bool {
        let mut inner = self.inner.borrow_mut();
        let Some(bitmap) = inner.cache.get(&key) else {
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
    }

    /// Asks for a thumbnail to be made again from its stored original.
    pub fn request(&self, key: u64, sha256: &str, priority: Priority) {
        self.ask(key, sha256, priority, None);
    }

    /// Asks for tile `key`'s full image (long side `px`) for the detail view;
    /// it is cached under [`full_key`].
    pub fn request_full(&self, key: u64, sha256: &str, px: u32) {
        self.ask(full_key(key), sha256, Priority::High, Some(px));
    }

    /// Drops tile `key`'s full image from the queue if it is not made yet.
    pub fn forget_full(&self, key: u64) {
        let key = full_key(key);
        let mut t = self.inner.borrow_mut();
        let before = t.queue.len();
        t.queue.retain(|job| job.key != key);
        if t.queue.len() < before {
            t.asked.remove(&key);
        }
    }

    fn ask(&self, key: u64, sha256: &str, priority: Priority, px: Option<u32>) {
        {
            let mut t = self.inner.borrow_mut();
            if t.cache.contains(&key) || !t.asked.insert(key) {
                return;
            }
            if px.is_none() {
                if t.batch.done >= t.batch.total {
                    t.batch = RemakeBatch {
                        done: 0,
                        total: 0,
                        started_ms: crate::web::now_ms(),
                    };
                }
                t.batch.total += 1;
            }
            let sha256 = sha256.to_string();
            t.queue.push(priority, Remake { key, sha256, px });
        }
        self.dispatch();
    }

    /// Drops queued thumbnail remakes of tiles no longer wanted (scrolled
    /// away). A full image is the detail view's to drop ([`forget_full`](Self::forget_full)).
    pub fn keep_only(&self, wanted: impl Fn(u64) -> bool) {
        let mut t = self.inner.borrow_mut();
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
    }

    /// Drops every queued remake (the panel's Cancel); those being made finish.
    pub fn cancel_remakes(&self) {
        self.keep_only(|_| false);
    }

    /// The batch of remakes under way, if one is.
    pub fn remake_batch(&self) -> Option<RemakeBatch> {
        let t = self.inner.borrow();
        (t.batch.done < t.batch.total).then_some(t.batch)
    }

    /// A remade thumbnail arrived (or could not be made).
    pub fn remade(&self, key: u64, result: Result<(), String>, thumbnail: Option<ImageBitmap>) {
        {
            let mut t = self.inner.borrow_mut();
            t.in_flight = t.in_flight.saturating_sub(1);
            t.asked.remove(&key);
            if !is_full(key) {
                t.batch.done = (t.batch.done + 1).min(t.batch.total);
            }
        }
        match (result, thumbnail) {
            (Ok(()), Some(bitmap)) => self.put(key, bitmap),
            (Err(reason), _) => web_sys::console::warn_1(
                &format!("thumbnail {key} could not be made again: {reason}").into(),
            ),
            _ => {}
        }
        self.dispatch();
    }

    fn dispatch(&self) {
        loop {
            let next = {
                let mut t = self.inner.borrow_mut();
                let Some(pool) = t.pool.clone() else { return };
                let workers = pool.len().max(1);
                if t.in_flight >= workers * REMAKES_PER_WORKER {
                    return;
                }
                let Some((_, job)) = t.queue.pop() else {
                    return;
                };
                t.in_flight += 1;
                t.next_worker = (t.next_worker + 1) % workers;
                let px = job.px.unwrap_or(t.thumb_px);
                (pool, t.next_worker, job, px)
            };
            let (pool, worker, job, thumb_px) = next;
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

    /// Sets the cache budget (a pressure level or the user changed it); what
    /// no longer fits is closed at once.
    pub fn set_budget(&self, bytes: u64) {
        let evicted = self.inner.borrow_mut().cache.set_budget(bytes);
        for (_, bitmap) in evicted {
            bitmap.close();
        }
    }

    /// Empties the cache and the queue (Clear, or a new collection).
    pub fn clear(&self) {
        let evicted = {
            let mut t = self.inner.borrow_mut();
            t.queue.clear();
            t.asked.clear();
            t.batch = RemakeBatch::default();
            t.cache.clear()
        };
        for (_, bitmap) in evicted {
            bitmap.close();
        }
    }

    /// The cache's figures for the status line and the metrics.
    pub fn stats(&self) -> CacheStats {
        self.inner.borrow().cache.stats()
    }
}
