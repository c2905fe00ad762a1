//! Applies the collector's reports in batches: in an animation frame, and at
//! most once every [`MIN_GAP_MS`].
//!
//! Workers can settle a hundred images between two frames; each report would
//! otherwise be its own render. And every frame that changes the page costs
//! the browser a commit in which each tile's canvas is handed to the
//! compositor again (a trace of a 400-image collection: 45 000 canvas
//! resources in 1 500 commits, a third of the page thread's time). So
//! reports wait in a queue, and one `requestAnimationFrame` callback, no
//! sooner than `MIN_GAP_MS` after the last, hands them all to the page at once.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::web::collector::Report;

/// The shortest time between two batches: about 8 a second, which still
/// reads as images streaming in.
const MIN_GAP_MS: f64 = 120.0;

/// A queue of reports flushed at most once per frame and per `MIN_GAP_MS` into `apply`.
pub struct FrameBatch {
    queue: RefCell<Vec<Report>>,
    scheduled: Cell<bool>,
    /// When the last batch was applied (performance.now ms).
    last: Cell<f64>,
    apply: Box<dyn Fn(Vec<Report>)>,
}

impl FrameBatch {
    pub fn new(apply: impl Fn(Vec<Report>) + 'static) -> Rc<FrameBatch> {
        Rc::new(FrameBatch {
            queue: RefCell::new(Vec::new()),
            scheduled: Cell::new(false),
            last: Cell::new(f64::NEG_INFINITY),
            apply: Box::new(apply),
        })
    }

    /// Queues a report and makes sure a batch will apply it.
    pub fn push(self: &Rc<Self>, report: Report) {
        self.queue.borrow_mut().push(report);
        if self.scheduled.replace(true) {
            return;
        }
        let wait = (self.last.get() + MIN_GAP_MS - crate::web::now_ms()).max(0.0);
        if wait > 0.0 {
            let this = self.clone();
            gloo_timers::callback::Timeout::new(wait.ceil() as u32, move || this.next_frame())
                .forget();
        } else {
            self.next_frame();
        }
    }

    /// Applies the queue in the next animation frame.
    fn next_frame(self: &Rc<Self>) {
        let this = self.clone();
        let flush = Closure::once_into_js(move || this.flush());
        let asked = web_sys::window().map(|w| w.request_animation_frame(flush.unchecked_ref()));
        if !matches!(asked, Some(Ok(_))) {
            // No frames (a hidden page may still get them slowly): flush now.
            self.flush();
        }
    }

    fn flush(&self) {
        self.scheduled.set(false);
        self.last.set(crate::web::now_ms());
        let reports = std::mem::take(&mut *self.queue.borrow_mut());
        (self.apply)(reports);
    }
}
