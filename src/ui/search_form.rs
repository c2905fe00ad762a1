//! The search form: query, source and its own options, Max (the setting
//! itself, checked as it is typed), Collect, Cancel, Clear and Resume.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::deep_link::PROVIDERS;
use crate::ui::form::FILTERS;
use crate::ui::state::AppState;
use crate::web::stored_settings::save_settings;

fn text_input(value: RwSignal<String>) -> impl Fn(leptos::ev::Event) + Copy {
    move |ev| value.set(event_target_value(&ev))
}

#[component]
pub fn SearchForm() -> impl IntoView {
    let state = expect_context::<AppState>();
    let (form, ready, error, settings) =
        (state.form, state.ready, state.form_error, state.settings);
    let running = move || state.running();
    let can_resume = move || state.resumable.with(Option::is_some);
    // Max is the setting itself: a valid value is kept at once.
    let set_max = move |ev: leptos::ev::Event| {
        let mut next = settings.get_untracked();
        match next.set("max_images", event_target_value(&ev).trim()) {
            Ok(()) => {
                save_settings(&next);
                settings.set(next);
                error.set(String::new());
            }
            Err(e) => error.set(e),
        }
    };
    let provider = form.provider;
    let is = move |p: &'static str| move || provider.get() == p;
    let api_index = move || match provider.get().as_str() {
        "commons" => Some(0),
        "openverse" => Some(1),
        "local" => Some(2),
        _ => None,
    };
    let open_file = move |ev: leptos::ev::Event| {
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|f| f.get(0)) else {
            return;
        };
        let text = form.list_text;
        wasm_bindgen_futures::spawn_local(async move {
            match wasm_bindgen_futures::JsFuture::from(file.text()).await {
                Ok(v) => text.set(v.as_string().unwrap_or_default()),
                Err(_) => error.set("That file could not be read.".into()),
            }
        });
    };

    view! {
        <form class="search" on:submit=move |ev| { ev.prevent_default(); state.collect(); }>
            <div class="row">
                <label class="grow">
                    <span>"Search for"</span>
                    <input data-testid="query" type="search" dir="auto" placeholder="e.g. misty lake"
                        prop:value=move || form.query.get() on:input=text_input(form.query) />
                </label>
                <label>
                    <span>"Source"</span>
                    <select data-testid="provider" prop:value=move || provider.get()
                        on:change=move |ev| provider.set(event_target_value(&ev))>
                        {PROVIDERS.iter().map(|(id, name)| view! {
                            <option value=*id selected=move || provider.get() == *id>{*name}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label class="narrow">
                    <span>"Max"</span>
                    <input data-testid="max" inputmode="numeric" placeholder="50"
                        prop:value=move || settings.with(|s| s.max_images.to_string()) on:input=set_max />
                </label>
                <button data-testid="collect" type="submit" class="primary" disabled=move || !ready.get()>"Collect"</button>
                <button data-testid="cancel" type="button" disabled=move || !running()
                    on:click=move |_| state.cancel()>"Cancel"</button>
                <button data-testid="clear" type="button" title="Forget this collection and free its memory and storage"
                    on:click=move |_| state.clear()>"Clear"</button>
                <Show when=move || can_resume() && !running()>
                    <button data-testid="resume" type="button"
                        title="Go on with the interrupted collection: what was collected is kept and not downloaded again"
                        on:click=move |_| state.resume()>"Resume"</button>
                </Show>
            </div>
            <Show when=move || api_index().is_some()>
                <label class="row small">
                    <span>"Service address"</span>
                    <input data-testid="api" class="grow"
                        prop:value=move || api_index().map(|i| form.apis[i].get()).unwrap_or_default()
                        on:input=move |ev| if let Some(i) = api_index() { form.apis[i].set(event_target_value(&ev)) } />
                </label>
            </Show>
            <Show when=is("openverse")>
                <fieldset class="filters">
                    <legend>"Openverse filters"</legend>
                    {FILTERS.iter().enumerate().map(|(i, (name, label, hint))| view! {
                        <label>
                            <span>{*label}</span>
                            <input name=*name placeholder=*hint prop:value=move || form.filters[i].get()
                                on:input=text_input(form.filters[i]) />
                        </label>
                    }).collect_view()}
                </fieldset>
            </Show>
            <Show when=is("urls")>
                <fieldset class="list">
                    <legend>"URL list (one URL a line, or CSV with url,caption)"</legend>
                    <label class="row">
                        <span>"Address of a list"</span>
                        <input data-testid="url-list-address" class="grow" placeholder="https://example.org/urls.txt"
                            prop:value=move || form.list_address.get() on:input=text_input(form.list_address) />
                    </label>
                    <label>
                        <span>"Or paste it"</span>
                        <textarea data-testid="url-list" rows="4"
                            prop:value=move || form.list_text.get() on:input=text_input(form.list_text)></textarea>
                    </label>
                    <label class="row">
                        <span>"Or open a file"</span>
                        <input data-testid="url-list-file" type="file" accept=".txt,.csv,text/plain,text/csv" on:change=open_file />
                    </label>
                </fieldset>
            </Show>
            <Show when=is("catalog")>
                <label class="row">
                    <span>"Catalog address"</span>
                    <input data-testid="catalog-url" class="grow" placeholder="https://example.org/catalog.json"
                        prop:value=move || form.catalog.get() on:input=text_input(form.catalog) />
                </label>
            </Show>
            <p class="error" role="alert" data-testid="form-error">{move || error.get()}</p>
        </form>
    }
}
