//! What can be done with the shown collection as a whole: export it as a ZIP
//! (images, manifest, attribution), export its URLs for img2dataset, or
//! import a ZIP made by an export. An export or import shows its own bar,
//! with Cancel.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::ui::state::AppState;

#[component]
pub fn CollectionBar() -> impl IntoView {
    let state = expect_context::<AppState>();
    let progress = state.job;
    // A collection is shown: there is something to export.
    let has_collection = move || state.counts.with(|c| c.seen > 0);
    let busy = move || progress.with(Option::is_some);
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            state.import(file);
        }
        input.set_value("");
    };
    view! {
        <div class="collection-bar" role="group" aria-label="This collection">
            <button type="button" data-testid="export-zip" disabled=move || !has_collection() || busy()
                title="A ZIP with the images, manifest.jsonl and manifest.csv (img2dataset's columns) and ATTRIBUTION.md"
                on:click=move |_| state.export(true)>"Export ZIP"</button>
            <button type="button" data-testid="export-urls" disabled=move || !has_collection() || busy()
                title="url,caption CSV, for img2dataset"
                on:click=move |_| state.export(false)>"Export URLs"</button>
            <label class="import" class:disabled=busy>
                <span>"Import ZIP"</span>
                <input type="file" accept=".zip,application/zip" data-testid="import-zip" on:change=on_file />
            </label>
            {move || progress.get().map(|p| view! {
                <span class="job" data-testid="job">
                    {p.label}
                    <progress max=p.total.max(1) value=p.done aria-label=p.label></progress>
                    <span data-testid="job-progress">{format!("{} of {}", p.done, p.total)}</span>
                    <button type="button" data-testid="job-cancel" on:click=move |_| state.session().jobs().cancel()>"Cancel"</button>
                </span>
            })}
        </div>
    }
}
