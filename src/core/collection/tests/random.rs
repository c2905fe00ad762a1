//! The proptest: the collection machine driven with random sequences of
//! worker reports, repeated reports, crashes, 429s, pressure, pauses, going
//! offline and Cancel, checking what must always hold.

use super::*;

/// One thing that happens in the randomized world.
#[derive(Clone, Debug)]
enum Act {
    /// The source answers its request: 200, or a 429.
    Answer {
        busy: bool,
    },
    Wake,
    /// Worker w reports its next item: 0 collected, 1 duplicate bytes, 2 failed, 3 filtered.
    Report {
        worker: usize,
        kind: u8,
    },
    /// Worker w says its chunk is done (if all of it was reported).
    ChunkDone {
        worker: usize,
    },
    Crash {
        worker: usize,
    },
    Pressure(u8),
    Pause(bool),
    Online(bool),
    Tick,
    Cancel,
    /// The last report again (a late or repeated message).
    Repeat,
}

fn act() -> impl Strategy<Value = Act> {
    prop_oneof![
        6 => Just(Act::Answer { busy: false }),
        1 => Just(Act::Answer { busy: true }),
        1 => Just(Act::Wake),
        12 => (0usize..3, 0u8..4).prop_map(|(worker, kind)| Act::Report { worker, kind }),
        4 => (0usize..3).prop_map(|worker| Act::ChunkDone { worker }),
        1 => (0usize..3).prop_map(|worker| Act::Crash { worker }),
        1 => (0u8..3).prop_map(Act::Pressure),
        1 => any::<bool>().prop_map(Act::Pause),
        1 => any::<bool>().prop_map(Act::Online),
        1 => Just(Act::Tick),
        1 => Just(Act::Cancel),
        2 => Just(Act::Repeat),
    ]
}

/// The world around the machine: what each worker holds, what is pending,
/// and what was shown, checked as it goes.
struct World {
    c: Collection,
    workers: usize,
    cap: u32,
    /// Per worker: its chunk id, and the items not yet reported.
    held: Vec<Option<(u32, Vec<u32>)>>,
    fetch_pending: bool,
    wake_pending: bool,
    settled: HashSet<u32>,
    /// The last counts shown.
    counts: Counts,
    cancelled: bool,
    ended: u32,
    /// The last report a worker sent.
    last: Option<Input>,
    /// Reports in all, for the test's own sense of coverage.
    reports: u32,
}

impl World {
    fn apply(&mut self, input: Input) -> Result<(), TestCaseError> {
        let out = self.c.handle(input, 0.0, 0.5);
        self.check(out)
    }

    fn check(&mut self, out: Vec<Command>) -> Result<(), TestCaseError> {
        for cmd in out {
            match cmd {
                Command::Fetch(_) => self.fetch_pending = true,
                Command::AbortFetch => self.fetch_pending = false,
                Command::WakeIn(_) => self.wake_pending = true,
                Command::Send {
                    worker,
                    msg: ToWorker::Chunk(chunk),
                } => {
                    prop_assert!(!self.cancelled, "nothing is sent after Cancel");
                    prop_assert!(
                        self.held[worker].is_none(),
                        "a worker holds one chunk at a time"
                    );
                    // The shares of the per-host cap add up to it at most.
                    let shares: u32 = (0..self.workers).map(|w| self.c.rules(w).per_host).sum();
                    prop_assert!(shares <= self.cap.max(self.workers as u32));
                    prop_assert!(chunk.items.len() as u32 <= 64);
                    let ids = chunk.items.iter().map(|i| i.id).collect();
                    self.held[worker] = Some((chunk.chunk, ids));
                }
                Command::Send { .. } | Command::Keep(_) | Command::AskPersist => {}
                Command::Show(Change::Settled { id, .. }) => {
                    prop_assert!(self.settled.insert(id), "candidate {} settled twice", id);
                }
                Command::Show(Change::Counts(n)) => {
                    let sum = n.collected
                        + n.duplicate
                        + n.filtered
                        + n.failed
                        + n.cancelled
                        + n.queued
                        + n.in_flight;
                    prop_assert_eq!(sum, n.seen, "the counts add up: {:?}", n);
                    prop_assert_eq!(n.settled() as usize, self.settled.len());
                    self.counts = n;
                }
                Command::Show(_) => {}
                Command::Ended(_) => self.ended += 1,
            }
        }
        Ok(())
    }

    fn act(&mut self, a: Act) -> Result<(), TestCaseError> {
        let id = self.c.id();
        match a {
            Act::Answer { busy } if self.fetch_pending => {
                self.fetch_pending = false;
                let input = Input::SourceAnswer {
                    status: if busy { 429 } else { 200 },
                    retry_after: busy.then(|| "1".to_string()),
                    body: String::new(),
                };
                self.apply(input)?;
            }
            Act::Wake if self.wake_pending => {
                self.wake_pending = false;
                self.apply(Input::Wake)?;
            }
            Act::Report { worker, kind } if worker < self.workers => {
                let Some((_, items)) = self.held[worker].as_mut() else {
                    return Ok(());
                };
                let Some(item_id) = (!items.is_empty()).then(|| items.remove(0)) else {
                    return Ok(());
                };
                let (state, collected) = match kind {
                    0 => collected(&format!("sha{item_id}")),
                    1 => collected("the same bytes"),
                    2 => (Settled::Failed("the server answered 500".into()), None),
                    _ => (Settled::Filtered("too small".into()), None),
                };
                let msg = FromWorker::Item(ItemReport {
                    collection: id,
                    id: item_id,
                    attempts: 1,
                    state,
                    collected,
                    stand_ins: Vec::new(),
                });
                self.last = Some(Input::Worker {
                    worker,
                    msg: msg.clone(),
                });
                self.reports += 1;
                self.apply(Input::Worker { worker, msg })?;
            }
            Act::ChunkDone { worker } if worker < self.workers => {
                if let Some((chunk, items)) = self.held[worker].clone() {
                    if items.is_empty() {
                        self.held[worker] = None;
                        let msg = FromWorker::ChunkDone {
                            collection: id,
                            chunk,
                            items: 1,
                            elapsed_ms: 50.0,
                            wasm_bytes: 0,
                        };
                        self.apply(Input::Worker { worker, msg })?;
                    }
                }
            }
            Act::Crash { worker } if worker < self.workers => {
                self.held[worker] = None;
                self.apply(Input::Crashed {
                    worker,
                    reason: "a panic".into(),
                })?;
            }
            Act::Pressure(level) => {
                let level = [
                    PressureLevel::Normal,
                    PressureLevel::Warning,
                    PressureLevel::Critical,
                ][level as usize % 3];
                self.apply(Input::Pressure(level))?;
            }
            Act::Pause(p) => self.apply(Input::Pause(p))?,
            Act::Online(o) => self.apply(Input::Online(o))?,
            Act::Tick => self.apply(Input::Tick)?,
            Act::Cancel => {
                let before = self.ended;
                self.apply(Input::Cancel)?;
                if self.ended > before {
                    self.cancelled = true;
                }
            }
            Act::Repeat => {
                if let Some(input) = self.last.clone() {
                    self.apply(input)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Lets everything finish well: memory normal, resumed, online, every
    /// request answered, every item collected, every chunk done.
    fn settle_all(&mut self) -> Result<(), TestCaseError> {
        self.apply(Input::Pressure(PressureLevel::Normal))?;
        self.apply(Input::Pause(false))?;
        self.apply(Input::Online(true))?;
        for _ in 0..10_000 {
            if self.ended > 0 {
                break;
            }
            if self.wake_pending {
                self.act(Act::Wake)?;
            } else if self.fetch_pending {
                self.act(Act::Answer { busy: false })?;
            } else if let Some(w) = (0..self.workers)
                .find(|w| self.held[*w].as_ref().is_some_and(|(_, i)| !i.is_empty()))
            {
                self.act(Act::Report { worker: w, kind: 0 })?;
            } else if let Some(w) = (0..self.workers).find(|w| self.held[*w].is_some()) {
                self.act(Act::ChunkDone { worker: w })?;
            } else {
                break;
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Whatever happens, in whatever order: every candidate settles exactly
    /// once, the counts add up, the per-host shares never pass the cap,
    /// nothing is sent after Cancel and nothing is in flight then, and the
    /// collection ends exactly once.
    #[test]
    fn every_candidate_settles_once_whatever_happens(
        acts in proptest::collection::vec(act(), 0..300),
        workers in 1usize..4,
        pages in 1u32..5,
        per_page in 1u32..20,
        max in 1u32..60,
        chunk in 1u32..10,
        cap in 1u32..8,
    ) {
        let mut s = settings(max, chunk);
        s.per_host_cap = cap;
        let source = Pages { pages, per_page, next: 0 };
        let c = Collection::new(9, Box::new(source), s, workers, None);
        let mut w = World {
            c, workers, cap,
            held: vec![None; workers],
            fetch_pending: false, wake_pending: false,
            settled: HashSet::new(), counts: Counts::default(),
            cancelled: false, ended: 0, last: None, reports: 0,
        };
        let first = w.c.start();
        w.check(first)?;
        for a in acts {
            w.act(a)?;
        }
        w.settle_all()?;
        prop_assert_eq!(w.ended, 1, "it ends exactly once");
        prop_assert_eq!(w.settled.len(), w.counts.seen as usize, "every candidate seen settled");
        prop_assert!(w.settled.len() <= max as usize);
        if w.cancelled {
            for id in &w.settled {
                prop_assert!(matches!(w.c.state(*id), Some(ItemState::Settled(_))), "nothing in flight after Cancel");
            }
        }
    }
}
