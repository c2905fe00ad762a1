//! The performance panel: what is under way, live charts of the last five
//! minutes, the figures beside them, controls (cache, intake, memory lines,
//! downloads), and the alert log; alerts also show as toasts.
//!
//! The recorder (`core::recorder`) takes a row a second for the page's
//! life, whether the panel is open or not ([`start_recorder`]). The panel
//! draws only while it is open, once a second at most twice, on small
//! canvases. It opens with its button or the key `p` (outside text fields);
//! Escape closes it.

mod charts;
mod controls;
mod figures;
mod under_way;

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::collection::Phase;
use crate::core::recorder::Second;
use crate::ui::state::AppState;
use crate::web::probes;

/// How often the storage estimate is read, in seconds.
const STORAGE_EVERY_S: u64 = 5;

/// Starts the once-a-second recorder, the long-task observer and the code
/// sizes' measure, for the page's life.
pub fn start_recorder(state: AppState) {
    let recorder = state.recorder();
    probes::observe_long_tasks(move |ms| recorder.borrow_mut().long_tasks(ms));
    wasm_bindgen_futures::spawn_local(async move {
        state.code_sizes.set(probes::code_sizes().await);
    });
    let interval = gloo_timers::callback::Interval::new(1_000, move || record_second(state));
    std::mem::forget(interval); // lives as long as the page
}

fn record_second(state: AppState) {
    let phase = state.phase.get_untracked();
    let session = state.session();
    let (reading, level) = session.sampler().latest().unwrap_or_default();
    let second = Second {
        now_ms: js_sys::Date::now(),
        collected: state.counts.get_untracked().collected,
        running: matches!(phase, Some(Phase::Collecting | Phase::Paused)),
        collecting: phase == Some(Phase::Collecting),
        reading,
        level,
        cache: state.thumbs().stats(),
        workers: session.pool().len(),
    };
    let raised = state.recorder().borrow_mut().record(second);
    if state.second.get_untracked().is_multiple_of(STORAGE_EVERY_S) {
        wasm_bindgen_futures::spawn_local(async move {
            let estimate = probes::storage_estimate().await;
            if let Some((usage, quota)) = estimate {
                let sampler = state.session();
                sampler.sampler().publish("storage_usage", usage as f64);
                sampler.sampler().publish("storage_quota", quota as f64);
            }
            state.storage.set(estimate);
        });
    }
    state.second.update(|n| *n += 1);
    for sentence in raised {
        state.alert(&sentence);
    }
}

/// "72.7 MB", "40 KB" under a megabyte, "1.5 GB" from a gigabyte.
fn mb(bytes: u64) -> String {
    const MIB: f64 = 1024.0 * 1024.0;
    if bytes > 0 && (bytes as f64) < MIB {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else if bytes as f64 >= 1024.0 * MIB {
        format!("{:.1} GB", bytes as f64 / (1024.0 * MIB))
    } else {
        format!("{:.1} MB", bytes as f64 / MIB)
    }
}

/// The page narrows while the panel is open (see main.css): the gallery
/// measures itself again on `resize`.
fn page_width_changed() {
    if let (Some(w), Ok(e)) = (web_sys::window(), web_sys::Event::new("resize")) {
        let _ = w.dispatch_event(&e);
    }
}

/// Whether a key press is typing into a text field (then `p` is a letter).
fn typing(e: &web_sys::KeyboardEvent) -> bool {
    let Some(el) = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return false;
    };
    let tag = el.tag_name().to_ascii_lowercase();
    matches!(tag.as_str(), "input" | "textarea" | "select")
        || el
            .dyn_ref::<web_sys::HtmlElement>()
            .is_some_and(|h| h.is_content_editable())
}

#[component]
pub fn PerfPanel() -> impl IntoView {
    let state = expect_context::<AppState>();
    let open = RwSignal::new(false);
    let opener = NodeRef::<leptos::html::Button>::new();
    let panel = NodeRef::<leptos::html::Section>::new();
    let focus_panel = move || {
        request_animation_frame(move || {
            if let Some(p) = panel.get_untracked() {
                let _ = p.focus();
            }
            page_width_changed();
        })
    };
    let close = move || {
        open.set(false);
        if let Some(b) = opener.get_untracked() {
            let _ = b.focus();
        }
        request_animation_frame(page_width_changed);
    };
    let keys = window_event_listener(ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.ctrl_key() || e.meta_key() || e.alt_key() || e.default_prevented() {
            return; // Ctrl+P stays the browser's Print.
        }
        match e.key().as_str() {
            "p" | "P" if !typing(&e) => {
                e.prevent_default();
                open.set(true);
                focus_panel();
            }
            "Escape" if open.get_untracked() => close(),
            _ => {}
        }
    });
    on_cleanup(move || keys.remove());

    view! {
        <button type="button" data-testid="perf-open" node_ref=opener aria-controls="perf-panel"
            aria-expanded=move || open.get().to_string() aria-keyshortcuts="p"
            title="Performance (key: p)"
            on:click=move |_| {
                let now = !open.get_untracked();
                open.set(now);
                if now { focus_panel() } else { request_animation_frame(page_width_changed) }
            }>"Performance"</button>
        <Show when=move || open.get()>
            <section class="perf" id="perf-panel" data-testid="perf-panel" node_ref=panel tabindex="-1"
                role="region" aria-label="Performance panel">
                <header>
                    <h2>"Performance"</h2>
                    <button type="button" aria-label="Close the performance panel (Escape)" on:click=move |_| close()>"Close"</button>
                </header>
                <under_way::UnderWay />
                <charts::ChartGrid />
                <figures::FiguresList />
                <controls::Controls />
                <AlertLog />
            </section>
        </Show>
        <div class="toast-area" role="status" aria-live="polite">
            {move || state.toast.get().map(|(_, line)| view! { <p class="toast" data-testid="toast">{line}</p> })}
        </div>
    }
}

/// The last alerts, newest first.
#[component]
fn AlertLog() -> impl IntoView {
    let state = expect_context::<AppState>();
    let lines = move || {
        state.second.track();
        state.toast.track();
        let recorder = state.recorder();
        let r = recorder.borrow();
        r.alerts()
            .iter()
            .rev()
            .map(|line| view! { <li>{line.clone()}</li> })
            .collect_view()
    };
    view! {
        <h3 id="perf-alerts">"Alerts"</h3>
        <ul class="alerts" data-testid="alert-log" aria-labelledby="perf-alerts">{lines}</ul>
    }
}
