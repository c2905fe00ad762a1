//! The page's root: its state, and Collect / Cancel.
//!
//! State lives in signals here and is handed to the parts that draw it. A
//! collection's reports arrive through a [`FrameBatch`], so the signals change
//! at most once per frame.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use crate::core::candidate::Candidate;
use crate::core::deep_link::{self, DeepLink};
use crate::core::ledger::{Counts, Settled};
use crate::core::pressure::PressureLevel;
use crate::core::protocol::{tile_key, FromWorker};
use crate::core::record::CollectionRecord;
use crate::core::source::endpoints;
use crate::ui::batch::FrameBatch;
use crate::ui::detail::Detail;
use crate::ui::gallery::{About, Gallery, GalleryItem, ItemKind};
use crate::ui::perf_panel::{self, PerfPanel};
use crate::ui::search_form::{FormState, SearchForm};
use crate::ui::settings_dialog::{load_settings, SettingsDialog};
use crate::ui::status::StatusPanel;
use crate::ui::thumbs;
use crate::ui::update_prompt::UpdatePrompt;
use crate::web::collector::{self, CollectionHandle, Phase, Report};
use crate::web::sampler::{self, Sampler};
use crate::web::store::{self, RecordWriter};
use crate::web::worker_bridge::{PoolEvent, WorkerPool};
use web_sys::IdbDatabase;

/// Everything the status line, progress bar and gallery show.
#[derive(Clone, Copy)]
pub struct View {
    pub phase: RwSignal<Option<Phase>>,
    pub counts: RwSignal<Counts>,
    pub expected: RwSignal<u32>,
    pub items: RwSignal<Vec<GalleryItem>>,
    pub notices: RwSignal<Vec<String>>,
    /// The memory pressure level, and the banner's sentence while intake
    /// waits for memory.
    pub pressure: RwSignal<PressureLevel>,
    pub banner: RwSignal<Option<String>>,
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
        form.max
            .set(settings.with_untracked(|s| s.max_images.to_string()));
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
        pressure: RwSignal::new(PressureLevel::Normal),
        banner: RwSignal::new(None),
    };
    let pool = WorkerPool::default();
    let current: Rc<RefCell<Option<CollectionHandle>>> = Rc::new(RefCell::new(None));
    let records = Rc::new(RefCell::new(RecordWriter::new(None)));
    let db: Rc<RefCell<Option<IdbDatabase>>> = Rc::new(RefCell::new(None));
    let next_id = Rc::new(Cell::new(1u32));
    // The collection whose reports the page shows; a replaced one's late
    // reports are dropped.
    let active = Rc::new(Cell::new(0u32));
    let form_error = RwSignal::new(String::new());
    let ready = RwSignal::new(false);

    // The thumbnail cache follows the settings and the memory pressure:
    // half the budget at warning, a quarter at critical.
    thumbs::configure(pool.clone(), settings.with_untracked(|s| s.thumb_px));
    Effect::new(move |_| {
        let budget = settings.with(|s| s.cache_budget_mb) as u64 * 1024 * 1024;
        thumbs::set_budget(match view.pressure.get() {
            PressureLevel::Normal => budget,
            PressureLevel::Warning => budget / 2,
            PressureLevel::Critical => budget / 4,
        });
    });
    perf_panel::configure(pool.clone());
    route_pool_events(&pool, current.clone());
    let sampler = {
        let current = current.clone();
        let (warning, critical) = settings.with_untracked(|s| (s.warning_mb, s.critical_mb));
        Sampler::start(
            warning,
            critical,
            1_000,
            || thumbs::stats().bytes,
            move |change| {
                let level = change.to;
                let at = clock_time();
                view.notices.update(|n| n.push(format!("{at} {change}.")));
                perf_panel::alert(change.to_string());
                view.pressure.set(level);
                match level {
                PressureLevel::Critical => view.banner.set(Some(format!(
                    "Memory is high ({change}). Collecting is paused until memory falls below the warning line; the thumbnail cache was cut to a quarter."
                ))),
                PressureLevel::Normal => view.banner.set(None),
                PressureLevel::Warning => {}
            }
                if let Some(handle) = current.borrow().as_ref() {
                    handle.pressure(level);
                }
            },
        )
    };
    let sampler = StoredValue::new_local(Rc::new(sampler));
    Effect::new(move |_| {
        let (warning, critical) = settings.with(|s| (s.warning_mb, s.critical_mb));
        sampler.with_value(|s| s.set_lines(warning, critical));
    });

    let collect = {
        let current = current.clone();
        let pool = pool.clone();
        let records = records.clone();
        let db = db.clone();
        let next_id = next_id.clone();
        let active = active.clone();
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
            if let Some(db) = db.borrow().clone() {
                let record = CollectionRecord {
                    id,
                    name: form.name(),
                    query: form.query.get_untracked(),
                    provider: form.provider.get_untracked(),
                    created_unix_ms: js_sys::Date::now(),
                };
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = store::put_collection(&db, &record).await {
                        web_sys::console::error_1(&e.to_string().into());
                    }
                });
            }
            let found = RefCell::new(HashMap::new());
            let active = active.clone();
            let batch = FrameBatch::new(move |reports| {
                if active.get() == id {
                    apply(view, id, &mut found.borrow_mut(), reports);
                }
            });
            let report: Rc<dyn Fn(Report)> = Rc::new(move |r| batch.push(r));
            let writer = records.borrow().clone();
            let handle = collector::start(id, choice, s, pool.clone(), writer, report);
            if view.banner.get_untracked().is_some() {
                handle.pressure(PressureLevel::Critical);
            }
            *current.borrow_mut() = Some(handle);
        }
    };
    let cancel = {
        let current = current.clone();
        move || {
            if let Some(handle) = current.borrow().as_ref() {
                handle.cancel();
            }
        }
    };
    // Pause / Resume intake (the performance panel's control).
    let pause = {
        let current = current.clone();
        StoredValue::new_local(Rc::new(move |paused: bool| {
            if let Some(handle) = current.borrow().as_ref() {
                handle.set_paused(paused);
            }
        }) as Rc<dyn Fn(bool)>)
    };
    // Clear: stop, forget the shown collection (records, and originals no
    // other collection uses), empty the cache, and stop the workers so their
    // memory is freed.
    let clear = {
        let db = db.clone();
        let active = active.clone();
        let pool = pool.clone();
        move || {
            if let Some(old) = current.borrow_mut().take() {
                old.cancel();
            }
            let shown = active.replace(0);
            thumbs::clear();
            pool.stop();
            sampler::forget_workers();
            view.items.set(Vec::new());
            view.counts.set(Counts::default());
            view.phase.set(None);
            view.notices.set(Vec::new());
            if let (Some(db), true) = (db.borrow().clone(), shown != 0) {
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = store::forget_collection(&db, shown).await {
                        view.notices.update(|n| {
                            n.push(format!("The collection could not be deleted: {e}."))
                        });
                    }
                });
            }
        }
    };
    // Page-thread state (Rc) lives in local stored values; the callbacks that
    // Leptos hands around only carry their (Copy) handles.
    let collect = StoredValue::new_local(Rc::new(collect) as Rc<dyn Fn()>);
    let cancel = StoredValue::new_local(Rc::new(cancel) as Rc<dyn Fn()>);
    let clear = StoredValue::new_local(Rc::new(clear) as Rc<dyn Fn()>);

    // Open the store, show the last collection, then start if the link says so.
    wasm_bindgen_futures::spawn_local(async move {
        match store::open_db().await {
            Ok(opened) => {
                *records.borrow_mut() = RecordWriter::new(Some(opened.clone()));
                let collections = store::load_collections(&opened).await.unwrap_or_default();
                next_id.set(collections.iter().map(|c| c.id).max().unwrap_or(0) + 1);
                if let Some(last) = collections.iter().max_by_key(|c| c.id) {
                    if !link.autostart {
                        restore(view, &opened, last).await;
                        active.set(last.id);
                    }
                }
                *db.borrow_mut() = Some(opened);
            }
            Err(e) => view
                .notices
                .update(|n| n.push(format!("Collections will not be kept: {e}."))),
        }
        ready.set(true);
        if link.autostart {
            collect.get_value()();
        }
    });

    let detail = RwSignal::new(None::<GalleryItem>);
    let on_open = Callback::new(move |item: GalleryItem| detail.set(Some(item)));
    let on_collect = Callback::new(move |()| collect.get_value()());
    let on_cancel = Callback::new(move |()| cancel.get_value()());
    let on_clear = Callback::new(move |()| clear.get_value()());
    let on_pause = Callback::new(move |paused: bool| pause.get_value()(paused));
    let running =
        Signal::derive(move || matches!(view.phase.get(), Some(Phase::Collecting | Phase::Paused)));

    view! {
        <header class="top">
            <h1>"Image collector"</h1>
            <div class="actions">
                <PerfPanel view=view settings=settings on_pause=on_pause on_cancel=on_cancel />
                <SettingsDialog settings=settings />
            </div>
        </header>
        <main>
            <UpdatePrompt />
            <Show when=move || view.banner.get().is_some()>
                <p class="banner" data-testid="banner" role="alert">{move || view.banner.get()}</p>
            </Show>
            <SearchForm form=form ready=ready.into() running=running on_collect=on_collect on_cancel=on_cancel
                on_clear=on_clear error=form_error />
            <StatusPanel view=view />
            <Gallery items=view.items on_open=on_open />
            <Detail open=detail />
        </main>
    }
}

/// Everything the workers say goes to the running collection, except remade
/// thumbnails, which go to the thumbnail cache whatever is running.
fn route_pool_events(pool: &WorkerPool, current: Rc<RefCell<Option<CollectionHandle>>>) {
    let (tx, mut rx) = futures::channel::mpsc::unbounded();
    pool.listen(tx);
    wasm_bindgen_futures::spawn_local(async move {
        use futures::StreamExt;
        while let Some(event) = rx.next().await {
            if let PoolEvent::Message {
                worker,
                msg:
                    FromWorker::ChunkDone { wasm_bytes, .. }
                    | FromWorker::Remade { wasm_bytes, .. }
                    | FromWorker::Busy { wasm_bytes, .. },
                ..
            } = &event
            {
                sampler::worker_wasm(*worker, *wasm_bytes);
            }
            match event {
                PoolEvent::Message {
                    msg: FromWorker::Remade { key, result, .. },
                    pixels,
                    ..
                } => thumbs::remade(key, result, pixels),
                PoolEvent::Message {
                    worker,
                    msg: FromWorker::Busy { busy_ms, .. },
                    ..
                } => perf_panel::worker_busy(worker, busy_ms),
                other => {
                    if let PoolEvent::Crashed { worker, reason } = &other {
                        perf_panel::alert(format!("worker {} stopped: {reason}", worker + 1));
                    }
                    if let Some(handle) = current.borrow().as_ref() {
                        handle.pool_event(other);
                    }
                }
            }
        }
    });
}

/// Shows a stored collection: its tiles (thumbnails are made again from the
/// stored originals as they scroll into view) and its counts.
async fn restore(view: View, db: &IdbDatabase, collection: &CollectionRecord) {
    let Ok(items) = store::load_items(db, collection.id).await else {
        return;
    };
    let mut counts = Counts::default();
    let mut tiles = Vec::new();
    let mut hashes = std::collections::HashSet::new();
    for r in &items {
        counts.seen += 1;
        // A worker keeps a collected record before the page can call it a
        // duplicate; a reload in between leaves two records of one image.
        let status = match &r.collected {
            Some(c) if r.status == "collected" && !hashes.insert(c.sha256.clone()) => "duplicate",
            _ => r.status.as_str(),
        };
        match status {
            "collected" => counts.collected += 1,
            "duplicate" => counts.duplicate += 1,
            "filtered" => counts.filtered += 1,
            "failed" => counts.failed += 1,
            _ => counts.cancelled += 1,
        }
        let kind = match status {
            "collected" if r.collected.as_ref().is_some_and(|c| c.stored) => ItemKind::Collected,
            "failed" => ItemKind::Failed,
            "filtered" => ItemKind::Filtered,
            _ => continue,
        };
        tiles.push(GalleryItem {
            key: tile_key(collection.id, r.id),
            kind,
            title: r.candidate.title.clone(),
            reason: r.reason.clone(),
            sha256: r.collected.as_ref().map(|c| c.sha256.clone()),
            about: r.collected.as_ref().map(|collected| {
                Arc::new(About {
                    candidate: r.candidate.clone(),
                    collected: collected.clone(),
                })
            }),
        });
    }
    view.counts.set(counts);
    view.items.set(tiles);
    view.notices.update(|n| {
        n.push(format!(
            "Restored “{}”: {} collected.",
            collection.name, counts.collected
        ))
    });
}

/// "21:40:03", the page's local time, for log lines.
pub fn clock_time() -> String {
    let d = js_sys::Date::new_0();
    format!(
        "{:02}:{:02}:{:02}",
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

fn default_provider() -> &'static str {
    let host = web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .unwrap_or_default();
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
    let host = web_sys::window()
        .and_then(|w| w.location().hostname().ok())
        .unwrap_or_default();
    if host.is_empty() || host == "127.0.0.1" || host == "localhost" {
        endpoints::LOCAL_SOURCE.into()
    } else {
        format!("http://{host}:8765")
    }
}

fn apply(
    view: View,
    collection: u32,
    found: &mut HashMap<u32, Rc<Candidate>>,
    reports: Vec<Report>,
) {
    let mut new_items = Vec::new();
    for r in reports {
        match r {
            Report::Found { id, candidate } => {
                found.insert(id, candidate);
            }
            Report::Settled {
                id,
                state,
                collected,
                pixels,
            } => {
                let (kind, reason) = match state {
                    Settled::Collected => (ItemKind::Collected, String::new()),
                    Settled::Failed(s) => (ItemKind::Failed, s),
                    Settled::Filtered(s) => (ItemKind::Filtered, s),
                    Settled::Duplicate | Settled::Cancelled => continue,
                };
                let key = tile_key(collection, id);
                if let (Some(c), Some(buffer)) = (&collected, pixels) {
                    thumbs::put(key, c.thumb_width, c.thumb_height, buffer);
                }
                let candidate = found.get(&id).map(|c| (**c).clone()).unwrap_or_default();
                let sha256 = collected
                    .as_ref()
                    .filter(|c| c.stored)
                    .map(|c| c.sha256.clone());
                new_items.push(GalleryItem {
                    key,
                    kind,
                    title: candidate.title.clone(),
                    reason,
                    sha256,
                    about: collected.map(|collected| {
                        Arc::new(About {
                            candidate,
                            collected,
                        })
                    }),
                });
            }
            Report::Counts(c) => view.counts.set(c),
            Report::Phase(p) => view.phase.set(Some(p)),
            Report::Notice(n) => view.notices.update(|v| {
                v.push(n);
                let excess = v.len().saturating_sub(20);
                v.drain(..excess);
            }),
            Report::Expected(n) => view.expected.set(n),
            Report::Alert(a) => {
                perf_panel::alert(&a);
                view.notices.update(|v| v.push(a));
            }
            Report::Figures(f) => perf_panel::figures(f),
        }
    }
    if !new_items.is_empty() {
        view.items.update(|items| items.extend(new_items));
    }
}
