//! The page's root: its state, and Collect / Cancel.
//!
//! State lives in signals here and is handed to the parts that draw it. A
//! collection's reports arrive through a [`FrameBatch`], so the signals change
//! at most once per frame, and at most every 120 ms.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use leptos::prelude::*;

use crate::core::candidate::Candidate;
use crate::core::collection::{Change, Phase};
use crate::core::deep_link::{self, DeepLink};
use crate::core::ledger::{Counts, Status};
use crate::core::pressure::PressureLevel;
use crate::core::protocol::{tile_key, FromWorker};
use crate::core::record::{CollectionRecord, ResumePoint, RunState};
use crate::core::settings::Settings;
use crate::core::source::{endpoints, SourceChoice};
use crate::ui::batch::FrameBatch;
use crate::ui::collection_bar::CollectionBar;
use crate::ui::collections::Collections;
use crate::ui::detail::Detail;
use crate::ui::gallery::{About, Gallery, GalleryItem};
use crate::ui::perf_panel::{self, PerfPanel};
use crate::ui::search_form::{FormState, SearchForm};
use crate::ui::settings_dialog::{load_settings, SettingsDialog};
use crate::ui::status::StatusPanel;
use crate::ui::thumbs;
use crate::ui::update_prompt::UpdatePrompt;
use crate::web::collector::{self, CollectionHandle, Report};
use crate::web::jobs;
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
    /// Bumped when the running collection's record says how it ended.
    pub saved: RwSignal<u64>,
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
        saved: RwSignal::new(0),
    };
    let pool = WorkerPool::default();
    let current: Rc<RefCell<Option<CollectionHandle>>> = Rc::new(RefCell::new(None));
    let records = Rc::new(RefCell::new(RecordWriter::new(None)));
    let db: Rc<RefCell<Option<IdbDatabase>>> = Rc::new(RefCell::new(None));
    let next_id = Rc::new(Cell::new(1u32));
    // The collection whose reports the page shows; a replaced one's late
    // reports are dropped.
    let active = RwSignal::new(0u32);
    // The stored collections, as the list shows them.
    let collections = RwSignal::new(Vec::<CollectionRecord>::new());
    let refresh: Rc<dyn Fn()> = {
        let db = db.clone();
        Rc::new(move || {
            let Some(db) = db.borrow().clone() else {
                return;
            };
            wasm_bindgen_futures::spawn_local(async move {
                if let Ok(all) = store::load_collections(&db).await {
                    collections.set(all);
                }
            });
        })
    };
    {
        let refresh = refresh.clone();
        Effect::new(move |_| {
            view.saved.track();
            refresh();
        });
    }
    let form_error = RwSignal::new(String::new());
    let ready = RwSignal::new(false);
    // The shown collection, when it was interrupted and can be resumed.
    let resumable = RwSignal::new(None::<CollectionRecord>);

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
    watch_network(view, current.clone());
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

    // Starts collection `id` (new, or resumed from `resume`) and shows its
    // reports; one running before is cancelled.
    let launch: Rc<dyn Fn(u32, SourceChoice, Settings, Option<ResumePoint>)> = {
        let current = current.clone();
        let pool = pool.clone();
        let records = records.clone();
        Rc::new(move |id, choice, s, resume| {
            if let Some(old) = current.borrow_mut().take() {
                old.cancel();
            }
            resumable.set(None);
            view.expected.set(s.max_images);
            active.set(id);
            let found = RefCell::new(HashMap::new());
            let batch = FrameBatch::new(move |reports| {
                if active.get_untracked() == id {
                    apply(view, id, &mut found.borrow_mut(), reports);
                }
            });
            let report: Rc<dyn Fn(Report)> = Rc::new(move |r| batch.push(r));
            let writer = records.borrow().clone();
            let handle = collector::start(id, choice, s, pool.clone(), writer, report, resume);
            if view.banner.get_untracked().is_some() {
                handle.pressure(PressureLevel::Critical);
            }
            *current.borrow_mut() = Some(handle);
        })
    };
    let collect = {
        let current = current.clone();
        let db = db.clone();
        let next_id = next_id.clone();
        let launch = launch.clone();
        let refresh = refresh.clone();
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
            let id = next_id.get();
            next_id.set(id + 1);
            if let Some(db) = db.borrow().clone() {
                let record = CollectionRecord {
                    id,
                    name: form.name(),
                    query: form.query.get_untracked(),
                    provider: form.provider.get_untracked(),
                    created_unix_ms: js_sys::Date::now(),
                    choice: Some(choice.clone()),
                    settings: Some(s.clone()),
                    state: RunState::Collecting,
                };
                let refresh = refresh.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = store::put_collection(&db, &record).await {
                        web_sys::console::error_1(&e.to_string().into());
                    }
                    refresh();
                });
            }
            launch(id, choice, s, None);
        }
    };
    // Resume: an interrupted collection takes up where its records say it
    // was. What was collected (or left out for good) stays and is not
    // fetched again; what failed or was cancelled is tried again.
    let resume = {
        let db = db.clone();
        let launch = launch.clone();
        move || {
            let (Some(record), Some(db)) = (resumable.get_untracked(), db.borrow().clone()) else {
                return;
            };
            let (Some(choice), launch) = (record.choice.clone(), launch.clone()) else {
                return;
            };
            resumable.set(None);
            wasm_bindgen_futures::spawn_local(async move {
                let point = match store::load_items(&db, record.id).await {
                    Ok(items) => ResumePoint::of(&items),
                    Err(e) => {
                        view.notices.update(|n| {
                            n.push(format!("The collection could not be resumed: {e}."))
                        });
                        return;
                    }
                };
                if let Err(e) = store::delete_items(&db, record.id, &point.retry).await {
                    view.notices
                        .update(|n| n.push(format!("The collection could not be resumed: {e}.")));
                    return;
                }
                let retried: std::collections::HashSet<u64> = point
                    .retry
                    .iter()
                    .map(|id| tile_key(record.id, *id))
                    .collect();
                view.items
                    .update(|items| items.retain(|i| !retried.contains(&i.key)));
                let s = record
                    .settings
                    .clone()
                    .unwrap_or_else(|| settings.get_untracked());
                view.notices.update(|n| {
                    n.push(format!(
                        "Resuming “{}”: {} kept, {} to try again.",
                        record.name,
                        point.kept.len(),
                        point.retry.len()
                    ))
                });
                launch(record.id, choice, s, Some(point));
            });
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
        let current = current.clone();
        let db = db.clone();
        let refresh = refresh.clone();
        let pool = pool.clone();
        move || {
            if let Some(old) = current.borrow_mut().take() {
                old.cancel();
            }
            let shown = active.get_untracked();
            active.set(0);
            thumbs::clear();
            pool.stop();
            sampler::forget_workers();
            view.items.set(Vec::new());
            view.counts.set(Counts::default());
            view.phase.set(None);
            view.notices.set(Vec::new());
            if let (Some(db), true) = (db.borrow().clone(), shown != 0) {
                let refresh = refresh.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Err(e) = store::forget_collection(&db, shown).await {
                        view.notices.update(|n| {
                            n.push(format!("The collection could not be deleted: {e}."))
                        });
                    }
                    refresh();
                });
            }
        }
    };
    // Export and import (a worker writes and reads the ZIP).
    let shown_collection = {
        let db = db.clone();
        move || {
            let db = db.borrow().clone()?;
            let id = active.get_untracked();
            (id != 0).then_some((db, id))
        }
    };
    let export = {
        let pool = pool.clone();
        let shown = shown_collection.clone();
        move |zip: bool| {
            let Some((db, id)) = shown() else { return };
            let pool = pool.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let Some(c) = store::load_collections(&db)
                    .await
                    .ok()
                    .and_then(|all| all.into_iter().find(|c| c.id == id))
                else {
                    return;
                };
                let said = if zip {
                    jobs::export_zip(&pool, &db, &c).await.map(|n| {
                        format!("Exported “{}” as a ZIP: {n} images, with manifest.jsonl, manifest.csv and ATTRIBUTION.md.", c.name)
                    })
                } else {
                    jobs::export_urls(&db, &c)
                        .await
                        .map(|()| format!("Exported the URLs of “{}” as url,caption CSV.", c.name))
                };
                let line =
                    said.unwrap_or_else(|e| format!("The export of “{}” stopped: {e}.", c.name));
                view.notices.update(|n| n.push(line));
            });
        }
    };
    let import = {
        let pool = pool.clone();
        let db = db.clone();
        let next_id = next_id.clone();
        let current = current.clone();
        let refresh = refresh.clone();
        move |file: web_sys::File| {
            let Some(db) = db.borrow().clone() else {
                view.notices.update(|n| {
                    n.push(
                        "Importing needs the browser's storage, which is not available here."
                            .into(),
                    )
                });
                return;
            };
            if let Some(old) = current.borrow_mut().take() {
                old.cancel();
            }
            let id = next_id.get();
            next_id.set(id + 1);
            let name = file.name();
            let record = CollectionRecord {
                id,
                name: name.trim_end_matches(".zip").to_string(),
                provider: "import".into(),
                created_unix_ms: js_sys::Date::now(),
                state: RunState::Done,
                ..CollectionRecord::default()
            };
            thumbs::clear();
            active.set(id);
            resumable.set(None);
            view.items.set(Vec::new());
            view.counts.set(Counts::default());
            view.phase.set(None);
            view.notices.set(Vec::new());
            let pool = pool.clone();
            let thumb_px = settings.with_untracked(|s| s.thumb_px);
            let refresh = refresh.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let imported = jobs::import_zip(&pool, &db, file, &record, thumb_px).await;
                refresh();
                match imported {
                    Ok(n) => {
                        restore(view, &db, &record).await;
                        view.notices
                            .update(|v| v.push(format!("Imported {name}: {n} images.")));
                    }
                    Err(e) => view
                        .notices
                        .update(|v| v.push(format!("{name} could not be imported: {e}."))),
                }
            });
        }
    };
    let export = StoredValue::new_local(Rc::new(export) as Rc<dyn Fn(bool)>);
    let import = StoredValue::new_local(Rc::new(import) as Rc<dyn Fn(web_sys::File)>);

    // Page-thread state (Rc) lives in local stored values; the callbacks that
    // Leptos hands around only carry their (Copy) handles.
    let collect = StoredValue::new_local(Rc::new(collect) as Rc<dyn Fn()>);
    let resume = StoredValue::new_local(Rc::new(resume) as Rc<dyn Fn()>);
    let cancel = StoredValue::new_local(Rc::new(cancel) as Rc<dyn Fn()>);
    let clear = StoredValue::new_local(Rc::new(clear) as Rc<dyn Fn()>);
    // The collections list: open one (a running collection is cancelled,
    // as Collect would), rename one, delete one (Clear, if it is shown).
    let open_collection = {
        let db = db.clone();
        let current = current.clone();
        move |id: u32| {
            let Some(db) = db.borrow().clone() else {
                return;
            };
            let Some(record) =
                collections.with_untracked(|all| all.iter().find(|c| c.id == id).cloned())
            else {
                return;
            };
            if let Some(old) = current.borrow_mut().take() {
                old.cancel();
            }
            thumbs::clear();
            active.set(id);
            view.phase.set(None);
            view.notices.set(Vec::new());
            resumable.set(record.can_resume().then(|| record.clone()));
            wasm_bindgen_futures::spawn_local(async move {
                restore(view, &db, &record).await;
            });
        }
    };
    let rename_collection = {
        let db = db.clone();
        let refresh = refresh.clone();
        move |(id, name): (u32, String)| {
            let name = name.trim().to_string();
            let Some(db) = db.borrow().clone() else {
                return;
            };
            let Some(mut record) =
                collections.with_untracked(|all| all.iter().find(|c| c.id == id).cloned())
            else {
                return;
            };
            if name.is_empty() || name == record.name {
                return;
            }
            record.name = name;
            let refresh = refresh.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = store::put_collection(&db, &record).await {
                    view.notices
                        .update(|n| n.push(format!("The collection could not be renamed: {e}.")));
                }
                refresh();
            });
        }
    };
    let delete_collection = {
        let db = db.clone();
        let refresh = refresh.clone();
        move |id: u32| {
            if active.get_untracked() == id {
                clear.get_value()();
                return;
            }
            let Some(db) = db.borrow().clone() else {
                return;
            };
            let refresh = refresh.clone();
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = store::forget_collection(&db, id).await {
                    view.notices
                        .update(|n| n.push(format!("The collection could not be deleted: {e}.")));
                }
                refresh();
            });
        }
    };
    let open_collection = StoredValue::new_local(Rc::new(open_collection) as Rc<dyn Fn(u32)>);
    let rename_collection =
        StoredValue::new_local(Rc::new(rename_collection) as Rc<dyn Fn((u32, String))>);
    let delete_collection = StoredValue::new_local(Rc::new(delete_collection) as Rc<dyn Fn(u32)>);

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
                        if last.can_resume() {
                            resumable.set(Some(last.clone()));
                        }
                    }
                }
                *db.borrow_mut() = Some(opened);
                refresh();
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
    let on_resume = Callback::new(move |()| resume.get_value()());
    let on_export_zip = Callback::new(move |()| export.get_value()(true));
    let on_export_urls = Callback::new(move |()| export.get_value()(false));
    let on_import = Callback::new(move |file: web_sys::File| import.get_value()(file));
    let has_collection = Signal::derive(move || view.counts.with(|c| c.seen > 0));
    let on_open_collection = Callback::new(move |id: u32| open_collection.get_value()(id));
    let on_rename_collection =
        Callback::new(move |r: (u32, String)| rename_collection.get_value()(r));
    let on_delete_collection = Callback::new(move |id: u32| delete_collection.get_value()(id));
    let can_resume = Signal::derive(move || resumable.with(Option::is_some));
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
                on_clear=on_clear can_resume=can_resume on_resume=on_resume error=form_error />
            <StatusPanel view=view />
            <CollectionBar has_collection=has_collection on_export_zip=on_export_zip
                on_export_urls=on_export_urls on_import=on_import />
            <Collections list=collections active=active phase=view.phase on_open=on_open_collection
                on_rename=on_rename_collection on_delete=on_delete_collection />
            <Gallery items=view.items on_open=on_open />
            <Detail open=detail />
        </main>
    }
}

/// Offline, intake waits behind a banner (what is in flight retries as
/// usual); back online, it goes on.
fn watch_network(view: View, current: Rc<RefCell<Option<CollectionHandle>>>) {
    const OFFLINE: &str =
        "The network is gone: collecting waits until it is back (what was collected is kept).";
    let tell = move |online: bool| {
        if online {
            if view.banner.get_untracked().as_deref() == Some(OFFLINE) {
                view.banner.set(None);
            }
        } else {
            view.banner.set(Some(OFFLINE.into()));
        }
        if let Some(handle) = current.borrow().as_ref() {
            handle.network(online);
        }
    };
    let tell = Rc::new(tell);
    for (name, online) in [("offline", false), ("online", true)] {
        let tell = tell.clone();
        let listener = window_event_listener_untyped(name, move |_| tell(online));
        std::mem::forget(listener); // lives as long as the page
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
                    thumbnail,
                    ..
                } => thumbs::remade(key, result, thumbnail),
                PoolEvent::Message {
                    worker,
                    msg: FromWorker::Busy { busy_ms, .. },
                    ..
                } => perf_panel::worker_busy(worker, busy_ms),
                PoolEvent::Message {
                    msg:
                        msg @ (FromWorker::ExportChunk { .. }
                        | FromWorker::JobProgress { .. }
                        | FromWorker::JobEnded { .. }),
                    blob,
                    ..
                } => jobs::on_message(msg, blob),
                other => {
                    if let PoolEvent::Crashed { worker, reason } = &other {
                        perf_panel::alert(format!("worker {} stopped: {reason}", worker + 1));
                        jobs::worker_crashed(*worker, reason);
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
    let (counts, statuses) = Counts::from_records(&items);
    let mut tiles = Vec::new();
    for (r, status) in items.iter().zip(statuses) {
        let kind = match status {
            Status::Collected if r.collected.as_ref().is_some_and(|c| c.stored) => status,
            Status::Failed | Status::Filtered => status,
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
        let update = match r {
            Report::Thumbnail { id, bitmap } => {
                thumbs::put(tile_key(collection, id), bitmap);
                continue;
            }
            Report::Saved => {
                view.saved.update(|n| *n += 1);
                continue;
            }
            Report::Change(update) => update,
        };
        match update {
            Change::Found { id, candidate } => {
                found.insert(id, candidate);
            }
            Change::Settled {
                id,
                state,
                collected,
            } => {
                let kind = state.status();
                if !matches!(kind, Status::Collected | Status::Failed | Status::Filtered) {
                    continue;
                }
                let reason = state.reason().to_string();
                let key = tile_key(collection, id);
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
            Change::Counts(c) => view.counts.set(c),
            Change::Phase(p) => view.phase.set(Some(p)),
            Change::Notice(n) => view.notices.update(|v| {
                v.push(n);
                let excess = v.len().saturating_sub(20);
                v.drain(..excess);
            }),
            Change::Expected(n) => view.expected.set(n),
            Change::Alert(a) => {
                perf_panel::alert(&a);
                view.notices.update(|v| v.push(a));
            }
            Change::Figures(f) => perf_panel::figures(f),
        }
    }
    if !new_items.is_empty() {
        view.items.update(|items| items.extend(new_items));
    }
}
