//! What is under way, each with its own bar, ETA and Cancel: the
//! collection, a batch of thumbnails being made again from the stored
//! originals, and an export or import. Refreshed once a second and as a
//! job moves.

use leptos::prelude::*;

use crate::core::collection::Phase;
use crate::core::metrics::eta_seconds;
use crate::ui::state::AppState;

/// "1:05" to go, or why there is no estimate.
pub fn eta_text(remaining: u64, rate_per_s: f64) -> String {
    match eta_seconds(remaining, rate_per_s) {
        Some(s) => format!("{}:{:02}", (s as u64) / 60, (s as u64) % 60),
        None => "unknown (no recent rate)".into(),
    }
}

/// An operation the panel shows progress for.
#[derive(Clone, Copy)]
enum Operation {
    Collection,
    Remakes,
    /// An export or import ("Export", "Import").
    Job(&'static str),
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Collection => "Collection",
            Operation::Remakes => "Thumbnails made again",
            Operation::Job(label) => label,
        }
    }

    fn cancel_id(self) -> &'static str {
        match self {
            Operation::Collection => "op-cancel-collection",
            Operation::Remakes => "op-cancel-remakes",
            Operation::Job(_) => "op-cancel-job",
        }
    }
}

/// Items per second since `started_ms` (performance.now ms).
fn rate_since(done: u64, started_ms: f64) -> f64 {
    let seconds = (crate::web::now_ms() - started_ms) / 1000.0;
    if seconds > 0.0 {
        done as f64 / seconds
    } else {
        0.0
    }
}

#[component]
pub fn UnderWay() -> impl IntoView {
    let state = expect_context::<AppState>();
    let rows = move || {
        state.second.track();
        state.phase.track();
        let job = state.job.get();
        let mut rows = Vec::new();
        if matches!(
            state.phase.get_untracked(),
            Some(Phase::Collecting | Phase::Paused)
        ) {
            let c = state.counts.get_untracked();
            let total = state.expected.get_untracked().max(c.seen) as u64;
            let done = (c.seen - c.queued - c.in_flight) as u64;
            let rate = state.recorder().borrow().recent_rate();
            let eta = eta_text(total.saturating_sub(done), rate);
            rows.push((Operation::Collection, done, total, eta));
        }
        if let Some(b) = state.thumbs().remake_batch() {
            let eta = eta_text(b.total - b.done, rate_since(b.done, b.started_ms));
            rows.push((Operation::Remakes, b.done, b.total, eta));
        }
        if let Some(j) = job {
            let (done, total) = (j.done as u64, j.total as u64);
            let eta = eta_text(total.saturating_sub(done), rate_since(done, j.started_ms));
            rows.push((Operation::Job(j.label), done, total, eta));
        }
        if rows.is_empty() {
            return view! { <li class="idle">"Nothing under way."</li> }.into_any();
        }
        rows.into_iter()
            .map(|(op, done, total, eta)| {
                let name = op.name();
                view! {
                    <li data-testid="operation">
                        <span class="name">{name}</span>
                        <progress max=total.max(1) value=done aria-label=name></progress>
                        <span data-testid="operation-progress">{format!("{done} of {total}")}</span>
                        <span data-testid="operation-eta">{format!("ETA {eta}")}</span>
                        <button type="button" data-testid=op.cancel_id()
                            aria-label=format!("Cancel: {name}")
                            on:click=move |_| match op {
                                Operation::Collection => state.cancel(),
                                Operation::Remakes => state.thumbs().cancel_remakes(),
                                Operation::Job(_) => state.session().jobs().cancel(),
                            }>"Cancel"</button>
                    </li>
                }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="operations" aria-label="Operations under way">
            <h3>"Under way"</h3>
            <ul data-testid="perf-operations">{rows}</ul>
        </section>
    }
}
