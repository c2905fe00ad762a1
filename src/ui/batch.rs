//! Applies the collector's reports at most once per animation frame.
//!
//! Workers can settle a hundred images between two frames; each report would
//! otherwise be its own render. Reports wait in a queue and one
//! `requestAnimationFrame` callback hands them all to the page at once.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::web::collector::Report;

/// A queue of reports flushed once per frame into `apply`.
pub struct FrameBatch {
    queue: RefCell<Vec<Report>>,
    scheduled: RefCell<bool>,
    apply: Box<dyn Fn(Vec<Report>)>,
}

impl FrameBatch {
    pub fn new(apply: impl Fn(Vec<Report>) + 'static) -> Rc<FrameBatch> {
        Rc::new(FrameBatch {
            queue: RefCell::new(Vec::new()),
            scheduled: RefCell::new(false),
            apply: Box::new(apply),
        })
    }

    /// Queues a report and makes sure a frame will flush it.
    pub fn push(self: &Rc<Self>, report: Report) {
        self.queue.borrow_mut().push(report);
        if self.scheduled.replace(true) {
            return;
        }
        let this = self.clone();
        let flush = Closure::once_into_js(move || {
            this.scheduled.replace(false);
            let reports = std::mem::take(&mut *this.queue.borrow_mut());
            (this.apply)(reports);
        });
        let asked = web_sys::window().map(|w| w.request_animation_frame(flush.unchecked_ref()));
        if !matches!(asked, Some(Ok(_))) {
            // No frames (a hidden page may still get them slowly): flush now.
            self.scheduled.replace(false);
            let reports = std::mem::take(&mut *self.queue.borrow_mut());
            (self.apply)(reports);
        }
    }
}
