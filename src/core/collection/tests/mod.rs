//! The collection machine driven natively: examples of its rules, and the
//! world its proptest ([`random`]) drives it in.

mod random;

use super::*;
use crate::core::ledger::Status;
use crate::core::protocol::{Chunk, FromWorker, ItemReport};
use crate::core::source::{SourceError, SourceRequest};
use proptest::prelude::*;

/// A source of `pages` pages of `per_page` candidates each, one request a
/// page; a 429 answer is an error carrying its `Retry-After`.
pub(super) struct Pages {
    pub(super) pages: u32,
    pub(super) per_page: u32,
    pub(super) next: u32,
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

pub(super) fn settings(max: u32, chunk: u32) -> Settings {
    Settings {
        max_images: max,
        chunk_size: chunk,
        ..Settings::default()
    }
}

pub(super) fn collected(sha: &str) -> (Settled, Option<Collected>) {
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

pub(super) fn chunks(cmds: &[Command]) -> Vec<(usize, Chunk)> {
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
    assert!(out.iter().any(|x| matches!(x, Command::Show(Change::Settled { id, state: Settled::Duplicate, collected: None, .. }) if *id == ids[1])));
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
