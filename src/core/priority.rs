//! The worker pool's job queue, served by priority.
//!
//! A visible thumbnail that must be made again should not wait behind a whole
//! collection chunk, and prefetch work should only use a worker nobody else
//! wants, so jobs are queued by [`Priority`], as the desktop app's task queue
//! did: [`JobQueue::pop`] always serves the highest priority waiting, and the
//! oldest job within it. Jobs that are no longer wanted (thumbnails scrolled
//! away) can be dropped with [`JobQueue::retain`] before a worker gets them.

use std::cmp::Ordering;
use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// How urgent a job is. Compares so that more urgent is greater:
/// `Critical > High > Normal > Low`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Priority {
    /// A visible thumbnail to make again.
    Critical,
    /// The detail view's full image.
    High,
    /// Collection chunks.
    Normal,
    /// Prefetch of rows just past the viewport.
    Low,
}

impl Priority {
    /// Every priority, most urgent first (the order jobs are served in).
    pub const ALL: [Priority; 4] = [
        Priority::Critical,
        Priority::High,
        Priority::Normal,
        Priority::Low,
    ];

    /// Position in [`Priority::ALL`]: 0 for Critical, 3 for Low.
    fn index(self) -> usize {
        match self {
            Priority::Critical => 0,
            Priority::High => 1,
            Priority::Normal => 2,
            Priority::Low => 3,
        }
    }
}

impl Ord for Priority {
    fn cmp(&self, other: &Self) -> Ordering {
        // A smaller index is more urgent, so it compares greater.
        other.index().cmp(&self.index())
    }
}

impl PartialOrd for Priority {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Jobs waiting for a worker: highest priority first, first in first out
/// within a priority.
#[derive(Clone, Debug)]
pub struct JobQueue<T> {
    /// One queue per priority, in the order of [`Priority::ALL`].
    queues: [VecDeque<T>; 4],
}

impl<T> Default for JobQueue<T> {
    fn default() -> Self {
        JobQueue::new()
    }
}

impl<T> JobQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        JobQueue {
            queues: [
                VecDeque::new(),
                VecDeque::new(),
                VecDeque::new(),
                VecDeque::new(),
            ],
        }
    }

    /// Adds a job behind the others of its priority.
    pub fn push(&mut self, priority: Priority, job: T) {
        self.queues[priority.index()].push_back(job);
    }

    /// Takes the next job: the oldest of the highest priority waiting.
    pub fn pop(&mut self) -> Option<(Priority, T)> {
        Priority::ALL
            .into_iter()
            .find_map(|p| self.queues[p.index()].pop_front().map(|job| (p, job)))
    }

    /// The priority of the job [`pop`](Self::pop) would return, if any.
    pub fn peek_priority(&self) -> Option<Priority> {
        Priority::ALL
            .into_iter()
            .find(|p| !self.queues[p.index()].is_empty())
    }

    /// Number of jobs waiting.
    pub fn len(&self) -> usize {
        self.queues.iter().map(VecDeque::len).sum()
    }

    /// Whether no job is waiting.
    pub fn is_empty(&self) -> bool {
        self.queues.iter().all(VecDeque::is_empty)
    }

    /// Number of jobs waiting at one priority.
    pub fn len_of(&self, priority: Priority) -> usize {
        self.queues[priority.index()].len()
    }

    /// Keeps only the jobs for which `keep` returns true; order is kept.
    pub fn retain<F: FnMut(&T) -> bool>(&mut self, mut keep: F) {
        for queue in &mut self.queues {
            queue.retain(&mut keep);
        }
    }

    /// Drops every waiting job.
    pub fn clear(&mut self) {
        for queue in &mut self.queues {
            queue.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn critical_jobs_never_wait_behind_normal_ones() {
        let mut q = JobQueue::new();
        for i in 0..5 {
            q.push(Priority::Normal, i);
        }
        q.push(Priority::Low, 100);
        q.push(Priority::Critical, 42);
        q.push(Priority::High, 7);
        assert_eq!(q.peek_priority(), Some(Priority::Critical));
        assert_eq!(q.pop(), Some((Priority::Critical, 42)));
        assert_eq!(q.pop(), Some((Priority::High, 7)));
        assert_eq!(q.pop(), Some((Priority::Normal, 0)));
        // A critical job arriving now still goes first.
        q.push(Priority::Critical, 43);
        assert_eq!(q.pop(), Some((Priority::Critical, 43)));
        assert_eq!(q.len_of(Priority::Normal), 4);
        assert_eq!(q.len(), 5);
        assert!(Priority::Critical > Priority::High);
        assert!(Priority::Normal > Priority::Low);
    }

    #[test]
    fn fifo_within_a_priority() {
        let mut q = JobQueue::new();
        for job in ["a", "b", "c"] {
            q.push(Priority::High, job);
        }
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, j)| j).collect();
        assert_eq!(order, vec!["a", "b", "c"]);
        assert!(q.is_empty());
        assert_eq!(q.pop(), None);
        assert_eq!(q.peek_priority(), None);
    }

    #[test]
    fn retain_drops_unwanted_jobs() {
        let mut q = JobQueue::new();
        for i in 0..10 {
            q.push(Priority::Critical, i);
            q.push(Priority::Low, i + 100);
        }
        // Thumbnails 3..7 are still on screen; the rest scrolled away.
        q.retain(|&job| (3..7).contains(&(job % 100)));
        assert_eq!(q.len_of(Priority::Critical), 4);
        assert_eq!(q.len_of(Priority::Low), 4);
        let order: Vec<_> = std::iter::from_fn(|| q.pop()).map(|(_, j)| j).collect();
        assert_eq!(order, vec![3, 4, 5, 6, 103, 104, 105, 106]);
        q.push(Priority::Normal, 1);
        q.clear();
        assert!(q.is_empty());
    }

    fn priority() -> impl Strategy<Value = Priority> {
        (0usize..4).prop_map(|i| Priority::ALL[i])
    }

    proptest! {
        #[test]
        fn pop_order_is_priority_then_arrival(
            // Some(p): push at priority p; None: pop.
            ops in proptest::collection::vec(proptest::option::weighted(0.7, priority()), 0..200),
        ) {
            let mut q = JobQueue::new();
            // A model: every waiting (priority, arrival) pair.
            let mut waiting: Vec<(Priority, usize)> = Vec::new();
            for (arrival, op) in ops.into_iter().enumerate() {
                match op {
                    Some(p) => {
                        q.push(p, arrival);
                        waiting.push((p, arrival));
                    }
                    None => {
                        // Expected: greatest priority, then earliest arrival.
                        let expected = waiting
                            .iter()
                            .copied()
                            .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
                        let got = q.pop();
                        prop_assert_eq!(got, expected);
                        waiting.retain(|w| Some(*w) != expected);
                    }
                }
                prop_assert_eq!(q.len(), waiting.len());
                for p in Priority::ALL {
                    prop_assert_eq!(q.len_of(p), waiting.iter().filter(|w| w.0 == p).count());
                }
            }
        }
    }
}
