//! The page's root: makes the one [`AppState`], provides it to every part,
//! starts what runs for the page's life (the recorder, the network watch),
//! and lays the parts out.

use leptos::prelude::*;

use crate::core::deep_link;
use crate::ui::collection_bar::CollectionBar;
use crate::ui::collections::Collections;
use crate::ui::detail::Detail;
use crate::ui::gallery::Gallery;
use crate::ui::perf::{start_recorder, PerfPanel};
use crate::ui::search_form::SearchForm;
use crate::ui::settings_dialog::SettingsDialog;
use crate::ui::state::AppState;
use crate::ui::status::StatusPanel;
use crate::ui::update_prompt::UpdatePrompt;

#[component]
pub fn App() -> impl IntoView {
    let link = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| deep_link::parse(&s))
        .unwrap_or_default();
    let state = AppState::new(&link);
    provide_context(state);
    start_recorder(state);
    watch_network(state);
    state.start_up(link.autostart);

    view! {
        <header class="top">
            <h1>"Image collector"</h1>
            <div class="actions">
                <PerfPanel />
                <SettingsDialog />
            </div>
        </header>
        <main>
            <UpdatePrompt />
            <Show when=move || state.banner.get().is_some()>
                <p class="banner" data-testid="banner" role="alert">{move || state.banner.get()}</p>
            </Show>
            <SearchForm />
            <StatusPanel />
            <CollectionBar />
            <Collections />
            <Gallery />
            <Detail />
        </main>
    }
}

/// Offline, intake waits behind a banner (what is in flight retries as
/// usual); back online, it goes on.
fn watch_network(state: AppState) {
    const OFFLINE: &str =
        "The network is gone: collecting waits until it is back (what was collected is kept).";
    for (name, online) in [("offline", false), ("online", true)] {
        let listener = window_event_listener_untyped(name, move |_| {
            if online {
                if state.banner.get_untracked().as_deref() == Some(OFFLINE) {
                    state.banner.set(None);
                }
            } else {
                state.banner.set(Some(OFFLINE.into()));
            }
            state.session().network(online);
        });
        std::mem::forget(listener); // lives as long as the page
    }
}
