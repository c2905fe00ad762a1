//! The search form: query, source and its own options, Max (the setting
//! itself, checked as it is typed), Collect, Cancel, Clear and Resume.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::deep_link::{DeepLink, PROVIDERS};
use crate::core::source::endpoints::default_api;
use crate::core::source::openverse::Filters;
use crate::core::source::SourceChoice;
use crate::ui::settings_dialog::save_settings;
use crate::ui::state::AppState;

/// What the form holds; each source keeps its own options.
#[derive(Clone, Copy)]
pub struct FormState {
    pub provider: RwSignal<String>,
    pub query: RwSignal<String>,
    /// Base address per provider: [commons, openverse, local].
    pub apis: [RwSignal<String>; 3],
    pub list_address: RwSignal<String>,
    pub list_text: RwSignal<String>,
    pub catalog: RwSignal<String>,
    pub filters: [RwSignal<String>; 6],
}

const FILTERS: [(&str, &str, &str); 6] = [
    ("license_type", "License type", "commercial, modification"),
    ("license", "License", "by, by-sa, cc0, ..."),
    (
        "category",
        "Category",
        "photograph, illustration, digitized_artwork",
    ),
    ("extension", "File type", "jpg, png, gif, svg"),
    ("size", "Size", "small, medium, large"),
    ("aspect_ratio", "Aspect ratio", "tall, wide, square"),
];

impl FormState {
    pub fn new(link: &DeepLink, default_provider: &str, page_host: &str) -> FormState {
        let provider = link
            .provider
            .clone()
            .unwrap_or_else(|| default_provider.to_string());
        let api_for = |p: &str| {
            let linked = link.provider.as_deref() == Some(p)
                || (link.provider.is_none() && p == default_provider);
            let api = link.api.as_deref().filter(|_| linked);
            default_api(p, api, page_host)
        };
        FormState {
            provider: RwSignal::new(provider),
            query: RwSignal::new(link.query.clone().unwrap_or_default()),
            apis: [
                RwSignal::new(api_for("commons")),
                RwSignal::new(api_for("openverse")),
                RwSignal::new(api_for("local")),
            ],
            list_address: RwSignal::new(link.urls.clone().unwrap_or_default()),
            list_text: RwSignal::new(String::new()),
            catalog: RwSignal::new(link.catalog.clone().unwrap_or_default()),
            filters: std::array::from_fn(|_| RwSignal::new(String::new())),
        }
    }

    /// A name for the collection, from what was asked.
    pub fn name(&self) -> String {
        let query = self.query.get_untracked().trim().to_string();
        match self.provider.get_untracked().as_str() {
            "urls" => "URL list".into(),
            "catalog" => "Catalog".into(),
            _ if query.is_empty() => "Everything".into(),
            _ => query,
        }
    }

    /// The source the form names, or a sentence saying what is missing.
    pub fn choice(&self) -> Result<SourceChoice, String> {
        let query = self.query.get_untracked().trim().to_string();
        let need_query = || {
            if query.is_empty() {
                Err("Type what to search for.".to_string())
            } else {
                Ok(query.clone())
            }
        };
        let api = |i: usize| self.apis[i].get_untracked().trim().to_string();
        Ok(match self.provider.get_untracked().as_str() {
            "commons" => SourceChoice::Commons {
                api: api(0),
                query: need_query()?,
                thumb_px: 256,
            },
            "openverse" => {
                let f = |i: usize| self.filters[i].get_untracked().trim().to_string();
                let filters = Filters {
                    license_type: f(0),
                    license: f(1),
                    category: f(2),
                    extension: f(3),
                    size: f(4),
                    aspect_ratio: f(5),
                };
                SourceChoice::Openverse {
                    api: api(1),
                    query: need_query()?,
                    filters,
                }
            }
            "urls" => {
                let text = self.list_text.get_untracked();
                let address = self.list_address.get_untracked().trim().to_string();
                if !text.trim().is_empty() {
                    SourceChoice::UrlListText { text }
                } else if !address.is_empty() {
                    SourceChoice::UrlListAt { url: address }
                } else {
                    return Err(
                        "Give the address of a URL list, paste one, or open a .txt or .csv file."
                            .into(),
                    );
                }
            }
            "catalog" => {
                let url = self.catalog.get_untracked().trim().to_string();
                if url.is_empty() {
                    return Err("Give the address of a catalog (a JSON index).".into());
                }
                SourceChoice::Catalog { url }
            }
            _ => SourceChoice::Local { api: api(2), query },
        })
    }
}

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
