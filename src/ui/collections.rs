//! The stored collections: each can be opened, renamed or deleted (which
//! frees its storage), and an interrupted one says so. Above the list, how
//! much this site stores, of the quota the browser grants.

use leptos::prelude::*;

use crate::core::collection::Phase;
use crate::core::record::{CollectionRecord, RunState};
use crate::ui::state::AppState;
use crate::web::probes;

#[component]
pub fn Collections() -> impl IntoView {
    let app = expect_context::<AppState>();
    let (list, active, phase) = (app.collections, app.active, app.phase);
    let storage = RwSignal::new(None::<(u64, u64)>);
    // Read the estimate whenever the list changes (a collection came or went).
    Effect::new(move |_| {
        list.track();
        wasm_bindgen_futures::spawn_local(async move {
            storage.set(probes::storage_estimate().await);
        });
    });
    let renaming = RwSignal::new(None::<u32>);
    let state_of = move |c: &CollectionRecord| -> &'static str {
        if c.id == active.get() {
            match phase.get() {
                Some(Phase::Collecting) => return "collecting",
                Some(Phase::Paused) => return "paused",
                _ => {}
            }
        }
        match c.state {
            RunState::Collecting => "interrupted",
            RunState::Done => "done",
            RunState::Cancelled => "cancelled",
            RunState::Stopped => "stopped",
        }
    };
    let rows = move || {
        let mut all = list.get();
        all.sort_by_key(|c| std::cmp::Reverse(c.id));
        all.into_iter()
            .map(|c| {
                let id = c.id;
                let state = state_of(&c);
                let when = local_date(c.created_unix_ms);
                let name = c.name.clone();
                let shown = move || active.get() == id;
                view! {
                    <li data-testid="collection" data-id=id.to_string() class:shown=shown>
                        {move || if renaming.get() == Some(id) {
                            let name = name.clone();
                            view! {
                                <input data-testid="collection-name-input" value=name aria-label="New name"
                                    on:keydown=move |e: web_sys::KeyboardEvent| {
                                        if e.key() == "Enter" {
                                            app.rename(id, event_target_value(&e));
                                            renaming.set(None);
                                        } else if e.key() == "Escape" {
                                            renaming.set(None);
                                        }
                                    }
                                    on:blur=move |e| {
                                        if renaming.get_untracked() == Some(id) {
                                            app.rename(id, event_target_value(&e));
                                            renaming.set(None);
                                        }
                                    } />
                            }.into_any()
                        } else {
                            view! { <span class="name" data-testid="collection-name">{name.clone()}</span> }.into_any()
                        }}
                        <span class="meta">{format!("{when} · {} · {state}", c.provider)}</span>
                        <button type="button" data-testid="collection-open" disabled=shown
                            on:click=move |_| app.open(id)>"Open"</button>
                        <button type="button" data-testid="collection-rename"
                            on:click=move |_| renaming.set(Some(id))>"Rename"</button>
                        <button type="button" data-testid="collection-delete"
                            title="Delete this collection and free its storage"
                            on:click=move |_| app.delete(id)>"Delete"</button>
                    </li>
                }
            })
            .collect_view()
    };
    view! {
        <details class="collections" data-testid="collections">
            <summary>{move || format!("Collections ({})", list.with(Vec::len))}</summary>
            <p class="storage" data-testid="storage">{move || match storage.get() {
                Some((usage, quota)) => format!("This site stores {} of the {} the browser allows.", size(usage), size(quota)),
                None => "The browser does not say how much this site may store.".into(),
            }}</p>
            <ul>{rows}</ul>
        </details>
    }
}

/// "12.3 MB", "1.5 GB".
fn size(bytes: u64) -> String {
    let mb = bytes as f64 / (1024.0 * 1024.0);
    if mb >= 1024.0 {
        format!("{:.1} GB", mb / 1024.0)
    } else {
        format!("{mb:.1} MB")
    }
}

/// A day as `2026-12-01`, in local time. Not `toLocaleDateString`: its
/// first call loads the browser's locale data, a 70 ms task in a trace.
fn local_date(unix_ms: f64) -> String {
    let d = js_sys::Date::new(&unix_ms.into());
    format!(
        "{:04}-{:02}-{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date()
    )
}
