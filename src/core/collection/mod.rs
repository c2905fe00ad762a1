//! One collection as a sans-IO state machine, in quinn-proto's shape: the
//! driver (`web::collector`) hands it each [`Input`] (a source's answer, a
//! worker's report or crash, a timer, a memory level, Cancel, Pause) and
//! carries out the [`Command`]s it returns (fetch from the source, send a
//! chunk to a worker, keep a record, show the user something). Every rule
//! of a collection lives here, so it is tested natively, with no browser:
//!
//! - candidates are taken up to Max, and refused before any download when
//!   their URL came before or what the source says is outside the filters
//!   ([`intake`]);
//! - idle workers get chunks sized by the planner; an item that was in hand
//!   when a worker stopped runs alone, and fails after a second stop;
//! - a collected image whose bytes came before (same SHA-256) is a duplicate;
//! - a transient source failure is asked again after its wait, a final one
//!   stops the collection (or its listing, once candidates came);
//! - intake waits at critical memory (until it falls to normal), while the
//!   user pauses it, and while the browser is offline; storage full stops it;
//! - every candidate settles exactly once, and the counts add up.

pub mod intake;
mod messages;
#[cfg(test)]
mod tests;
mod workers;

pub use messages::{
    checks_of, persist_notice, Change, Command, Figures, Input, Phase, PERSIST_AFTER,
};

use std::collections::{HashMap, HashSet, VecDeque};

use crate::core::candidate::Candidate;
use crate::core::decode::DecodePath;
use crate::core::ledger::{Counts, ItemState, Ledger, Settled};
use crate::core::plan::ChunkPlanner;
use crate::core::pressure::PressureLevel;
use crate::core::protocol::{Checks, Collected, JobItem, ToWorker};
use crate::core::record::{ItemRecord, ResumePoint};
use crate::core::retry::Decision;
use crate::core::settings::Settings;
use crate::core::source::{Source, SourcePage, Step};
use crate::core::urls::normalize;
use intake::{admit, retry_source, SourceTrouble};

/// One collection: what it has taken, where each candidate is, and what
/// each worker holds.
pub struct Collection {
    id: u32,
    settings: Settings,
    checks: Checks,
    source: Box<dyn Source>,
    /// A source request is under way (or waits to be made again).
    fetching: bool,
    source_done: bool,
    source_failures: u32,
    /// Candidates taken, toward Max.
    taken: usize,
    ledger: Ledger,
    planner: ChunkPlanner,
    queue: VecDeque<JobItem>,
    urls_seen: HashSet<String>,
    hashes: HashSet<String>,
    /// The chunk each worker holds, with its item ids.
    busy: Vec<Option<(u32, Vec<u32>)>>,
    next_chunk: u32,
    ended: bool,
    /// The candidates not yet settled (kept for their records).
    candidates: HashMap<u32, Candidate>,
    /// Set when intake stopped (storage full): why.
    stopped: Option<String>,
    /// Intake waits: memory passed the critical line and has not yet
    /// fallen to normal.
    memory_paused: bool,
    user_paused: bool,
    offline: bool,
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
    decoded_by: HashMap<DecodePath, u32>,
    /// Why a decode path stood in for another, as told once in the alerts.
    stand_ins_told: HashSet<(DecodePath, String)>,
    persist_asked: bool,
    /// Commands of the input being handled.
    out: Vec<Command>,
}

impl Collection {
    /// Collection `id` from `source`, with `workers` workers; `resume` takes
    /// up an interrupted one where its stored records say it was.
    pub fn new(
        id: u32,
        source: Box<dyn Source>,
        settings: Settings,
        workers: usize,
        resume: Option<ResumePoint>,
    ) -> Collection {
        let mut c = Collection {
            id,
            checks: checks_of(&settings),
            planner: ChunkPlanner::new(settings.chunk_size as usize),
            settings,
            source,
            fetching: false,
            source_done: false,
            source_failures: 0,
            taken: 0,
            ledger: Ledger::default(),
            queue: VecDeque::new(),
            urls_seen: HashSet::new(),
            hashes: HashSet::new(),
            busy: vec![None; workers.max(1)],
            next_chunk: 0,
            ended: false,
            candidates: HashMap::new(),
            stopped: None,
            memory_paused: false,
            user_paused: false,
            offline: false,
            in_hand: HashMap::new(),
            collected_bytes: 0,
            resumed: HashSet::new(),
            earlier: Counts::default(),
            crashes: HashMap::new(),
            decoded_by: HashMap::new(),
            stand_ins_told: HashSet::new(),
            persist_asked: false,
            out: Vec::new(),
        };
        if let Some(point) = resume {
            c.resume_from(point);
        }
        c
    }

    pub fn id(&self) -> u32 {
        self.id
    }

    pub fn has_ended(&self) -> bool {
        self.ended
    }

    /// Where candidate `id` is (for tests and tools).
    pub fn state(&self, id: u32) -> Option<&ItemState> {
        self.ledger.state(id)
    }

    /// The first commands: show that it runs, and ask the source.
    pub fn start(&mut self) -> Vec<Command> {
        self.show(Change::Phase(Phase::Collecting));
        self.pump();
        std::mem::take(&mut self.out)
    }

    /// Handles one input at `now_unix_ms`; `jitter` in [0, 1) spreads
    /// back-offs. Returns what to do, in order.
    pub fn handle(&mut self, input: Input, now_unix_ms: f64, jitter: f64) -> Vec<Command> {
        if !self.ended {
            match input {
                Input::SourceAnswer {
                    status,
                    retry_after,
                    body,
                } => {
                    let read = self.source.read(status, retry_after.as_deref(), &body);
                    self.source_answer(read.map_err(SourceTrouble::Answer), now_unix_ms, jitter)
                }
                Input::SourceUnreachable(why) => {
                    self.source_answer(Err(SourceTrouble::Unreachable(why)), now_unix_ms, jitter)
                }
                Input::Wake => {
                    self.fetching = false;
                    self.pump();
                }
                Input::Worker { worker, msg } => self.worker_said(worker, msg),
                Input::Crashed { worker, reason } => self.crashed(worker, &reason),
                Input::Tick => self.figures(),
                Input::Pressure(level) => self.pressure(level),
                Input::Pause(paused) => {
                    let before = self.intake_paused();
                    self.user_paused = paused;
                    self.pause_changed(before);
                    self.figures();
                }
                Input::Online(online) => {
                    let before = self.intake_paused();
                    self.offline = !online;
                    self.pause_changed(before);
                }
                Input::Cancel => self.cancel(),
            }
        }
        std::mem::take(&mut self.out)
    }

    fn show(&mut self, change: Change) {
        self.out.push(Command::Show(change));
    }

    fn max(&self) -> usize {
        self.settings.max_images as usize
    }

    fn intake_paused(&self) -> bool {
        self.memory_paused || self.user_paused || self.offline
    }

    /// Asks the source for more when the queue runs low, hands chunks to idle
    /// workers, and ends the collection when everything is settled.
    fn pump(&mut self) {
        if self.ended {
            return;
        }
        let low_water = self.planner.size() * self.busy.len() * 2;
        while !self.intake_paused()
            && !self.fetching
            && !self.source_done
            && self.taken < self.max()
            && self.queue.len() < low_water
        {
            match self.source.next(self.max() - self.taken) {
                Step::Fetch(request) => {
                    self.fetching = true;
                    self.out.push(Command::Fetch(request));
                }
                Step::Ready(page) => self.accept(page),
                Step::Done => self.source_done = true,
            }
        }
        self.dispatch();
        self.finish_if_settled();
    }

    fn pressure(&mut self, level: PressureLevel) {
        self.planner.pressure(level);
        let paused = match level {
            PressureLevel::Critical => true,
            PressureLevel::Normal => false,
            // Between the lines: as it was (falling from critical, it waits on).
            PressureLevel::Warning => self.memory_paused,
        };
        let before = self.intake_paused();
        self.memory_paused = paused;
        self.pause_changed(before);
    }

    fn pause_changed(&mut self, before: bool) {
        let now = self.intake_paused();
        if now != before {
            self.show(Change::Phase(if now {
                Phase::Paused
            } else {
                Phase::Collecting
            }));
            self.pump();
        }
    }

    fn figures(&mut self) {
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
        let mut decoded_by: Vec<(DecodePath, u32)> =
            self.decoded_by.iter().map(|(p, n)| (*p, *n)).collect();
        decoded_by.sort_by_key(|(p, n)| (std::cmp::Reverse(*n), p.name()));
        self.show(Change::Figures(Figures {
            queue_depth: self.queue.len() as u32,
            chunk_size: self.planner.size() as u32,
            in_flight_by_host,
            collected_bytes: self.collected_bytes,
            paused_by_user: self.user_paused,
            decoded_by,
        }));
    }

    fn source_answer(
        &mut self,
        read: Result<SourcePage, SourceTrouble>,
        now_unix_ms: f64,
        jitter: f64,
    ) {
        match read {
            Ok(page) => {
                self.source_failures = 0;
                self.fetching = false;
                self.accept(page);
                self.pump();
            }
            Err(trouble) => {
                let decision = retry_source(
                    &trouble,
                    self.settings.retries,
                    self.source_failures,
                    now_unix_ms,
                    jitter,
                );
                match decision {
                    Decision::RetryIn { ms, .. } => {
                        self.source_failures += 1;
                        self.out.push(Command::WakeIn(ms));
                    }
                    Decision::GiveUp(sentence) => {
                        self.fetching = false;
                        self.source_done = true;
                        if self.taken == 0 {
                            self.end(Phase::Stopped(sentence));
                        } else {
                            self.show(Change::Notice(format!(
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
            self.show(Change::Expected(total.min(self.max() as u64) as u32));
        }
        for notice in page.notices {
            self.show(Change::Notice(notice));
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
            let verdict = admit(
                &candidate,
                &self.settings,
                &self.checks,
                &mut self.urls_seen,
            );
            self.candidates.insert(id, candidate.clone());
            match verdict {
                Ok(url) => self.queue.push_back(JobItem { id, url, candidate }),
                Err(state) => self.settle(id, state, None),
            }
        }
        if self.taken >= self.max() {
            self.source_done = true;
        }
        self.counts();
    }

    fn settle(&mut self, id: u32, state: Settled, collected: Option<Collected>) {
        self.in_hand.remove(&id);
        if !self.ledger.settle(id, state.clone()) {
            return;
        }
        if let (Settled::Collected, Some(c)) = (&state, &collected) {
            self.collected_bytes += c.bytes;
        }
        let candidate = self.candidates.remove(&id).unwrap_or_default();
        let title = candidate.title.clone();
        // A collected image's record was kept by its worker, before the
        // page heard of it: it is written once. Every other state (a
        // duplicate by hash included, which the worker kept as collected)
        // is kept here.
        if state != Settled::Collected {
            let record = ItemRecord::new(self.id, id, candidate, &state, collected.clone());
            self.out.push(Command::Keep(Box::new(record)));
        }
        self.show(Change::Settled {
            id,
            state,
            collected,
            title,
        });
    }

    /// Takes up an interrupted collection: what its earlier run settled for
    /// good is counted and never fetched again; new ids follow its last.
    fn resume_from(&mut self, point: ResumePoint) {
        self.ledger = Ledger::starting_at(point.next_id);
        for r in &point.kept {
            self.earlier.add(r.status);
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
            self.out.push(Command::AskPersist);
        }
        self.show(Change::Counts(counts));
    }

    fn finish_if_settled(&mut self) {
        let c = self.ledger.counts();
        if self.source_done
            && !self.fetching
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
        self.show(Change::Notice(format!("Collecting stopped: {reason}.")));
        self.stopped = Some(reason);
        self.source_done = true;
        for item in std::mem::take(&mut self.queue) {
            self.settle(item.id, Settled::Cancelled, None);
        }
        self.pump();
    }

    fn cancel(&mut self) {
        for worker in 0..self.busy.len() {
            let msg = ToWorker::Cancel {
                collection: self.id,
            };
            self.out.push(Command::Send { worker, msg });
        }
        if self.fetching {
            self.out.push(Command::AbortFetch);
        }
        self.queue.clear();
        self.in_hand.clear();
        for id in self.ledger.cancel_open() {
            let candidate = self.candidates.remove(&id).unwrap_or_default();
            let title = candidate.title.clone();
            let record = ItemRecord::new(self.id, id, candidate, &Settled::Cancelled, None);
            self.out.push(Command::Keep(Box::new(record)));
            self.show(Change::Settled {
                id,
                state: Settled::Cancelled,
                collected: None,
                title,
            });
        }
        self.end(Phase::Cancelled);
    }

    fn end(&mut self, phase: Phase) {
        self.figures();
        self.ended = true;
        self.counts();
        self.show(Change::Phase(phase.clone()));
        self.out.push(Command::Ended(phase));
    }
}
