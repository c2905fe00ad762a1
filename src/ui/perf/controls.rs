//! The panel's controls: clear or trim the decoded cache, pause and resume
//! intake, the memory lines and the cache budget (applied at once; lowering
//! the critical line under the warning line lowers the warning line too,
//! and it comes back when the critical line rises again), and the metrics
//! as CSV.

use leptos::prelude::*;

use super::mb;
use crate::core::pressure::cache_budget;
use crate::ui::state::AppState;
use crate::web::save::save_file;
use crate::web::stored_settings::save_settings;

#[component]
pub fn Controls() -> impl IntoView {
    let state = expect_context::<AppState>();
    let settings = state.settings;
    let message = RwSignal::new(String::new());
    // The warning line the user had before lowering the critical line under
    // it pushed it down; it comes back when the critical line rises again.
    let lowered_from = RwSignal::new(None::<u32>);
    let paused = move || {
        state.second.track();
        state.phase.track();
        let recorder = state.recorder();
        let r = recorder.borrow();
        r.latest_figures().paused_by_user && r.running()
    };
    let running = move || state.running();
    let apply = move |field: &'static str, value: String| {
        let mut next = settings.get_untracked();
        if let Err(e) = next.set(field, &value) {
            message.set(e);
            return;
        }
        let mut note = String::new();
        match field {
            "critical_mb" if next.warning_mb >= next.critical_mb => {
                let lowered = next.critical_mb / 2;
                if lowered == 0 {
                    message.set("The critical line must be at least 2 MB, so that the warning line fits below it.".into());
                    return;
                }
                lowered_from.set(Some(
                    lowered_from.get_untracked().unwrap_or(next.warning_mb),
                ));
                next.warning_mb = lowered;
                note = format!(" The warning line was lowered to {lowered} MB to stay below it.");
            }
            "critical_mb" => {
                if let Some(w) = lowered_from
                    .get_untracked()
                    .filter(|w| *w < next.critical_mb)
                {
                    next.warning_mb = w;
                    lowered_from.set(None);
                    note = format!(" The warning line is back at {w} MB.");
                }
            }
            "warning_mb" => lowered_from.set(None),
            _ => {}
        }
        let problem = next
            .validate()
            .into_iter()
            .find(|(f, _)| matches!(*f, "warning_mb" | "critical_mb" | "cache_budget_mb"));
        match problem {
            Some((_, sentence)) => message.set(sentence),
            None => {
                save_settings(&next);
                settings.set(next);
                message.set(format!("Applied.{note}"));
            }
        }
    };
    let field = move |id: &'static str, name: &'static str, label: &'static str| {
        view! {
            <label class="field">
                <span>{label}</span>
                <input type="number" min="1" data-testid=id inputmode="numeric"
                    prop:value=move || settings.with(|s| s.get(name))
                    on:change=move |ev| apply(name, event_target_value(&ev)) />
            </label>
        }
    };
    let clear_cache = move |_| {
        let thumbs = state.thumbs();
        let before = thumbs.stats();
        thumbs.clear();
        message.set(format!(
            "Cleared the decoded cache: {} entries, {} freed.",
            before.entries,
            mb(before.bytes)
        ));
    };
    let trim = move |_| {
        let thumbs = state.thumbs();
        let before = thumbs.stats();
        let budget = settings.with_untracked(|s| s.cache_budget_mb) as u64 * 1024 * 1024;
        let budget = cache_budget(budget, state.pressure.get_untracked());
        thumbs.set_budget(budget);
        let after = thumbs.stats();
        message.set(format!(
            "Trimmed to the budget ({}): {} entries, {} freed; {} held.",
            mb(budget),
            before.entries - after.entries.min(before.entries),
            mb(before.bytes.saturating_sub(after.bytes)),
            mb(after.bytes)
        ));
    };
    let csv = move |_| {
        let text = state.recorder().borrow().csv();
        let parts = js_sys::Array::of1(&text.into());
        if let Err(e) = save_file(&parts, "text/csv", "collector-metrics.csv") {
            message.set(format!("The CSV could not be saved: {e}."));
        }
    };
    view! {
        <div class="controls" role="group" aria-label="Controls">
            <div class="row">
                <button type="button" data-testid="perf-clear-cache" on:click=clear_cache>"Clear decoded cache"</button>
                <button type="button" data-testid="perf-trim" on:click=trim>"Trim cache to budget now"</button>
                <button type="button" data-testid="perf-pause" disabled=move || !running()
                    aria-pressed=move || paused().to_string()
                    on:click=move |_| state.pause(!paused())>
                    {move || if paused() { "Resume intake" } else { "Pause intake" }}
                </button>
                <button type="button" data-testid="perf-csv" on:click=csv>"Download CSV"</button>
            </div>
            <div class="row">
                {field("perf-warning", "warning_mb", "Warning line (MB)")}
                {field("perf-critical", "critical_mb", "Critical line (MB)")}
                {field("perf-budget", "cache_budget_mb", "Cache budget (MB)")}
            </div>
            <p class="message" data-testid="perf-message" role="status">{move || message.get()}</p>
        </div>
    }
}
