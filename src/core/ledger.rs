//! The ledger: every candidate ends in exactly one state.
//!
//! Downloads run in several workers, can be retried, re-queued when a chunk
//! has to run again, and cancelled at any moment. The counts the user sees
//! ("40 collected, 3 failed, 7 cancelled") must still add up, and an image
//! reported as collected must never later turn into "failed". The ledger is
//! the one place that tracks each candidate from queued to settled, ignores
//! late or repeated reports, and keeps its counts in step as it goes.

use serde::{Deserialize, Serialize};

/// How a candidate ended. Once settled, it never changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Settled {
    /// Downloaded, checked and kept.
    Collected,
    /// The same image (same URL or same bytes) was already collected.
    Duplicate,
    /// Left out by the user's filters; the text says which.
    Filtered(String),
    /// Could not be downloaded or decoded; the text says why.
    Failed(String),
    /// The user pressed Cancel before it ended.
    Cancelled,
}

impl Settled {
    /// Its word.
    pub fn status(&self) -> Status {
        match self {
            Settled::Collected => Status::Collected,
            Settled::Duplicate => Status::Duplicate,
            Settled::Filtered(_) => Status::Filtered,
            Settled::Failed(_) => Status::Failed,
            Settled::Cancelled => Status::Cancelled,
        }
    }

    /// Why it failed or was filtered out; empty otherwise.
    pub fn reason(&self) -> &str {
        match self {
            Settled::Filtered(why) | Settled::Failed(why) => why,
            _ => "",
        }
    }

    /// The state a word and a reason name (as a record keeps them).
    pub fn of(status: Status, reason: &str) -> Settled {
        match status {
            Status::Collected => Settled::Collected,
            Status::Duplicate => Settled::Duplicate,
            Status::Filtered => Settled::Filtered(reason.into()),
            Status::Failed => Settled::Failed(reason.into()),
            Status::Cancelled => Settled::Cancelled,
        }
    }
}

/// How a candidate ended, in one word: what a record keeps, a tile shows
/// (`data-state`) and the counts count. Written and read as the lowercase word.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Collected,
    Duplicate,
    Filtered,
    Failed,
    /// Also what a record without a word is read as: tried again on Resume.
    #[default]
    Cancelled,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Collected => "collected",
            Status::Duplicate => "duplicate",
            Status::Filtered => "filtered",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
        }
    }

    /// Whether a collection keeps it on Resume (the others are tried again).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Status::Collected | Status::Duplicate | Status::Filtered
        )
    }
}

/// Where a candidate is.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ItemState {
    /// Waiting for a worker.
    Queued,
    /// A worker is downloading it.
    InFlight,
    /// Done, one way or another.
    Settled(Settled),
}

/// How many candidates are in each state. Always
/// `queued + in_flight + collected + duplicate + filtered + failed + cancelled == seen`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub seen: u32,
    pub queued: u32,
    pub in_flight: u32,
    pub collected: u32,
    pub duplicate: u32,
    pub filtered: u32,
    pub failed: u32,
    pub cancelled: u32,
}

impl Counts {
    /// Candidates not yet settled (queued or in flight).
    pub fn open(&self) -> u32 {
        self.queued + self.in_flight
    }

    /// Candidates settled in any way.
    pub fn settled(&self) -> u32 {
        self.collected + self.duplicate + self.filtered + self.failed + self.cancelled
    }

    /// These counts and `other`'s, added (a resumed collection's earlier
    /// run and its new one).
    pub fn plus(&self, other: &Counts) -> Counts {
        Counts {
            seen: self.seen + other.seen,
            queued: self.queued + other.queued,
            in_flight: self.in_flight + other.in_flight,
            collected: self.collected + other.collected,
            duplicate: self.duplicate + other.duplicate,
            filtered: self.filtered + other.filtered,
            failed: self.failed + other.failed,
            cancelled: self.cancelled + other.cancelled,
        }
    }

    /// Counts one more candidate ended as `status`.
    pub fn add(&mut self, status: Status) {
        self.seen += 1;
        *match status {
            Status::Collected => &mut self.collected,
            Status::Duplicate => &mut self.duplicate,
            Status::Filtered => &mut self.filtered,
            Status::Failed => &mut self.failed,
            Status::Cancelled => &mut self.cancelled,
        } += 1;
    }

    /// The counter for one state.
    fn slot(&mut self, state: &ItemState) -> &mut u32 {
        match state {
            ItemState::Queued => &mut self.queued,
            ItemState::InFlight => &mut self.in_flight,
            ItemState::Settled(Settled::Collected) => &mut self.collected,
            ItemState::Settled(Settled::Duplicate) => &mut self.duplicate,
            ItemState::Settled(Settled::Filtered(_)) => &mut self.filtered,
            ItemState::Settled(Settled::Failed(_)) => &mut self.failed,
            ItemState::Settled(Settled::Cancelled) => &mut self.cancelled,
        }
    }
}

/// Tracks every candidate of one collection run by id (`first`, `first + 1`, ...).
#[derive(Clone, Debug, Default)]
pub struct Ledger {
    /// The first id: 0, or past the ids of an earlier run when resuming.
    first: u32,
    items: Vec<ItemState>,
    counts: Counts,
}

impl Ledger {
    pub fn new() -> Self {
        Ledger::default()
    }

    /// A ledger whose ids start at `first` (a resumed collection's new
    /// candidates never reuse an id its earlier run gave).
    pub fn starting_at(first: u32) -> Self {
        Ledger {
            first,
            ..Ledger::default()
        }
    }

    /// Register a new candidate; it starts `Queued`. Returns its id.
    ///
    /// Ids are dense from the first. (Past `u32::MAX`, far beyond what a
    /// page can hold, no more are registered and `u32::MAX` is returned.)
    pub fn add(&mut self) -> u32 {
        let Some(id) = u32::try_from(self.items.len())
            .ok()
            .and_then(|n| n.checked_add(self.first))
        else {
            return u32::MAX;
        };
        if id == u32::MAX {
            return u32::MAX;
        }
        self.items.push(ItemState::Queued);
        self.counts.seen += 1;
        self.counts.queued += 1;
        id
    }

    fn index(&self, id: u32) -> Option<usize> {
        id.checked_sub(self.first).map(|i| i as usize)
    }

    /// A worker took the candidate: `Queued` → `InFlight`. Returns false (and
    /// changes nothing) for an unknown id or a candidate in another state.
    pub fn start(&mut self, id: u32) -> bool {
        self.move_if(id, &ItemState::Queued, ItemState::InFlight)
    }

    /// Put an in-flight candidate back in the queue (its chunk must run
    /// again): `InFlight` → `Queued`. Returns false otherwise.
    pub fn requeue(&mut self, id: u32) -> bool {
        self.move_if(id, &ItemState::InFlight, ItemState::Queued)
    }

    /// Settle a queued or in-flight candidate. Returns true the first time;
    /// settling an unknown or already settled id changes nothing and
    /// returns false.
    pub fn settle(&mut self, id: u32, outcome: Settled) -> bool {
        let Some(state) = self.index(id).and_then(|i| self.items.get_mut(i)) else {
            return false;
        };
        if matches!(state, ItemState::Settled(_)) {
            return false;
        }
        let new_state = ItemState::Settled(outcome);
        *self.counts.slot(state) -= 1;
        *self.counts.slot(&new_state) += 1;
        *state = new_state;
        true
    }

    /// Cancel every candidate still queued or in flight. Returns their ids,
    /// in order.
    pub fn cancel_open(&mut self) -> Vec<u32> {
        let mut cancelled = Vec::new();
        if self.counts.open() == 0 {
            return cancelled;
        }
        for (index, state) in self.items.iter_mut().enumerate() {
            if matches!(state, ItemState::Settled(_)) {
                continue;
            }
            *self.counts.slot(state) -= 1;
            self.counts.cancelled += 1;
            *state = ItemState::Settled(Settled::Cancelled);
            // `add` keeps every id within u32.
            cancelled.push(self.first + index as u32);
        }
        cancelled
    }

    /// The state of a candidate, or `None` for an unknown id.
    pub fn state(&self, id: u32) -> Option<&ItemState> {
        self.items.get(self.index(id)?)
    }

    /// The counts per state, kept up to date as events arrive.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    fn move_if(&mut self, id: u32, from: &ItemState, to: ItemState) -> bool {
        let Some(state) = self.index(id).and_then(|i| self.items.get_mut(i)) else {
            return false;
        };
        if *state != *from {
            return false;
        }
        *self.counts.slot(state) -= 1;
        *self.counts.slot(&to) += 1;
        *state = to;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn assert_invariant(counts: &Counts) {
        assert_eq!(counts.open() + counts.settled(), counts.seen, "{counts:?}");
    }

    #[test]
    fn a_resumed_ledger_gives_ids_past_the_earlier_run() {
        let mut ledger = Ledger::starting_at(40);
        assert_eq!((ledger.add(), ledger.add(), ledger.add()), (40, 41, 42));
        assert_eq!(
            ledger.state(0),
            None,
            "ids of the earlier run are not this ledger's"
        );
        assert_eq!(ledger.state(39), None);
        assert!(ledger.start(41));
        assert!(ledger.settle(41, Settled::Collected));
        assert!(!ledger.settle(3, Settled::Collected));
        assert_eq!(ledger.cancel_open(), vec![40, 42]);
        let c = ledger.counts();
        assert_eq!((c.seen, c.collected, c.cancelled), (3, 1, 2));
    }

    #[test]
    fn an_item_goes_from_queued_to_settled_once() {
        let mut ledger = Ledger::new();
        let a = ledger.add();
        let b = ledger.add();
        assert_eq!((a, b), (0, 1));
        assert_eq!(ledger.state(a), Some(&ItemState::Queued));
        assert!(ledger.start(a));
        assert!(!ledger.start(a), "already in flight");
        assert_eq!(ledger.state(a), Some(&ItemState::InFlight));
        assert_eq!(ledger.counts().in_flight, 1);

        assert!(ledger.settle(a, Settled::Collected));
        assert!(!ledger.settle(a, Settled::Failed("late".into())));
        assert!(!ledger.requeue(a));
        assert!(!ledger.start(a));
        assert_eq!(
            ledger.state(a),
            Some(&ItemState::Settled(Settled::Collected))
        );

        // A queued item can be settled without starting (e.g. filtered early).
        assert!(ledger.settle(b, Settled::Filtered("too small".into())));
        assert_eq!(
            ledger.counts(),
            Counts {
                seen: 2,
                collected: 1,
                filtered: 1,
                ..Counts::default()
            }
        );
        assert_invariant(&ledger.counts());

        // Unknown ids change nothing.
        assert!(!ledger.settle(99, Settled::Collected));
        assert!(!ledger.start(99));
        assert!(!ledger.requeue(99));
        assert_eq!(ledger.state(99), None);
        assert_eq!(ledger.counts().seen, 2);
    }

    #[test]
    fn requeue_returns_an_in_flight_item_to_the_queue() {
        let mut ledger = Ledger::new();
        let id = ledger.add();
        assert!(!ledger.requeue(id), "a queued item is not in flight");
        assert!(ledger.start(id));
        assert!(ledger.requeue(id));
        assert_eq!(ledger.state(id), Some(&ItemState::Queued));
        assert_eq!(ledger.counts().queued, 1);
        assert_eq!(ledger.counts().in_flight, 0);
        assert!(ledger.start(id));
        assert!(ledger.settle(id, Settled::Duplicate));
        assert_eq!(ledger.counts().duplicate, 1);
    }

    #[test]
    fn cancel_settles_everything_open_and_nothing_else() {
        let mut ledger = Ledger::new();
        let ids: Vec<u32> = (0..5).map(|_| ledger.add()).collect();
        ledger.start(ids[1]);
        ledger.start(ids[2]);
        ledger.settle(
            ids[2],
            Settled::Failed("the server answered 404 Not Found".into()),
        );
        ledger.settle(ids[3], Settled::Collected);
        assert_eq!(ledger.cancel_open(), vec![0, 1, 4]);
        assert_eq!(ledger.cancel_open(), Vec::<u32>::new());
        let counts = ledger.counts();
        assert_eq!(counts.cancelled, 3);
        assert_eq!(counts.failed, 1);
        assert_eq!(counts.collected, 1);
        assert_eq!(counts.open(), 0);
        assert_invariant(&counts);
        // Reports arriving after Cancel are ignored.
        assert!(!ledger.settle(ids[1], Settled::Collected));
        assert_eq!(
            ledger.state(ids[1]),
            Some(&ItemState::Settled(Settled::Cancelled))
        );
        // New candidates may still be added afterwards.
        let late = ledger.add();
        assert_eq!(ledger.state(late), Some(&ItemState::Queued));
        assert_invariant(&ledger.counts());
    }

    #[derive(Clone, Debug)]
    enum Op {
        Add,
        Start(u32),
        Settle(u32, Settled),
        Requeue(u32),
        CancelOpen,
    }

    fn outcome() -> impl Strategy<Value = Settled> {
        prop_oneof![
            Just(Settled::Collected),
            Just(Settled::Duplicate),
            Just(Settled::Filtered("filtered".into())),
            Just(Settled::Failed("failed".into())),
            Just(Settled::Cancelled),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        // Ids reach past the number of items added, to include unknown ones.
        prop_oneof![
            4 => Just(Op::Add),
            4 => (0u32..40).prop_map(Op::Start),
            4 => ((0u32..40), outcome()).prop_map(|(id, s)| Op::Settle(id, s)),
            2 => (0u32..40).prop_map(Op::Requeue),
            1 => Just(Op::CancelOpen),
        ]
    }

    /// The naive model: count by walking every state.
    fn model_counts(model: &[ItemState]) -> Counts {
        let mut counts = Counts {
            seen: model.len() as u32,
            ..Counts::default()
        };
        for state in model {
            *counts.slot(state) += 1;
        }
        counts
    }

    proptest! {
        #[test]
        fn state_invariant_holds_in_any_event_order(ops in prop::collection::vec(op(), 0..200)) {
            let mut ledger = Ledger::new();
            let mut model: Vec<ItemState> = Vec::new();
            for op in ops {
                let before = model.clone();
                match op {
                    Op::Add => {
                        let id = ledger.add();
                        prop_assert_eq!(id as usize, model.len());
                        model.push(ItemState::Queued);
                    }
                    Op::Start(id) => {
                        let expected = model.get(id as usize) == Some(&ItemState::Queued);
                        prop_assert_eq!(ledger.start(id), expected);
                        if expected {
                            model[id as usize] = ItemState::InFlight;
                        }
                    }
                    Op::Requeue(id) => {
                        let expected = model.get(id as usize) == Some(&ItemState::InFlight);
                        prop_assert_eq!(ledger.requeue(id), expected);
                        if expected {
                            model[id as usize] = ItemState::Queued;
                        }
                    }
                    Op::Settle(id, outcome) => {
                        let expected = matches!(
                            model.get(id as usize),
                            Some(ItemState::Queued | ItemState::InFlight)
                        );
                        prop_assert_eq!(ledger.settle(id, outcome.clone()), expected);
                        if expected {
                            model[id as usize] = ItemState::Settled(outcome);
                        }
                    }
                    Op::CancelOpen => {
                        let mut expected = Vec::new();
                        for (i, state) in model.iter_mut().enumerate() {
                            if !matches!(state, ItemState::Settled(_)) {
                                *state = ItemState::Settled(Settled::Cancelled);
                                expected.push(i as u32);
                            }
                        }
                        prop_assert_eq!(ledger.cancel_open(), expected);
                    }
                }
                let counts = ledger.counts();
                prop_assert_eq!(counts, model_counts(&model));
                prop_assert_eq!(counts.open() + counts.settled(), counts.seen);
                for (i, state) in model.iter().enumerate() {
                    prop_assert_eq!(ledger.state(i as u32), Some(state));
                }
                // A settled item never changes state.
                for (i, old) in before.iter().enumerate() {
                    if matches!(old, ItemState::Settled(_)) {
                        prop_assert_eq!(ledger.state(i as u32), Some(old));
                    }
                }
            }
        }
    }
}
