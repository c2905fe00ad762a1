//! "Reload to update": a quiet bar shown when a new build of the app has been
//! installed by the service worker and waits to take over (see `web::pwa`).
//! Nothing is shown otherwise, nor in debug builds, which register no worker.

use leptos::prelude::*;

use crate::web::pwa;

/// Registers the service worker and offers the update when one waits.
#[component]
pub fn UpdatePrompt() -> impl IntoView {
    let waiting = RwSignal::new(false);
    pwa::register(move || waiting.set(true));
    view! {
        <Show when=move || waiting.get()>
            <p class="update" role="status">
                <span>"A new version of the collector is ready."</span>
                <button type="button" data-testid="update" on:click=move |_| pwa::apply_update()>
                    "Reload to update"
                </button>
            </p>
        </Show>
    }
}
