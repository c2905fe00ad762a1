//! The one place that talks to workers (like Squoosh's worker bridge).
//!
//! A [`WorkerPool`] starts its workers once, lazily, and keeps them for the
//! page's life. Nothing is sent to a worker before it said `Ready` (a message
//! posted earlier would be lost). Whatever a worker says, or a worker's crash,
//! reaches the current listener as a [`PoolEvent`]; thumbnails arrive as the
//! transferred `ImageBitmap` beside the message.

use std::cell::RefCell;
use std::rc::Rc;

use futures::channel::mpsc::UnboundedSender;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::core::protocol::{self, FromWorker, ToWorker};

/// The script Trunk emits for the worker binary (see index.html).
const WORKER_SCRIPT: &str = "./worker_loader.js";

/// Something one of the pool's workers said or did.
pub enum PoolEvent {
    Message {
        worker: usize,
        msg: FromWorker,
        /// A thumbnail, transferred beside the message.
        thumbnail: Option<web_sys::ImageBitmap>,
        /// Bytes already in the browser's blob storage (an export's chunk):
        /// a handle, their bytes are not copied.
        blob: Option<web_sys::Blob>,
    },
    /// The worker died (an uncaught error or a panic); `reason` says how.
    Crashed { worker: usize, reason: String },
}

struct PoolWorker {
    worker: Worker,
    ready: bool,
    /// Messages waiting for `Ready`.
    waiting: Vec<(String, Option<JsValue>)>,
    // Kept alive as long as the worker.
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

struct Inner {
    script: String,
    workers: Vec<PoolWorker>,
    listener: Option<UnboundedSender<PoolEvent>>,
}

/// A pool of collector workers.
#[derive(Clone)]
pub struct WorkerPool {
    inner: Rc<RefCell<Inner>>,
}

impl Default for WorkerPool {
    fn default() -> Self {
        WorkerPool::with_script(WORKER_SCRIPT)
    }
}

impl WorkerPool {
    /// A pool whose workers run `script` (the default is Trunk's worker loader).
    pub fn with_script(script: &str) -> WorkerPool {
        let inner = Inner {
            script: script.to_string(),
            workers: Vec::new(),
            listener: None,
        };
        WorkerPool {
            inner: Rc::new(RefCell::new(inner)),
        }
    }

    /// Makes sure `n` workers exist (starting the missing ones).
    pub fn ensure(&self, n: usize) -> Result<(), String> {
        let have = self.inner.borrow().workers.len();
        for index in have..n {
            let w = self.start_worker(index)?;
            self.inner.borrow_mut().workers.push(w);
        }
        Ok(())
    }

    /// Ends worker `index` and starts a new one in its place (it says
    /// Ready before it gets messages, like any other). A worker that died
    /// before it was ever ready is not restarted: it would only die again.
    fn replace(&self, index: usize) {
        let was_ready = {
            let mut inner = self.inner.borrow_mut();
            let Some(old) = inner.workers.get_mut(index) else {
                return;
            };
            old.worker.terminate();
            // Messages for it wait from now on, for the new worker.
            std::mem::replace(&mut old.ready, false)
        };
        if !was_ready {
            return;
        }
        // The old worker's closures are dropped with it after this handler
        // returns (it is still running them now): defer the swap.
        let pool = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(mut fresh) = pool.start_worker(index) {
                if let Some(slot) = pool.inner.borrow_mut().workers.get_mut(index) {
                    fresh.waiting = std::mem::take(&mut slot.waiting);
                    *slot = fresh;
                }
            }
        });
    }

    pub fn len(&self) -> usize {
        self.inner.borrow().workers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops every worker at once (their memory is freed); `ensure` starts
    /// new ones when work comes again.
    pub fn stop(&self) {
        let workers = std::mem::take(&mut self.inner.borrow_mut().workers);
        for w in workers {
            w.worker.terminate();
        }
    }

    /// Where the pool's events go from now on (the current collection).
    pub fn listen(&self, sender: UnboundedSender<PoolEvent>) {
        self.inner.borrow_mut().listener = Some(sender);
    }

    /// Sends a message to one worker (queued until it is ready).
    pub fn send(&self, worker: usize, msg: &ToWorker) {
        self.send_with(worker, msg, None);
    }

    /// Sends a message with a file beside it (structured-cloned: a `File`
    /// is a handle, its bytes are not copied).
    pub fn send_with(&self, worker: usize, msg: &ToWorker, file: Option<JsValue>) {
        let text = protocol::encode(msg);
        let mut inner = self.inner.borrow_mut();
        let Some(w) = inner.workers.get_mut(worker) else {
            return;
        };
        if w.ready {
            post(&w.worker, &text, file.as_ref());
        } else {
            w.waiting.push((text, file));
        }
    }

    /// Sends a message to every worker.
    pub fn broadcast(&self, msg: &ToWorker) {
        for i in 0..self.len() {
            self.send(i, msg);
        }
    }

    fn start_worker(&self, index: usize) -> Result<PoolWorker, String> {
        let script = self.inner.borrow().script.clone();
        let worker = Worker::new(&script).map_err(|e| {
            format!(
                "This browser could not start a Web Worker ({}); collecting needs them.",
                describe(&e)
            )
        })?;
        let weak = Rc::downgrade(&self.inner);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let Some(inner) = weak.upgrade() else { return };
            let data = event.data();
            let text = js_sys::Reflect::get(&data, &"msg".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let thumbnail = js_sys::Reflect::get(&data, &"thumbnail".into())
                .ok()
                .and_then(|v| v.dyn_into::<web_sys::ImageBitmap>().ok());
            let blob = js_sys::Reflect::get(&data, &"blob".into())
                .ok()
                .and_then(|v| v.dyn_into::<web_sys::Blob>().ok());
            let msg = match protocol::decode::<FromWorker>(&text) {
                Ok(m) => m,
                Err(e) => {
                    web_sys::console::error_1(&e.into());
                    return;
                }
            };
            if msg == FromWorker::Ready {
                let mut inner = inner.borrow_mut();
                if let Some(w) = inner.workers.get_mut(index) {
                    w.ready = true;
                    for (text, file) in std::mem::take(&mut w.waiting) {
                        post(&w.worker, &text, file.as_ref());
                    }
                }
                return;
            }
            emit(
                &inner,
                PoolEvent::Message {
                    worker: index,
                    msg,
                    thumbnail,
                    blob,
                },
            );
        });
        let weak = Rc::downgrade(&self.inner);
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            let Some(inner) = weak.upgrade() else { return };
            // A worker whose wasm trapped (a panic) is in an unknown state:
            // it is replaced by a new one, and its work is done again.
            let reason = format!("a worker stopped with an error: {}", event.message());
            let pool = WorkerPool { inner };
            pool.replace(index);
            emit(
                &pool.inner,
                PoolEvent::Crashed {
                    worker: index,
                    reason,
                },
            );
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(PoolWorker {
            worker,
            ready: false,
            waiting: Vec::new(),
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}

fn emit(inner: &Rc<RefCell<Inner>>, event: PoolEvent) {
    // Clone the sender out so no borrow is held while the receiver runs.
    let sender = inner.borrow().listener.clone();
    if let Some(s) = sender {
        let _ = s.unbounded_send(event);
    }
}

fn post(worker: &Worker, text: &str, file: Option<&JsValue>) {
    let message = match file {
        None => JsValue::from_str(text),
        Some(file) => {
            let envelope = js_sys::Object::new();
            let _ = js_sys::Reflect::set(&envelope, &"msg".into(), &text.into());
            let _ = js_sys::Reflect::set(&envelope, &"file".into(), file);
            envelope.into()
        }
    };
    if let Err(e) = worker.post_message(&message) {
        web_sys::console::error_2(&"a message to a worker could not be posted".into(), &e);
    }
}

fn describe(e: &JsValue) -> String {
    e.as_string()
        .or_else(|| {
            js_sys::Reflect::get(e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
        })
        .unwrap_or_else(|| "unknown error".into())
}
