//! Drives one collection: the I/O around `core::collection`.
//!
//! Everything that happens (a source's answer, a worker's report or crash,
//! a timer, Cancel, a memory level) is turned into an [`Input`] and handed
//! to the [`Collection`], one at a time, on one channel; what it returns is
//! carried out here: fetch from the source, send to a worker, keep a
//! record, ask for persistent storage, show the user. No decision is made
//! here. A collected image's thumbnail (an `ImageBitmap`, which `core`
//! cannot hold) is shown just before the update that settles it, or closed
//! when the image turned out to be a duplicate.

use std::rc::Rc;

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use web_sys::{AbortController, ImageBitmap};

use crate::core::collection::{persist_notice, Change, Collection, Command, Input, Phase};
use crate::core::hosts::pool_size;
use crate::core::ledger::Settled;
use crate::core::pressure::PressureLevel;
use crate::core::protocol::FromWorker;
use crate::core::record::ResumePoint;
use crate::core::settings::Settings;
use crate::core::source::{self, SourceChoice};
use crate::web::source_fetch::fetch_source;
use crate::web::store::RecordWriter;
use crate::web::worker_bridge::{PoolEvent, WorkerPool};

/// What the page is told, in the order it happened.
pub enum Report {
    /// Something the user sees changed.
    Change(Change),
    /// Candidate `id`'s thumbnail; its `Settled` update follows.
    Thumbnail { id: u32, bitmap: ImageBitmap },
    /// The collection's record now says how it ended.
    Saved,
}

/// An input, and a collected image's thumbnail when one came with it.
struct Event {
    input: Input,
    thumbnail: Option<ImageBitmap>,
}

/// The handle the page keeps to a running collection.
pub struct CollectionHandle {
    events: UnboundedSender<Event>,
}

impl CollectionHandle {
    fn send(&self, input: Input) {
        let _ = self.events.unbounded_send(Event {
            input,
            thumbnail: None,
        });
    }

    /// Cancel: every request of the collection is aborted at once.
    pub fn cancel(&self) {
        self.send(Input::Cancel);
    }

    /// The memory pressure level changed.
    pub fn pressure(&self, level: PressureLevel) {
        self.send(Input::Pressure(level));
    }

    /// Pause (true) or resume (false) intake at the user's word.
    pub fn set_paused(&self, paused: bool) {
        self.send(Input::Pause(paused));
    }

    /// The browser went offline (`false`) or is back online (`true`).
    pub fn network(&self, online: bool) {
        self.send(Input::Online(online));
    }

    /// Something the worker pool said (the page routes them here).
    pub fn pool_event(&self, event: PoolEvent) {
        let (input, thumbnail) = match event {
            PoolEvent::Message {
                worker,
                msg,
                thumbnail,
                ..
            } => (Input::Worker { worker, msg }, thumbnail),
            PoolEvent::Crashed { worker, reason } => (Input::Crashed { worker, reason }, None),
        };
        let _ = self.events.unbounded_send(Event { input, thumbnail });
    }
}

/// Starts a collection, or resumes one from where its stored records say it
/// was; reports go to `report` until it ends, records to `records`.
pub fn start(
    id: u32,
    choice: SourceChoice,
    settings: Settings,
    pool: WorkerPool,
    records: RecordWriter,
    report: Rc<dyn Fn(Report)>,
    resume: Option<ResumePoint>,
) -> CollectionHandle {
    let (tx, rx) = unbounded();
    let handle = CollectionHandle { events: tx.clone() };
    wasm_bindgen_futures::spawn_local(async move {
        let workers = workers_for(&settings);
        if let Err(reason) = pool.ensure(workers) {
            report(Report::Change(Change::Phase(Phase::Stopped(reason))));
            return;
        }
        let deadline_ms = settings.body_timeout_s * 1000;
        let collection = Collection::new(id, source::open(choice), settings, workers, resume);
        let driver = Driver {
            collection,
            deadline_ms,
            pool,
            records,
            report,
            tx,
            fetch: None,
        };
        driver.run(rx).await;
    });
    handle
}

/// How many workers a collection gets: what the hardware, the setting and
/// the per-host cap allow (`core::hosts::pool_size`).
fn workers_for(s: &Settings) -> usize {
    let hardware = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .unwrap_or(2);
    pool_size(hardware, s.workers as usize, s.per_host_cap as usize)
}

struct Driver {
    collection: Collection,
    pool: WorkerPool,
    records: RecordWriter,
    report: Rc<dyn Fn(Report)>,
    tx: UnboundedSender<Event>,
    /// The source request under way.
    fetch: Option<AbortController>,
    /// How long a source request may take.
    deadline_ms: u32,
}

impl Driver {
    async fn run(mut self, mut rx: UnboundedReceiver<Event>) {
        let tx = self.tx.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Ends when the collection does (its receiver is dropped).
            loop {
                TimeoutFuture::new(1_000).await;
                let tick = Event {
                    input: Input::Tick,
                    thumbnail: None,
                };
                if tx.unbounded_send(tick).is_err() {
                    break;
                }
            }
        });
        let first = self.collection.start();
        self.carry_out(first, None);
        while !self.collection.has_ended() {
            let Some(event) = rx.next().await else { break };
            // Late reports of a replaced collection carry its id: ignored.
            let settles = match &event.input {
                Input::Worker {
                    msg: FromWorker::Item(r),
                    ..
                } if r.collection == self.collection.id() && r.state == Settled::Collected => {
                    Some(r.id)
                }
                _ => None,
            };
            let thumbnail = settles.zip(event.thumbnail);
            let commands = self.collection.handle(
                event.input,
                crate::web::now_unix_ms(),
                crate::web::jitter(),
            );
            self.carry_out(commands, thumbnail);
        }
    }

    /// Does what the collection asked, in order. `thumbnail` is the bitmap
    /// that came with the input, for the candidate it names.
    fn carry_out(&mut self, commands: Vec<Command>, mut thumbnail: Option<(u32, ImageBitmap)>) {
        for command in commands {
            match command {
                Command::Fetch(request) => self.fetch(request),
                Command::AbortFetch => {
                    if let Some(c) = self.fetch.take() {
                        c.abort();
                    }
                }
                Command::WakeIn(ms) => {
                    let tx = self.tx.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        TimeoutFuture::new(ms.min(u32::MAX as u64) as u32).await;
                        let _ = tx.unbounded_send(Event {
                            input: Input::Wake,
                            thumbnail: None,
                        });
                    });
                }
                Command::Send { worker, msg } => self.pool.send(worker, &msg),
                Command::Keep(record) => self.records.push(*record),
                Command::AskPersist => {
                    let report = self.report.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Some(granted) = crate::web::probes::ask_persist().await {
                            let notice = persist_notice(granted).to_string();
                            report(Report::Change(Change::Notice(notice)));
                        }
                    });
                }
                Command::Show(change) => {
                    if let Change::Settled {
                        id,
                        collected: Some(_),
                        ..
                    } = &change
                    {
                        if let Some((_, bitmap)) = thumbnail.take_if(|(t, _)| t == id) {
                            (self.report)(Report::Thumbnail { id: *id, bitmap });
                        }
                    }
                    (self.report)(Report::Change(change));
                }
                Command::Ended(phase) => {
                    let (records, report) = (self.records.clone(), self.report.clone());
                    let id = self.collection.id();
                    wasm_bindgen_futures::spawn_local(async move {
                        records.flush().await;
                        records.collection_ended(id, phase.run_state()).await;
                        report(Report::Saved);
                    });
                }
            }
        }
        // Not shown (a duplicate, or a collection that ended): freed now.
        if let Some((_, bitmap)) = thumbnail {
            bitmap.close();
        }
    }

    /// Makes a source request; its answer comes back as an input.
    fn fetch(&mut self, request: crate::core::source::SourceRequest) {
        let controller = AbortController::new().ok();
        self.fetch = controller.clone();
        let tx = self.tx.clone();
        let deadline = self.deadline_ms;
        wasm_bindgen_futures::spawn_local(async move {
            let input = match controller {
                Some(c) => match fetch_source(&request, &c, deadline).await {
                    Ok(a) => Input::SourceAnswer {
                        status: a.status,
                        retry_after: a.retry_after,
                        body: a.body,
                    },
                    Err(sentence) => Input::SourceUnreachable(sentence),
                },
                None => Input::SourceUnreachable("the browser could not start a request".into()),
            };
            let _ = tx.unbounded_send(Event {
                input,
                thumbnail: None,
            });
        });
    }
}
