//! The page's root: its state, and Collect / Cancel.
//!
//! State lives in signals here and is handed to the parts that draw it. A
//! collection's reports arrive through a [`FrameBatch`], so the signals change
//! at most once per frame.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;

use crate::core::deep_link::{self, DeepLink};
use crate::core::ledger::{Counts, Settled};
use crate::core::candidate::Candidate;
use crate::core::source::endpoints;
use crate::ui::batch::FrameBatch;
use crate::ui::gallery::{Gallery, GalleryItem, ItemKind};
use crate::ui::search_form::{FormState, SearchForm};
use crate::ui::settings_dialog::{load_settings, SettingsDialog};
use crate::ui::status::StatusPanel;
use crate::ui::thumbs;
use crate::web::collector::{self, CollectionHandle, Phase, Report};
use crate::web::worker_bridge::WorkerPool;

/// Everything the status line, progress bar and gallery show.
#[derive(Clone, Copy)]
pub struct View {
    pub phase: RwSignal<Option<Phase>>,
    pub counts: RwSignal<Counts>,
    pub expected: RwSignal<u32>,
    pub items: RwSignal<Vec<GalleryItem>>,
    pub notices: RwSignal<Vec<String>>,
}

#[component]
pub fn App() -> impl IntoView {
    let link = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| deep_link::parse(&s))
        .unwrap_or_default();
    let settings = RwSignal::new(load_settings());
    let form = FormState::new(&link, default_provider());
    if form.max.get_untracked().is_empty() {
        form.max.set(settings.with_untracked(|s| s.max_images.to_string()));
    }
    // Max in the form and in Settings are one value.
    Effect::watch(
        move || settings.with(|s| s.max_images),
        move |max, _, _| form.max.set(max.to_string()),
        false,
    );
    let view = View {
        phase: RwSignal::new(None),
        counts: RwSignal::new(Counts::default()),
        expected: RwSignal::new(0),
        items: RwSignal::new(Vec::new()),
        notices: RwSignal::new(Vec::new()),
    };
    let pool = WorkerPool::default();
    let current: Rc<RefCell<Option<CollectionHandle>>> = Rc::new(RefCell::new(None));
    let next_id = Rc::new(Cell::new(1u32));
    // The collection whose reports the page shows; a replaced one's late
    // reports are dropped.
    let active = Rc::new(Cell::new(0u32));
    let form_error = RwSignal::new(String::new());

    let collect = {
        let current = current.clone();
        move || {
            let choice = match form.choice() {
                Ok(c) => c,
                Err(e) => {
                    form_error.set(e);
                    return;
                }
            };
            let mut s = settings.get_untracked();
            if let Err(e) = s.set("max_images", form.max.get_untracked().trim()) {
                form_error.set(e);
                return;
            }
            // The dialog shows the Max this collection runs with.
            settings.set(s.clone());
            form_error.set(String::new());
            if let Some(old) = current.borrow_mut().take() {
                old.cancel();
            }
            thumbs::clear();
            view.items.set(Vec::new());
            view.notices.set(Vec::new());
            view.counts.set(Counts::default());
            view.expected.set(s.max_images);
            let id = next_id.get();
            next_id.set(id + 1);
            active.set(id);
            let found = RefCell::new(HashMap::new());
            let active = active.clone();
            let batch = FrameBatch::new(move |reports| {
                if active.get() == id {
                    apply(view, &mut found.borrow_mut(), reports);
                }
            });
            let report: Rc<dyn Fn(Report)> = Rc::new(move |r| batch.push(r));
            *current.borrow_mut() = Some(collector::start(id, choice, s, pool.clone(), report));
        }
    };
    let cancel = move || {
        if let Some(handle) = current.borrow().as_ref() {
            handle.cancel();
        }
    };
    // Page-thread state (Rc) lives in local stored values; the callbacks that
    // Leptos hands around only carry their (Copy) handles.
    let collect = StoredValue::new_local(Rc::new(collect) as Rc<dyn Fn()>);
    let cancel = StoredValue::new_local(Rc::new(cancel) as Rc<dyn Fn()>);
    if link.autostart {
        // After the first render, so the form shows what the link filled.
        request_animation_frame(move || collect.get_value()());
    }
    let on_collect = Callback::new(move |()| collect.get_value()());
    let on_cancel = Callback::new(move |()| cancel.get_value()());
    let running = Signal::derive(move || view.phase.get() == Some(Phase::Collecting));

    view! {
        <header class="top">
            <h1>"Image collector"</h1>
            <SettingsDialog settings=settings />
        </header>
        <main>
            <SearchForm form=form running=running on_collect=on_collect on_cancel=on_cancel error=form_error />
            <StatusPanel view=view />
            <Gallery items=view.items />
        </main>
    }
}

fn default_provider() -> &'static str {
    let host = web_sys::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default();
    if host == "127.0.0.1" || host == "localhost" {
        "local"
    } else {
        "commons"
    }
}

/// The base address the form starts with for a provider, unless a link names one.
pub fn default_api(provider: &str, link: &DeepLink) -> String {
    if let Some(api) = &link.api {
        return api.clone();
    }
    match provider {
        "commons" => endpoints::COMMONS_API.into(),
        "openverse" => endpoints::OPENVERSE_API.into(),
        _ => local_source_address(),
    }
}

/// The local source runs beside the app server on this machine.
fn local_source_address() -> String {
    let host = web_sys::window().and_then(|w| w.location().hostname().ok()).unwrap_or_default();
    if host.is_empty() || host == "127.0.0.1" || host == "localhost" {
        endpoints::LOCAL_SOURCE.into()
    } else {
        format!("http://{host}:8765")
    }
}

fn apply(view: View, found: &mut HashMap<u32, Rc<Candidate>>, reports: Vec<Report>) {
    let mut new_items = Vec::new();
    for r in reports {
        match r {
            Report::Found { id, candidate } => {
                found.insert(id, candidate);
            }
            Report::Settled { id, state, collected, pixels } => {
                let (kind, reason) = match state {
                    Settled::Collected => (ItemKind::Collected, String::new()),
                    Settled::Failed(s) => (ItemKind::Failed, s),
                    Settled::Filtered(s) => (ItemKind::Filtered, s),
                    Settled::Duplicate | Settled::Cancelled => continue,
                };
                let (width, height) = collected.as_ref().map(|c| (c.thumb_width, c.thumb_height)).unwrap_or((0, 0));
                if let Some(buffer) = pixels {
                    thumbs::put(id, width, height, buffer);
                }
                let title = found.get(&id).map(|c| c.title.clone()).unwrap_or_default();
                new_items.push(GalleryItem { id, kind, title, reason, width, height });
            }
            Report::Counts(c) => view.counts.set(c),
            Report::Phase(p) => view.phase.set(Some(p)),
            Report::Notice(n) => view.notices.update(|v| {
                v.push(n);
                let excess = v.len().saturating_sub(20);
                v.drain(..excess);
            }),
            Report::Expected(n) => view.expected.set(n),
        }
    }
    if !new_items.is_empty() {
        view.items.update(|items| items.extend(new_items));
    }
}
