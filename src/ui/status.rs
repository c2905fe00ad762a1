//! The progress bar, the status line, the counts and the notices.

use leptos::prelude::*;

use crate::core::collection::Phase;
use crate::ui::state::AppState;

#[component]
pub fn StatusPanel() -> impl IntoView {
    let view = expect_context::<AppState>();
    let counts = view.counts;
    let settled = move || {
        let c = counts.get();
        c.seen - c.queued - c.in_flight
    };
    let max = move || {
        let c = counts.get();
        match view.phase.get() {
            Some(Phase::Collecting | Phase::Paused) => view.expected.get().max(c.seen),
            _ => c.seen,
        }
    };
    let status = move || {
        let c = counts.get();
        let tally = format!("{} collected, {} failed", c.collected, c.failed);
        match view.phase.get() {
            None => "Ready".to_string(),
            Some(Phase::Collecting) => {
                format!("Collecting — {} of {} settled; {tally}", settled(), max())
            }
            Some(Phase::Done) => format!("Done — {tally}"),
            Some(Phase::Paused) if view.banner.get().is_some() => {
                format!("Paused — memory is high; {tally}")
            }
            Some(Phase::Paused) => format!("Paused — intake paused by you; {tally}"),
            Some(Phase::Cancelled) => format!("Cancelled — {tally}"),
            Some(Phase::Stopped(why)) => format!("Stopped — {why}"),
        }
    };
    view! {
        <section class="status" aria-label="Progress">
            <div class="bar" role="progressbar" data-testid="progress" aria-label="Images settled"
                aria-valuemin="0" aria-valuenow=settled aria-valuemax=max>
                // Scaled, not sized: a transform animates on the compositor,
                // while a width transition lays out and repaints the page
                // every frame of a collection.
                <div class="fill" style:transform=move || {
                    let m = max();
                    let done = if m == 0 { 0.0 } else { settled() as f64 / m as f64 };
                    format!("scaleX({:.4})", done.clamp(0.0, 1.0))
                }></div>
            </div>
            <p data-testid="status" role="status" aria-live="polite">{status}</p>
            <ul class="counts">
                <li>"Collected " <b data-testid="counts-collected">{move || counts.get().collected}</b></li>
                <li>"Failed " <b data-testid="counts-failed">{move || counts.get().failed}</b></li>
                <li>"Duplicate " <b data-testid="counts-duplicate">{move || counts.get().duplicate}</b></li>
                <li>"Filtered " <b data-testid="counts-filtered">{move || counts.get().filtered}</b></li>
                <li>"Cancelled " <b data-testid="counts-cancelled">{move || counts.get().cancelled}</b></li>
                <li>"Found " <b data-testid="counts-seen">{move || counts.get().seen}</b></li>
            </ul>
            <ul class="notices" data-testid="notices">
                {move || view.notices.get().into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}
            </ul>
        </section>
    }
}
