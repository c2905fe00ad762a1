//! A collection's side of its workers: which worker gets which chunk and
//! with what share of the per-host cap, what their reports settle, and what
//! happens to the items a stopped worker held.

use crate::core::decode::DecodePath;
use crate::core::hosts::{host_of, share};
use crate::core::ledger::{ItemState, Settled};
use crate::core::protocol::{Chunk, FetchRules, FromWorker, JobItem, ToWorker};
use crate::core::retry::RetryPolicy;
use crate::core::urls::normalize;

use super::{Change, Collection, Command};

impl Collection {
    /// Hands the queue's next items to each idle worker.
    pub(super) fn dispatch(&mut self) {
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
            let msg = ToWorker::Chunk(Chunk {
                collection: self.id,
                chunk,
                items,
                checks: self.checks.clone(),
                rules: self.rules(worker),
            });
            self.out.push(Command::Send { worker, msg });
        }
        self.counts();
    }

    /// How worker `worker` fetches: its share of the per-host cap among them all.
    pub fn rules(&self, worker: usize) -> FetchRules {
        let s = &self.settings;
        FetchRules {
            header_timeout_ms: s.header_timeout_s * 1000,
            body_timeout_ms: s.body_timeout_s * 1000,
            retry_base_ms: RetryPolicy::default().base_ms,
            retry_cap_ms: RetryPolicy::default().cap_ms,
            retries: s.retries,
            in_flight: s.per_worker_in_flight.max(1),
            per_host: share(s.per_host_cap as usize, self.busy.len(), worker).max(1) as u32,
        }
    }

    pub(super) fn worker_said(&mut self, worker: usize, msg: FromWorker) {
        match msg {
            FromWorker::Item(r) if r.collection == self.id => {
                self.tell_stand_ins(&r.stand_ins);
                let (state, collected) = match (r.state, r.collected) {
                    (Settled::Collected, Some(c)) => {
                        if let Some(path) = c.decoded_by {
                            *self.decoded_by.entry(path).or_default() += 1;
                        }
                        if self.hashes.insert(c.sha256.clone()) {
                            (Settled::Collected, Some(c))
                        } else {
                            (Settled::Duplicate, None)
                        }
                    }
                    (Settled::Collected, None) => (
                        Settled::Failed(
                            "the worker said it was collected but not what it was".into(),
                        ),
                        None,
                    ),
                    (state, _) => (state, None),
                };
                self.settle(r.id, state, collected);
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
                    let msg = ToWorker::PauseHost {
                        host: host.clone(),
                        for_ms,
                    };
                    self.out.push(Command::Send { worker: other, msg });
                }
                self.show(Change::Alert(format!(
                    "{host} asked us to slow down; its downloads wait {:.1} s.",
                    for_ms as f64 / 1000.0
                )));
            }
            _ => {}
        }
    }

    /// Says once, in the alerts, why a decode path had to be stood in for.
    fn tell_stand_ins(&mut self, stand_ins: &[(DecodePath, String)]) {
        for (path, why) in stand_ins {
            if self.stand_ins_told.insert((*path, why.clone())) {
                self.show(Change::Alert(format!(
                    "Thumbnails: {why}, so another decoder stands in for {}.",
                    path.label()
                )));
            }
        }
    }

    /// A worker stopped: what it held and had not reported goes back to the
    /// queue, once; an item in hand at two stops fails, so one bad file
    /// cannot stop a collection.
    pub(super) fn crashed(&mut self, worker: usize, reason: &str) {
        let Some(Some((_, ids))) = self.busy.get_mut(worker).map(Option::take) else {
            return;
        };
        let mut again = Vec::new();
        for id in ids {
            if !matches!(self.ledger.state(id), Some(ItemState::InFlight)) {
                continue;
            }
            self.in_hand.remove(&id);
            let crashes = self.crashes.entry(id).or_insert(0);
            *crashes += 1;
            let crashes = *crashes;
            let item = self.candidates.get(&id).and_then(|c| {
                Some(JobItem {
                    id,
                    url: normalize(&c.url).ok()?,
                    candidate: c.clone(),
                })
            });
            match item {
                Some(item) if crashes < 2 && self.ledger.requeue(id) => again.push(item),
                _ => self.settle(
                    id,
                    Settled::Failed(format!(
                        "it was in hand each time a worker stopped ({reason}); it is left out so the rest can go on"
                    )),
                    None,
                ),
            }
        }
        for item in again.into_iter().rev() {
            self.queue.push_front(item);
        }
        self.pump();
    }
}
