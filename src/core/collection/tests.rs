//! The collection machine driven natively: examples of its rules, and a
//! proptest that drives it with random inputs (worker reports, crashes,
//! 429s, pressure, pauses, Cancel) and checks what must always hold.

use super::*;
use crate::core::ledger::Status;
use crate::core::protocol::{Chunk, FromWorker, ItemReport};
use crate::core::source::{SourceError, SourceRequest};
use proptest::prelude::*;

/// A source of `pages` pages of `per_page` candidates each, one request a
/// page; a 429 answer is an error carrying its `Retry-After`.
struct Pages {
    pages: u32,
    per_page: u32,
    next: u32,
}

impl Source for Pages {
    fn next(&mut self, _wanted: usize) -> Step {
        if self.next >= self.pages {
            return Step::Done;
        }
        Step::Fetch(SourceRequest {
            url: format!("http://source.example/page/{}", self.next),
            headers: Vec::new(),
        })
    }

    fn read(
        &mut self,
        status: u16,
        retry_after: Option<&str>,
        _body: &str,
    ) -> Result<SourcePage, SourceError> {
        if status != 200 {
            return Err(SourceError::Http {
                status,
                message: format!("the source answered {status}"),
                retry_after: retry_after.map(str::to_string),
            });
        }
        let page = self.next;
        self.next += 1;
        let candidates = (0..self.per_page)
            .map(|i| {
                let n = page * self.per_page + i;
                // Now and then the URL of the candidate before (a duplicate).
                let k = n - (n % 11) / 10;
                Candidate {
                    url: format!("http://h{}.example/{k}.jpg", k % 3),
                    title: format!("image {n}"),
                    ..Candidate::default()
                }
            })
            .collect();
        Ok(SourcePage {
            candidates,
            total: Some((self.pages * self.per_page) as u64),
            notices: Vec::new(),
        })
    }
}

fn settings(max: u32, chunk: u32) -> Settings {
    Settings {
        max_images: max,
        chunk_size: chunk,
        ..Settings::default()
    }
}

fn collected(sha: &str) -> (Settled, Option<Collected>) {
    (
        Settled::Collected,
        Some(Collected {
            width: 100,
            height: 80,
            format: "jpeg".into(),
            bytes: 1000,
            sha256: sha.into(),
            thumb_width: 100,
            thumb_height: 80,
            stored: true,
            decoded_by: Some(DecodePath::ImageDecoder),
        }),
    )
}

fn chunks(cmds: &[Command]) -> Vec<(usize, Chunk)> {
    cmds.iter()
        .filter_map(|c| match c {
            Command::Send {
                worker,
                msg: ToWorker::Chunk(chunk),
            } => Some((*worker, chunk.clone())),
            _ => None,
        })
        .collect()
}

fn item(collection: u32, id: u32, (state, collected): (Settled, Option<Collected>)) -> Input {
    Input::Worker {
        worker: 0,
        msg: FromWorker::Item(ItemReport {
            collection,
            id,
            attempts: 1,
            state,
            collected,
            stand_ins: Vec::new(),
        }),
    }
}

fn ok_page() -> Input {
    Input::SourceAnswer {
        status: 200,
        retry_after: None,
        body: String::new(),
    }
}

#[test]
fn it_takes_up_to_max_then_ends_done_once_all_settle() {
    let mut c = Collection::new(
        7,
        Box::new(Pages {
            pages: 4,
            per_page: 10,
            next: 0,
        }),
        settings(15, 64),
        1,
        None,
    );
    let first = c.start();
    assert!(matches!(
        first[0],
        Command::Show(Change::Phase(Phase::Collecting))
    ));
    assert!(first.iter().any(|c| matches!(c, Command::Fetch(_))));
    let mut out = c.handle(ok_page(), 0.0, 0.5);
    out.extend(c.handle(ok_page(), 0.0, 0.5));
    let mut sent = chunks(&out);
    let mut taken = 0;
    while let Some((_, chunk)) = sent.pop() {
        assert!(sent.is_empty(), "one worker, one chunk at a time");
        for i in &chunk.items {
            c.handle(item(7, i.id, collected(&format!("sha{}", i.id))), 0.0, 0.5);
        }
        taken += chunk.items.len();
        let done = FromWorker::ChunkDone {
            collection: 7,
            chunk: chunk.chunk,
            items: chunk.items.len() as u32,
            elapsed_ms: 100.0,
            wasm_bytes: 0,
        };
        out = c.handle(
            Input::Worker {
                worker: 0,
                msg: done,
            },
            0.0,
            0.5,
        );
        sent = chunks(&out);
    }
    // Max is 15; the 11th candidate's URL is the 10th's: a duplicate, never fetched.
    assert_eq!(taken, 14);
    assert_eq!(out.last(), Some(&Command::Ended(Phase::Done)));
    let counts = out.iter().rev().find_map(|x| match x {
        Command::Show(Change::Counts(n)) => Some(*n),
        _ => None,
    });
    let n = counts.expect("the counts are shown");
    assert_eq!((n.seen, n.collected, n.duplicate), (15, 14, 1));
    assert!(c.has_ended());
}

#[test]
fn a_second_answer_of_the_same_bytes_is_a_duplicate() {
    let mut c = Collection::new(
        1,
        Box::new(Pages {
            pages: 1,
            per_page: 3,
            next: 0,
        }),
        settings(3, 10),
        1,
        None,
    );
    c.start();
    let sent = chunks(&c.handle(ok_page(), 0.0, 0.5));
    let ids: Vec<u32> = sent[0].1.items.iter().map(|i| i.id).collect();
    c.handle(item(1, ids[0], collected("same")), 0.0, 0.5);
    let out = c.handle(item(1, ids[1], collected("same")), 0.0, 0.5);
    assert!(out.contains(&Command::Show(Change::Settled {
        id: ids[1],
        state: Settled::Duplicate,
        collected: None
    })));
    // A duplicate's record is kept by the page (its worker kept it as collected).
    assert!(out
        .iter()
        .any(|x| matches!(x, Command::Keep(r) if r.id == ids[1] && r.status == Status::Duplicate)));
}

#[test]
fn an_item_in_hand_at_two_worker_stops_runs_alone_then_fails() {
    let mut c = Collection::new(
        1,
        Box::new(Pages {
            pages: 1,
            per_page: 4,
            next: 0,
        }),
        settings(4, 10),
        1,
        None,
    );
    c.start();
    let sent = chunks(&c.handle(ok_page(), 0.0, 0.5));
    assert_eq!(sent[0].1.items.len(), 4);
    // The first stop: everything in hand goes back; each runs alone now.
    let again = chunks(&c.handle(
        Input::Crashed {
            worker: 0,
            reason: "boom".into(),
        },
        0.0,
        0.5,
    ));
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].1.items.len(), 1, "a suspect runs alone");
    let suspect = again[0].1.items[0].id;
    let out = c.handle(
        Input::Crashed {
            worker: 0,
            reason: "boom".into(),
        },
        0.0,
        0.5,
    );
    let failed = out.iter().find_map(|x| match x {
        Command::Show(Change::Settled {
            id,
            state: Settled::Failed(why),
            ..
        }) if *id == suspect => Some(why.clone()),
        _ => None,
    });
    assert_eq!(
        failed.as_deref(),
        Some("it was in hand each time a worker stopped (boom); it is left out so the rest can go on")
    );
}

#[test]
fn critical_memory_holds_intake_until_normal() {
    let mut c = Collection::new(
        1,
        Box::new(Pages {
            pages: 1,
            per_page: 40,
            next: 0,
        }),
        settings(40, 5),
        1,
        None,
    );
    c.start();
    let out = c.handle(Input::Pressure(PressureLevel::Critical), 0.0, 0.5);
    assert!(out.contains(&Command::Show(Change::Phase(Phase::Paused))));
    // The page is read, but nothing goes to a worker while memory is critical.
    assert!(chunks(&c.handle(ok_page(), 0.0, 0.5)).is_empty());
    assert!(chunks(&c.handle(Input::Pressure(PressureLevel::Warning), 0.0, 0.5)).is_empty());
    let out = c.handle(Input::Pressure(PressureLevel::Normal), 0.0, 0.5);
    assert!(out.contains(&Command::Show(Change::Phase(Phase::Collecting))));
    assert_eq!(chunks(&out).len(), 1);
}

#[test]
fn a_429_from_the_source_waits_and_a_404_first_stops_with_its_sentence() {
    let mut c = Collection::new(
        1,
        Box::new(Pages {
            pages: 2,
            per_page: 5,
            next: 0,
        }),
        settings(10, 5),
        1,
        None,
    );
    c.start();
    let busy = Input::SourceAnswer {
        status: 429,
        retry_after: Some("3".into()),
        body: String::new(),
    };
    assert_eq!(c.handle(busy, 0.0, 0.5), vec![Command::WakeIn(3_000)]);
    assert!(matches!(
        c.handle(Input::Wake, 0.0, 0.5)[0],
        Command::Fetch(_)
    ));

    let mut c = Collection::new(
        2,
        Box::new(Pages {
            pages: 2,
            per_page: 5,
            next: 0,
        }),
        settings(10, 5),
        1,
        None,
    );
    c.start();
    let gone = Input::SourceAnswer {
        status: 404,
        retry_after: None,
        body: String::new(),
    };
    let out = c.handle(gone, 0.0, 0.5);
    assert_eq!(
        out.last(),
        Some(&Command::Ended(Phase::Stopped(
            "the source answered 404".into()
        )))
    );
}

#[test]
fn cancel_settles_what_is_open_tells_every_worker_and_ends() {
    let mut c = Collection::new(
        3,
        Box::new(Pages {
            pages: 3,
            per_page: 10,
            next: 0,
        }),
        settings(30, 5),
        2,
        None,
    );
    c.start();
    c.handle(ok_page(), 0.0, 0.5);
    let out = c.handle(Input::Cancel, 0.0, 0.5);
    let told: Vec<usize> = out
        .iter()
        .filter_map(|x| match x {
            Command::Send {
                worker,
                msg: ToWorker::Cancel { collection: 3 },
            } => Some(*worker),
            _ => None,
        })
        .collect();
    assert_eq!(told, vec![0, 1]);
    assert_eq!(out.last(), Some(&Command::Ended(Phase::Cancelled)));
    // After its end a collection does nothing more.
    assert!(c.handle(ok_page(), 0.0, 0.5).is_empty());
}

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
    found: HashSet<u32>,
    settled: HashSet<u32>,
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
                Command::Show(Change::Found { id, .. }) => {
                    prop_assert!(self.found.insert(id), "found once");
                }
                Command::Show(Change::Settled { id, .. }) => {
                    prop_assert!(self.found.contains(&id), "settled after found");
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
                    prop_assert_eq!(n.seen as usize, self.found.len());
                    prop_assert_eq!(n.settled() as usize, self.settled.len());
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
            found: HashSet::new(), settled: HashSet::new(),
            cancelled: false, ended: 0, last: None, reports: 0,
        };
        let first = w.c.start();
        w.check(first)?;
        for a in acts {
            w.act(a)?;
        }
        w.settle_all()?;
        prop_assert_eq!(w.ended, 1, "it ends exactly once");
        prop_assert_eq!(&w.settled, &w.found, "every candidate found settled");
        prop_assert!(w.found.len() <= max as usize);
        if w.cancelled {
            for id in &w.found {
                prop_assert!(matches!(w.c.state(*id), Some(ItemState::Settled(_))), "nothing in flight after Cancel");
            }
        }
    }
}
