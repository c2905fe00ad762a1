//! What can be done with the shown collection as a whole: export it as a ZIP
//! (images, manifest, attribution), export its URLs for img2dataset, or
//! import a ZIP made by an export. An export or import shows its own bar,
//! with Cancel.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::web::jobs;

#[component]
pub fn CollectionBar(
    /// A collection is shown (there is something to export).
    has_collection: Signal<bool>,
    on_export_zip: Callback<()>,
    on_export_urls: Callback<()>,
    on_import: Callback<web_sys::File>,
) -> impl IntoView {
    let progress = jobs::progress();
    let busy = {
        let progress = progress.clone();
        move || progress.with(Option::is_some)
    };
    let busy2 = busy.clone();
    let busy3 = busy.clone();
    let on_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        if let Some(file) = input.files().and_then(|f| f.get(0)) {
            on_import.run(file);
        }
        input.set_value("");
    };
    view! {
        <div class="collection-bar" role="group" aria-label="This collection">
            <button type="button" data-testid="export-zip" disabled=move || !has_collection.get() || busy()
                title="A ZIP with the images, manifest.jsonl and manifest.csv (img2dataset's columns) and ATTRIBUTION.md"
                on:click=move |_| on_export_zip.run(())>"Export ZIP"</button>
            <button type="button" data-testid="export-urls" disabled=move || !has_collection.get() || busy2()
                title="url,caption CSV, for img2dataset"
                on:click=move |_| on_export_urls.run(())>"Export URLs"</button>
            <label class="import" class:disabled=busy3>
                <span>"Import ZIP"</span>
                <input type="file" accept=".zip,application/zip" data-testid="import-zip" on:change=on_file />
            </label>
            {move || progress.get().map(|p| view! {
                <span class="job" data-testid="job">
                    {p.label}
                    <progress max=p.total.max(1) value=p.done aria-label=p.label></progress>
                    <span data-testid="job-progress">{format!("{} of {}", p.done, p.total)}</span>
                    <button type="button" data-testid="job-cancel" on:click=move |_| jobs::cancel()>"Cancel"</button>
                </span>
            })}
        </div>
    }
}
