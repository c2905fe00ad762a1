//! Drives one collection: asks the source for candidates, hands chunks to the
//! worker pool, and settles every candidate exactly once in the ledger.
//!
//! Everything that happens (a source answer, a worker's report, a timer,
//! Cancel) arrives as an [`Event`] on one channel and is handled in order, so
//! the state needs no locks and the decisions stay in `core`. What the user
//! should see goes out as [`Report`]s; the UI batches them per frame. Once a
//! second it also reports its [`Figures`] (queue, chunk size, what is in
//! flight by host) for the performance panel.

use std::collections::{HashMap, HashSet, VecDeque};
use std::rc::Rc;

use futures::channel::mpsc::{unbounded, UnboundedReceiver, UnboundedSender};
use futures::StreamExt;
use gloo_timers::future::TimeoutFuture;
use web_sys::AbortController;

use crate::core::candidate::Candidate;
use crate::core::decode::DecodePath;
use crate::core::hosts::{host_of, pool_size, share};
use crate::core::image_check::filter_size;
use crate::core::ledger::{Counts, ItemState, Ledger, Settled};
use crate::core::plan::ChunkPlanner;
use crate::core::pressure::PressureLevel;
use crate::core::protocol::{
    Checks, Chunk, Collected, FetchRules, FromWorker, JobItem, Outcome, ToWorker,
};
use crate::core::record::{ItemRecord, ResumePoint};
use crate::core::retry::{parse_retry_after, Decision, Failure, RetryPolicy};
use crate::core::settings::Settings;
use crate::core::source::{self, SourceChoice, SourcePage, Step};
use crate::core::urls::normalize;
use crate::web::source_fetch::{fetch_source, Answer};
use crate::web::store::RecordWriter;
use crate::web::worker_bridge::{PoolEvent, WorkerPool};

/// How a collection stands, for the status line.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    Collecting,
    /// Intake waits for memory to fall below the warning line.
    Paused,
    Done,
    Cancelled,
    /// It could not go on; the sentence says why.
    Stopped(String),
}

impl Phase {
    /// The word a collection's record keeps for it.
    pub fn word(&self) -> &'static str {
        match self {
            Phase::Collecting | Phase::Paused => "collecting",
            Phase::Done => "done",
            Phase::Cancelled => "cancelled",
            Phase::Stopped(_) => "stopped",
        }
    }
}

/// What the page should show, in the order it happened.
pub enum Report {
    /// A candidate entered the collection.
    Found {
        id: u32,
        candidate: Rc<Candidate>,
    },
    /// A candidate settled. `thumbnail` is a collected image's.
    Settled {
        id: u32,
        state: Settled,
        collected: Option<Collected>,
        thumbnail: Option<web_sys::ImageBitmap>,
    },
    Counts(Counts),
    /// How many candidates the collection will have, as far as is known.
    Expected(u32),
    Phase(Phase),
    /// The collection's record now says how it ended.
    Saved,
    /// A sentence about the collection (a skipped list line, ...).
    Notice(String),
    /// A sentence worth an alert as well as a notice (a host backed off).
    Alert(String),
    /// The collection's figures, at most once a second.
    Figures(Figures),
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

enum Event {
    Pool(PoolEvent),
    SourceAnswer(Result<Answer, String>),
    SourceRetry,
    Cancel,
    Pressure(PressureLevel),
    /// The user paused (true) or resumed (false) intake.
    UserPause(bool),
    /// The browser went offline (false) or back online (true).
    Network(bool),
    /// A second passed: time to report the figures.
    Tick,
}

/// The handle the page keeps to a running collection.
pub struct CollectionHandle {
    events: UnboundedSender<Event>,
}

impl CollectionHandle {
    /// Cancel: every request of the collection is aborted at once.
    pub fn cancel(&self) {
        let _ = self.events.unbounded_send(Event::Cancel);
    }

    /// The memory pressure level changed.
    pub fn pressure(&self, level: PressureLevel) {
        let _ = self.events.unbounded_send(Event::Pressure(level));
    }

    /// Pause (true) or resume (false) intake at the user's word: nothing new
    /// is handed to workers, what is in flight finishes.
    pub fn set_paused(&self, paused: bool) {
        let _ = self.events.unbounded_send(Event::UserPause(paused));
    }

    /// The browser went offline (`false`) or is back online (`true`):
    /// intake waits while offline; what is in flight retries as usual.
    pub fn network(&self, online: bool) {
        let _ = self.events.unbounded_send(Event::Network(online));
    }

    /// Something the worker pool said (the page routes them here).
    pub fn pool_event(&self, event: PoolEvent) {
        let _ = self.events.unbounded_send(Event::Pool(event));
    }
}

/// Starts a collection, or resumes one from where its stored records say it
/// was; reports go to `report` until it ends, records to `records`.
#[allow(clippy::too_many_arguments)] // each is one part a run needs
pub fn start(
    collection: u32,
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
        let workers = settings_workers(&settings);
        if let Err(reason) = pool.ensure(workers) {
            report(Report::Phase(Phase::Stopped(reason)));
            return;
        }
        let mut run = Run::new(
            collection, choice, settings, pool, workers, tx, report, records,
        );
        if let Some(point) = resume {
            run.resume_from(point);
        }
        run.drive(rx).await;
    });
    handle
}

fn settings_workers(s: &Settings) -> usize {
    let hardware = web_sys::window()
        .map(|w| w.navigator().hardware_concurrency() as usize)
        .unwrap_or(2);
    let max = if s.workers == 0 {
        4
    } else {
        s.workers as usize
    };
    pool_size(hardware, max, s.per_host_cap as usize)
}

struct Run {
    id: u32,
    settings: Settings,
    source: Box<dyn source::Source>,
    source_busy: bool,
    source_done: bool,
    source_failures: u32,
    source_abort: Option<AbortController>,
    taken: usize,
    ledger: Ledger,
    planner: ChunkPlanner,
    queue: VecDeque<JobItem>,
    urls_seen: HashSet<String>,
    hashes: HashSet<String>,
    pool: WorkerPool,
    /// The chunk each worker holds, with its item ids.
    busy: Vec<Option<(u32, Vec<u32>)>>,
    next_chunk: u32,
    tx: UnboundedSender<Event>,
    report: Rc<dyn Fn(Report)>,
    checks: Checks,
    ended: bool,
    /// Every candidate seen, for its record.
    candidates: HashMap<u32, Rc<Candidate>>,
    records: RecordWriter,
    /// Set when intake stopped (storage full): why.
    stopped: Option<String>,
    /// Intake waits: memory passed the critical line and has not yet
    /// fallen below the warning line.
    paused: bool,
    /// Intake waits: the user paused it.
    user_paused: bool,
    /// The host of each item handed to a worker and not yet settled.
    in_hand: HashMap<u32, String>,
    collected_bytes: u64,
    /// A resumed collection's candidates kept from its earlier run, by
    /// normalized URL: the source lists them again, and they are skipped.
    resumed: HashSet<String>,
    /// Their counts, added to the ledger's.
    earlier: Counts,
    /// How many times each item was in hand when a worker stopped.
    crashes: HashMap<u32, u32>,
    /// Thumbnails made by each decode path.
    decoded_by: HashMap<DecodePath, u32>,
    /// Why a decode path could not make a thumbnail, as said once in the alerts.
    stand_ins_told: HashSet<(DecodePath, String)>,
    /// Intake waits: the browser is offline.
    offline: bool,
    /// Persistent storage was asked for (once the collection passed
    /// [`PERSIST_AFTER`] images).
    persist_asked: bool,
}

/// A collection this large is worth keeping: past it, the browser is asked
/// not to clear the site's storage when it runs short of space.
const PERSIST_AFTER: u32 = 200;

/// What the browser's answer to `navigator.storage.persist()` means for the user.
fn persist_notice(granted: bool) -> &'static str {
    if granted {
        "This collection passed 200 images: the browser agreed to keep the stored originals even when it runs short of space."
    } else {
        "This collection passed 200 images, but the browser did not agree to keep its storage for good: it may clear the stored originals when it runs short of space."
    }
}

impl Run {
    #[allow(clippy::too_many_arguments)] // each is one part the run drives; a struct would only rename them
    fn new(
        id: u32,
        choice: SourceChoice,
        settings: Settings,
        pool: WorkerPool,
        workers: usize,
        tx: UnboundedSender<Event>,
        report: Rc<dyn Fn(Report)>,
        records: RecordWriter,
    ) -> Run {
        let checks = checks_of(&settings);
        Run {
            id,
            source: source::open(choice),
            source_busy: false,
            source_done: false,
            source_failures: 0,
            source_abort: None,
            taken: 0,
            ledger: Ledger::default(),
            planner: ChunkPlanner::new(settings.chunk_size as usize),
            queue: VecDeque::new(),
            urls_seen: HashSet::new(),
            hashes: HashSet::new(),
            pool,
            busy: vec![None; workers],
            next_chunk: 0,
            tx,
            report,
            checks,
            settings,
            ended: false,
            candidates: HashMap::new(),
            records,
            stopped: None,
            paused: false,
            user_paused: false,
            in_hand: HashMap::new(),
            collected_bytes: 0,
            persist_asked: false,
            crashes: HashMap::new(),
            decoded_by: HashMap::new(),
            stand_ins_told: HashSet::new(),
            offline: false,
            resumed: HashSet::new(),
            earlier: Counts::default(),
        }
    }

    async fn drive(mut self, mut rx: UnboundedReceiver<Event>) {
        (self.report)(Report::Phase(Phase::Collecting));
        let tx = self.tx.clone();
        wasm_bindgen_futures::spawn_local(async move {
            // Ends when the collection does (its receiver is dropped).
            while tx.unbounded_send(Event::Tick).is_ok() {
                TimeoutFuture::new(1_000).await;
            }
        });
        self.pump();
        while !self.ended {
            let Some(event) = rx.next().await else { break };
            match event {
                Event::Cancel => self.cancel(),
                Event::SourceAnswer(answer) => self.source_answer(answer),
                Event::SourceRetry => {
                    self.source_busy = false;
                    self.pump();
                }
                Event::Pool(e) => self.pool_event(e),
                Event::Pressure(level) => self.pressure(level),
                Event::UserPause(paused) => self.user_pause(paused),
                Event::Network(online) => self.network(online),
                Event::Tick => self.figures(),
            }
        }
    }

    fn max(&self) -> usize {
        self.settings.max_images as usize
    }

    /// Asks the source for more when the queue runs low, hands chunks to idle
    /// workers, and ends the collection when everything is settled.
    fn pump(&mut self) {
        if self.ended {
            return;
        }
        let workers = self.busy.len();
        let low_water = self.planner.size() * workers * 2;
        while !self.intake_paused()
            && !self.source_busy
            && !self.source_done
            && self.taken < self.max()
            && self.queue.len() < low_water
        {
            match self.source.next(self.max() - self.taken) {
                Step::Fetch(req) => {
                    self.source_busy = true;
                    let controller = AbortController::new().ok();
                    self.source_abort = controller.clone();
                    let tx = self.tx.clone();
                    let deadline = self.settings.body_timeout_s * 1000;
                    wasm_bindgen_futures::spawn_local(async move {
                        let answer = match controller {
                            Some(c) => fetch_source(&req, &c, deadline).await,
                            None => Err("the browser could not start a request".into()),
                        };
                        let _ = tx.unbounded_send(Event::SourceAnswer(answer));
                    });
                }
                Step::Ready(page) => self.accept(page),
                Step::Done => self.source_done = true,
            }
        }
        self.dispatch();
        self.finish_if_settled();
    }

    fn intake_paused(&self) -> bool {
        self.paused || self.user_paused || self.offline
    }

    fn network(&mut self, online: bool) {
        let before = self.intake_paused();
        self.offline = !online;
        self.pause_changed(before);
    }

    fn pressure(&mut self, level: PressureLevel) {
        self.planner.pressure(level);
        let paused = match level {
            PressureLevel::Critical => true,
            PressureLevel::Normal => false,
            PressureLevel::Warning => self.paused,
        };
        let before = self.intake_paused();
        self.paused = paused;
        self.pause_changed(before);
    }

    fn user_pause(&mut self, paused: bool) {
        let before = self.intake_paused();
        self.user_paused = paused;
        self.pause_changed(before);
        self.figures();
    }

    fn pause_changed(&mut self, before: bool) {
        let now = self.intake_paused();
        if now != before && !self.ended {
            (self.report)(Report::Phase(if now {
                Phase::Paused
            } else {
                Phase::Collecting
            }));
            self.pump();
        }
    }

    /// Says once, in the alerts, why a decode path had to be stood in for.
    fn tell_stand_ins(&mut self, stand_ins: &[(DecodePath, String)]) {
        for (path, why) in stand_ins {
            if self.stand_ins_told.insert((*path, why.clone())) {
                (self.report)(Report::Alert(format!(
                    "Thumbnails: {why}, so another decoder stands in for {}.",
                    path.label()
                )));
            }
        }
    }

    fn figures(&self) {
        if self.ended {
            return;
        }
        let mut by_host: HashMap<&str, u32> = HashMap::new();
        for host in self.in_hand.values() {
            *by_host.entry(host.as_str()).or_default() += 1;
        }
        let mut in_flight_by_host: Vec<(String, u32)> = by_host
            .into_iter()
            .map(|(h, n)| (h.to_string(), n))
            .collect();
        in_flight_by_host.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        (self.report)(Report::Figures(Figures {
            queue_depth: self.queue.len() as u32,
            chunk_size: self.planner.size() as u32,
            in_flight_by_host,
            collected_bytes: self.collected_bytes,
            paused_by_user: self.user_paused,
            decoded_by: {
                let mut by: Vec<(DecodePath, u32)> =
                    self.decoded_by.iter().map(|(p, n)| (*p, *n)).collect();
                by.sort_by_key(|(p, n)| (std::cmp::Reverse(*n), p.name()));
                by
            },
        }));
    }

    fn dispatch(&mut self) {
        if self.intake_paused() {
            self.counts();
            return;
        }
        for worker in 0..self.busy.len() {
            if self.busy[worker].is_some() || self.queue.is_empty() {
                continue;
            }
            // An item that was in hand when a worker stopped runs alone, so a
            // second stop points at it and at nothing else.
            let suspect = |item: &JobItem| self.crashes.contains_key(&item.id);
            let n = if self.queue.front().is_some_and(suspect) {
                1
            } else {
                self.queue
                    .iter()
                    .take(self.planner.size())
                    .take_while(|i| !suspect(i))
                    .count()
            };
            let items: Vec<JobItem> = self.queue.drain(..n).collect();
            for item in &items {
                self.ledger.start(item.id);
                self.in_hand
                    .insert(item.id, host_of(&item.url).unwrap_or_default());
            }
            let chunk = self.next_chunk;
            self.next_chunk += 1;
            self.busy[worker] = Some((chunk, items.iter().map(|i| i.id).collect()));
            let per_host =
                share(self.settings.per_host_cap as usize, self.busy.len(), worker).max(1) as u32;
            let rules = FetchRules {
                header_timeout_ms: self.settings.header_timeout_s * 1000,
                body_timeout_ms: self.settings.body_timeout_s * 1000,
                retry_base_ms: RetryPolicy::default().base_ms,
                retry_cap_ms: RetryPolicy::default().cap_ms,
                retries: self.settings.retries,
                in_flight: self.settings.per_worker_in_flight.max(1),
                per_host,
            };
            let msg = ToWorker::Chunk(Chunk {
                collection: self.id,
                chunk,
                items,
                checks: self.checks.clone(),
                rules,
            });
            self.pool.send(worker, &msg);
        }
        self.counts();
    }

    fn source_answer(&mut self, answer: Result<Answer, String>) {
        if self.ended {
            return;
        }
        self.source_abort = None;
        let result = match answer {
            Ok(a) => self
                .source
                .read(a.status, a.retry_after.as_deref(), &a.body)
                .map_err(|e| {
                    // A 429/503 from the source waits as its Retry-After says.
                    let retry_after_ms = match &e {
                        source::SourceError::Http {
                            retry_after: Some(v),
                            ..
                        } => parse_retry_after(v, crate::web::now_unix_ms()),
                        _ => None,
                    };
                    let failure = Failure::Status {
                        status: status_of(&e),
                        retry_after_ms,
                    };
                    (e.is_transient(), e.to_string(), failure)
                }),
            Err(sentence) => Err((true, sentence.clone(), Failure::Network(sentence))),
        };
        match result {
            Ok(page) => {
                self.source_failures = 0;
                self.source_busy = false;
                self.accept(page);
                self.pump();
            }
            Err((transient, sentence, failure)) => {
                let policy = RetryPolicy {
                    max_retries: self.settings.retries,
                    ..RetryPolicy::default()
                };
                let decision = if transient {
                    policy.decide(&failure, self.source_failures, crate::web::jitter())
                } else {
                    Decision::GiveUp(sentence.clone())
                };
                match decision {
                    Decision::RetryIn { ms, .. } => {
                        self.source_failures += 1;
                        let tx = self.tx.clone();
                        wasm_bindgen_futures::spawn_local(async move {
                            TimeoutFuture::new(ms.min(u32::MAX as u64) as u32).await;
                            let _ = tx.unbounded_send(Event::SourceRetry);
                        });
                    }
                    Decision::GiveUp(_) => {
                        self.source_busy = false;
                        self.source_done = true;
                        if self.taken == 0 {
                            self.end(Phase::Stopped(sentence));
                        } else {
                            (self.report)(Report::Notice(format!(
                                "The source stopped answering: {sentence}"
                            )));
                            self.pump();
                        }
                    }
                }
            }
        }
    }

    /// Takes a page of candidates: dedup by URL, filters on what the source
    /// said, then queues the rest.
    fn accept(&mut self, page: SourcePage) {
        if let Some(total) = page.total {
            (self.report)(Report::Expected(total.min(self.max() as u64) as u32));
        }
        for notice in page.notices {
            (self.report)(Report::Notice(notice));
        }
        for candidate in page.candidates {
            if self.taken >= self.max() {
                self.source_done = true;
                break;
            }
            if !self.resumed.is_empty()
                && normalize(&candidate.url).is_ok_and(|url| self.resumed.contains(&url))
            {
                continue; // kept from before the interruption
            }
            self.taken += 1;
            let id = self.ledger.add();
            let verdict = self.pre_download(&candidate);
            let candidate = Rc::new(candidate);
            self.candidates.insert(id, candidate.clone());
            (self.report)(Report::Found {
                id,
                candidate: candidate.clone(),
            });
            match verdict {
                Ok(normalized) => self.queue.push_back(JobItem {
                    id,
                    url: normalized,
                    candidate: (*candidate).clone(),
                }),
                Err(state) => self.settle(id, state, None, None),
            }
        }
        if self.taken >= self.max() {
            self.source_done = true;
        }
        self.counts();
    }

    fn pre_download(&mut self, c: &Candidate) -> Result<String, Settled> {
        let url = normalize(&c.url).map_err(|e| Settled::Failed(e.to_string()))?;
        if !self.urls_seen.insert(url.clone()) {
            return Err(Settled::Duplicate);
        }
        if let (Some(w), Some(h)) = (c.width, c.height) {
            filter_size(w, h, &self.checks).map_err(|r| Settled::Filtered(r.to_string()))?;
        }
        if !self.settings.licenses.is_empty()
            && !self
                .settings
                .licenses
                .iter()
                .any(|l| l.eq_ignore_ascii_case(c.license.trim()))
        {
            return Err(Settled::Filtered(format!(
                "its license ({}) is not one of those chosen",
                c.license
            )));
        }
        if let Some(mime) = &c.mime {
            let kind = mime.trim_start_matches("image/");
            if !self.checks.file_types.is_empty()
                && !self
                    .checks
                    .file_types
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(kind))
            {
                return Err(Settled::Filtered(format!(
                    "it is {kind}, not one of the file types chosen"
                )));
            }
        }
        Ok(url)
    }

    fn pool_event(&mut self, event: PoolEvent) {
        match event {
            PoolEvent::Message {
                worker,
                msg,
                thumbnail,
                ..
            } => match msg {
                FromWorker::Item(r) if r.collection == self.id => {
                    self.tell_stand_ins(&r.stand_ins);
                    let (state, collected) = match r.outcome {
                        Outcome::Collected(c) => {
                            if let Some(path) = c.decoded_by {
                                *self.decoded_by.entry(path).or_default() += 1;
                            }
                            if self.hashes.insert(c.sha256.clone()) {
                                (Settled::Collected, Some(c))
                            } else {
                                (Settled::Duplicate, None)
                            }
                        }
                        Outcome::Filtered(s) => (Settled::Filtered(s), None),
                        Outcome::Failed(s) => (Settled::Failed(s), None),
                        Outcome::Cancelled => (Settled::Cancelled, None),
                    };
                    let thumbnail = match (&collected, thumbnail) {
                        (Some(_), t) => t,
                        // A duplicate's thumbnail is not shown: free it now.
                        (None, Some(t)) => {
                            t.close();
                            None
                        }
                        (None, None) => None,
                    };
                    self.settle(r.id, state, collected, thumbnail);
                    self.counts();
                }
                FromWorker::ChunkDone {
                    collection,
                    chunk,
                    items,
                    elapsed_ms,
                    ..
                } if collection == self.id => {
                    if matches!(&self.busy.get(worker), Some(Some((c, _))) if *c == chunk) {
                        self.busy[worker] = None;
                    }
                    self.planner.chunk_done(items as usize, elapsed_ms);
                    self.pump();
                }
                FromWorker::StorageFull { reason } => self.stop_intake(reason),
                FromWorker::HostPaused { host, for_ms } => {
                    // The host is paused for every worker, not only the one it answered.
                    for other in (0..self.busy.len()).filter(|w| *w != worker) {
                        self.pool.send(
                            other,
                            &ToWorker::PauseHost {
                                host: host.clone(),
                                for_ms,
                            },
                        );
                    }
                    (self.report)(Report::Alert(format!(
                        "{host} asked us to slow down; its downloads wait {:.1} s.",
                        for_ms as f64 / 1000.0
                    )));
                }
                _ => {}
            },
            PoolEvent::Crashed { worker, reason } => {
                // The pool has started a new worker in its place. What the
                // dead one held and had not reported goes back to the queue,
                // once: an item in hand at two crashes fails, so one bad
                // file cannot stop a collection.
                if let Some(Some((_, ids))) = self.busy.get_mut(worker).map(Option::take) {
                    let mut again = Vec::new();
                    for id in ids {
                        if !matches!(self.ledger.state(id), Some(ItemState::InFlight)) {
                            continue;
                        }
                        self.in_hand.remove(&id);
                        let crashes = self.crashes.entry(id).or_insert(0);
                        *crashes += 1;
                        let item = self.candidates.get(&id).and_then(|c| {
                            let url = normalize(&c.url).ok()?;
                            Some(JobItem {
                                id,
                                url,
                                candidate: (**c).clone(),
                            })
                        });
                        match item {
                            Some(item) if *crashes < 2 && self.ledger.requeue(id) => again.push(item),
                            _ => self.settle(
                                id,
                                Settled::Failed(format!(
                                    "it was in hand each time a worker stopped ({reason}); it is left out so the rest can go on"
                                )),
                                None,
                                None,
                            ),
                        }
                    }
                    for item in again.into_iter().rev() {
                        self.queue.push_front(item);
                    }
                }
                self.pump();
            }
        }
    }

    fn settle(
        &mut self,
        id: u32,
        state: Settled,
        collected: Option<Collected>,
        thumbnail: Option<web_sys::ImageBitmap>,
    ) {
        self.in_hand.remove(&id);
        if self.ledger.settle(id, state.clone()) {
            if let (Settled::Collected, Some(c)) = (&state, &collected) {
                self.collected_bytes += c.bytes;
            }
            // A collected image's record was written by its worker, before
            // the page heard of it: it is written once. Every other state
            // (a duplicate by hash included, which the worker wrote as
            // collected) is written here.
            if state != Settled::Collected {
                let candidate = self
                    .candidates
                    .get(&id)
                    .map(|c| (**c).clone())
                    .unwrap_or_default();
                self.records.push(ItemRecord::new(
                    self.id,
                    id,
                    candidate,
                    &state,
                    collected.clone(),
                ));
            }
            (self.report)(Report::Settled {
                id,
                state,
                collected,
                thumbnail,
            });
        }
    }

    /// Takes up an interrupted collection: what its earlier run settled for
    /// good is counted and never fetched again; new ids follow its last.
    fn resume_from(&mut self, point: ResumePoint) {
        self.ledger = Ledger::starting_at(point.next_id);
        for r in &point.kept {
            self.earlier.seen += 1;
            match r.status.as_str() {
                "collected" => self.earlier.collected += 1,
                "duplicate" => self.earlier.duplicate += 1,
                _ => self.earlier.filtered += 1,
            }
            if let Ok(url) = normalize(&r.candidate.url) {
                self.urls_seen.insert(url.clone());
                self.resumed.insert(url);
            }
            if let Some(c) = &r.collected {
                self.hashes.insert(c.sha256.clone());
                self.collected_bytes += c.bytes;
            }
        }
        self.taken = point.kept.len();
        self.persist_asked = self.earlier.collected >= PERSIST_AFTER;
    }

    fn counts(&mut self) {
        let counts = self.ledger.counts().plus(&self.earlier);
        if counts.collected >= PERSIST_AFTER && !self.persist_asked {
            self.persist_asked = true;
            let report = self.report.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(granted) = crate::web::store::ask_persist().await {
                    report(Report::Notice(persist_notice(granted).into()));
                }
            });
        }
        (self.report)(Report::Counts(counts));
    }

    fn finish_if_settled(&mut self) {
        let c = self.ledger.counts();
        if self.source_done
            && !self.source_busy
            && self.queue.is_empty()
            && c.queued == 0
            && c.in_flight == 0
        {
            match self.stopped.clone() {
                Some(reason) => self.end(Phase::Stopped(reason)),
                None => self.end(Phase::Done),
            }
        }
    }

    /// Stops taking new work (storage is full): what is queued is cancelled
    /// (it can be collected later), what is in flight finishes.
    fn stop_intake(&mut self, reason: String) {
        if self.stopped.is_some() {
            return;
        }
        (self.report)(Report::Notice(format!("Collecting stopped: {reason}.")));
        self.stopped = Some(reason);
        self.source_done = true;
        for item in std::mem::take(&mut self.queue) {
            self.settle(item.id, Settled::Cancelled, None, None);
        }
        self.pump();
    }

    fn cancel(&mut self) {
        if self.ended {
            return;
        }
        self.pool.broadcast(&ToWorker::Cancel {
            collection: self.id,
        });
        if let Some(c) = self.source_abort.take() {
            c.abort();
        }
        self.queue.clear();
        for id in self.ledger.cancel_open() {
            let candidate = self
                .candidates
                .get(&id)
                .map(|c| (**c).clone())
                .unwrap_or_default();
            self.records.push(ItemRecord::new(
                self.id,
                id,
                candidate,
                &Settled::Cancelled,
                None,
            ));
            (self.report)(Report::Settled {
                id,
                state: Settled::Cancelled,
                collected: None,
                thumbnail: None,
            });
        }
        self.end(Phase::Cancelled);
    }

    fn end(&mut self, phase: Phase) {
        self.figures();
        self.ended = true;
        let records = self.records.clone();
        let (id, state) = (self.id, phase.word());
        let report = self.report.clone();
        wasm_bindgen_futures::spawn_local(async move {
            records.flush().await;
            records.collection_ended(id, state).await;
            report(Report::Saved);
        });
        self.counts();
        (self.report)(Report::Phase(phase));
    }
}

fn status_of(e: &source::SourceError) -> u16 {
    match e {
        source::SourceError::Http { status, .. } => *status,
        source::SourceError::Malformed { .. } => 0,
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
