//! The page's one state: the signals every part draws from, the services
//! behind them (the session with the collector, the thumbnail cache, the
//! recorder), and the actions (collect, resume, cancel, pause, clear, open,
//! rename, delete, export, import). The root component makes one
//! [`AppState`] and provides it as context; each part takes it with
//! `expect_context`.

use std::cell::RefCell;
use std::rc::Rc;

use leptos::prelude::*;

use crate::core::collection::{Change, Phase};
use crate::core::deep_link::DeepLink;
use crate::core::ledger::{Counts, Status};
use crate::core::pressure::{cache_budget, PressureLevel};
use crate::core::protocol::tile_key;
use crate::core::record::{CollectionRecord, ResumePoint, RunState};
use crate::core::recorder::Recorder;
use crate::core::settings::Settings;
use crate::core::source::endpoints;
use crate::ui::batch::FrameBatch;
use crate::ui::form::FormState;
use crate::ui::thumbs::Thumbs;
use crate::ui::tile::GalleryItem;
use crate::web::collector::Report;
use crate::web::jobs::JobView;
use crate::web::probes::CodeSize;
use crate::web::session::{Hooks, Session};
use crate::web::stored_settings::load_settings;

/// Notices kept under the status line.
const NOTICES_KEPT: usize = 20;
/// How long a toast stays, ms.
const TOAST_MS: u32 = 6_000;

/// The services behind the signals (page-thread only).
struct Services {
    session: Rc<Session>,
    thumbs: Thumbs,
    recorder: Rc<RefCell<Recorder>>,
}

/// Everything the page shows, and what it can do.
#[derive(Clone, Copy)]
pub struct AppState {
    pub settings: RwSignal<Settings>,
    pub form: FormState,
    /// A sentence about what the form lacks.
    pub form_error: RwSignal<String>,
    /// False until the page has opened its store (Collect waits for it).
    pub ready: RwSignal<bool>,
    pub phase: RwSignal<Option<Phase>>,
    pub counts: RwSignal<Counts>,
    /// How many candidates the shown collection will have, as far as known.
    pub expected: RwSignal<u32>,
    pub tiles: RwSignal<Vec<GalleryItem>>,
    pub notices: RwSignal<Vec<String>>,
    pub pressure: RwSignal<PressureLevel>,
    /// The banner's sentence while intake waits (memory, the network).
    pub banner: RwSignal<Option<String>>,
    /// The stored collections, as the list shows them.
    pub collections: RwSignal<Vec<CollectionRecord>>,
    /// The shown collection (0: none).
    pub active: RwSignal<u32>,
    /// The shown collection, when it was interrupted and can be resumed.
    pub resumable: RwSignal<Option<CollectionRecord>>,
    /// The image the detail view shows.
    pub detail: RwSignal<Option<GalleryItem>>,
    /// The export or import under way.
    pub job: RwSignal<Option<JobView>>,
    /// Bumped once a second, after the recorder took its row.
    pub second: RwSignal<u64>,
    /// The alert shown as a toast, with its id.
    pub toast: RwSignal<Option<(u64, String)>>,
    /// The sizes of the app's own code, once measured.
    pub code_sizes: RwSignal<Vec<CodeSize>>,
    /// What this site stores, of the quota the browser grants (bytes).
    pub storage: RwSignal<Option<(u64, u64)>>,
    services: StoredValue<Services, LocalStorage>,
}

impl AppState {
    /// The page's state, its form filled from `link`.
    pub fn new(link: &DeepLink) -> AppState {
        let host = web_sys::window()
            .and_then(|w| w.location().hostname().ok())
            .unwrap_or_default();
        let mut settings = load_settings();
        // A link's Max is this page's, not saved (the dialog saves).
        if let Some(max) = &link.max {
            let _ = settings.set("max_images", max);
        }
        let thumb_px = settings.thumb_px;
        let settings_signal = RwSignal::new(settings.clone());
        let pressure = RwSignal::new(PressureLevel::Normal);
        let job = RwSignal::new(None);
        // The hooks reach the state through this cell, filled just below.
        let me: Rc<RefCell<Option<AppState>>> = Rc::new(RefCell::new(None));
        let with_me = {
            let me = me.clone();
            move |f: &dyn Fn(AppState)| {
                if let Some(s) = *me.borrow() {
                    f(s)
                }
            }
        };
        let (w1, w2, w3, w4, w5) = (
            with_me.clone(),
            with_me.clone(),
            with_me.clone(),
            with_me.clone(),
            with_me,
        );
        let hooks = Hooks {
            remade: Box::new(move |key, result, bitmap| {
                w1(&|s| s.thumbs().remade(key, result.clone(), bitmap.clone()))
            }),
            busy: Box::new(move |worker, ms| {
                w2(&|s| {
                    let now = js_sys::Date::now();
                    s.recorder().borrow_mut().worker_busy(worker, ms, now)
                })
            }),
            stopped: Box::new(move |worker, reason| {
                w3(&|s| s.alert(&format!("worker {} stopped: {reason}", worker + 1)))
            }),
            level: Box::new(move |change| {
                w4(&|s| {
                    let at = crate::web::clock_time();
                    s.notice(format!("{at} {change}."));
                    s.alert(&change.to_string());
                    s.pressure.set(change.to);
                    match change.to {
                        PressureLevel::Critical => s.banner.set(Some(format!(
                            "Memory is high ({change}). Collecting is paused until memory falls below the warning line; the thumbnail cache was cut to a quarter."
                        ))),
                        PressureLevel::Normal => s.banner.set(None),
                        PressureLevel::Warning => {}
                    }
                })
            }),
            job: Box::new(move |v| job.set(v)),
            cache_bytes: Box::new(move || {
                let bytes = std::cell::Cell::new(0);
                w5(&|s| bytes.set(s.thumbs().stats().bytes));
                bytes.get()
            }),
        };
        let session = Session::new(&settings, hooks);
        let thumbs = Thumbs::new(session.pool().clone(), thumb_px);
        let state = AppState {
            settings: settings_signal,
            form: FormState::new(link, endpoints::default_provider(&host), &host),
            form_error: RwSignal::new(String::new()),
            ready: RwSignal::new(false),
            phase: RwSignal::new(None),
            counts: RwSignal::new(Counts::default()),
            expected: RwSignal::new(0),
            tiles: RwSignal::new(Vec::new()),
            notices: RwSignal::new(Vec::new()),
            pressure,
            banner: RwSignal::new(None),
            collections: RwSignal::new(Vec::new()),
            active: RwSignal::new(0),
            resumable: RwSignal::new(None),
            detail: RwSignal::new(None),
            job,
            second: RwSignal::new(0),
            toast: RwSignal::new(None),
            code_sizes: RwSignal::new(Vec::new()),
            storage: RwSignal::new(None),
            services: StoredValue::new_local(Services {
                session,
                thumbs,
                recorder: Rc::new(RefCell::new(Recorder::default())),
            }),
        };
        *me.borrow_mut() = Some(state);
        state.follow_settings();
        state
    }

    pub fn session(&self) -> Rc<Session> {
        self.services.with_value(|s| s.session.clone())
    }

    pub fn thumbs(&self) -> Thumbs {
        self.services.with_value(|s| s.thumbs.clone())
    }

    pub fn recorder(&self) -> Rc<RefCell<Recorder>> {
        self.services.with_value(|s| s.recorder.clone())
    }

    /// The cache's budget and the memory lines follow the settings and the
    /// pressure level.
    fn follow_settings(self) {
        Effect::new(move |_| {
            let budget = self.settings.with(|s| s.cache_budget_mb) as u64 * 1024 * 1024;
            self.thumbs()
                .set_budget(cache_budget(budget, self.pressure.get()));
        });
        Effect::new(move |_| {
            let (warning, critical) = self.settings.with(|s| (s.warning_mb, s.critical_mb));
            self.session().sampler().set_lines(warning, critical);
        });
    }

    /// A collection is under way (collecting or paused).
    pub fn running(&self) -> bool {
        matches!(self.phase.get(), Some(Phase::Collecting | Phase::Paused))
    }

    /// A sentence under the status line.
    pub fn notice(&self, sentence: String) {
        self.notices.update(|v| {
            v.push(sentence);
            let excess = v.len().saturating_sub(NOTICES_KEPT);
            v.drain(..excess);
        });
    }

    /// A line in the alert log (with the time and the second's figures),
    /// shown as a toast.
    pub fn alert(&self, sentence: &str) {
        let line = self
            .recorder()
            .borrow_mut()
            .alert(sentence, &crate::web::clock_time());
        if let Some(line) = line {
            self.show_toast(line);
        }
    }

    /// Shows `line` as a toast for a while.
    pub fn show_toast(&self, line: String) {
        let id = js_sys::Date::now().to_bits();
        self.toast.set(Some((id, line)));
        let toast = self.toast;
        set_timeout(
            move || {
                if toast.with_untracked(|t| t.as_ref().map(|t| t.0)) == Some(id) {
                    toast.set(None);
                }
            },
            std::time::Duration::from_millis(TOAST_MS as u64),
        );
    }

    /// Forgets what is shown (a new collection, Clear, another opened).
    fn show_nothing(&self) {
        self.thumbs().clear();
        self.tiles.set(Vec::new());
        self.notices.set(Vec::new());
        self.counts.set(Counts::default());
        self.phase.set(None);
        self.resumable.set(None);
        self.detail.set(None);
    }

    /// Reads the stored collections again, for the list.
    pub fn refresh(&self) {
        let (session, list) = (self.session(), self.collections);
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(all) = session.collections().await {
                list.set(all);
            }
        });
    }

    /// Opens the store, shows the last collection (unless `autostart`, then
    /// collects at once).
    pub fn start_up(self, autostart: bool) {
        wasm_bindgen_futures::spawn_local(async move {
            match self.session().open_store().await {
                Ok(all) => {
                    if let (Some(last), false) = (all.iter().max_by_key(|c| c.id), autostart) {
                        self.show(last.clone()).await;
                    }
                    self.collections.set(all);
                }
                Err(e) => self.notice(format!("{e}.")),
            }
            self.ready.set(true);
            if autostart {
                self.collect();
            }
        });
    }

    /// Collect: a new collection from what the form says.
    pub fn collect(&self) {
        let choice = match self.form.choice() {
            Ok(c) => c,
            Err(e) => {
                self.form_error.set(e);
                return;
            }
        };
        self.form_error.set(String::new());
        let session = self.session();
        session.cancel();
        self.show_nothing();
        let settings = self.settings.get_untracked();
        let record = CollectionRecord {
            id: session.new_id(),
            name: self.form.name(),
            query: self.form.query.get_untracked(),
            provider: self.form.provider.get_untracked(),
            created_unix_ms: js_sys::Date::now(),
            choice: Some(choice),
            settings: Some(settings.clone()),
            state: RunState::Collecting,
        };
        if session.keeps_collections() {
            let (state, session, record) = (*self, session.clone(), record.clone());
            wasm_bindgen_futures::spawn_local(async move {
                if let Err(e) = session.save_collection(&record).await {
                    web_sys::console::error_1(&e.into());
                }
                state.refresh();
            });
        }
        self.launch(&record, settings, None);
    }

    /// Starts collection `record` (new or resumed) and shows its reports.
    fn launch(&self, record: &CollectionRecord, settings: Settings, resume: Option<ResumePoint>) {
        self.resumable.set(None);
        self.expected.set(settings.max_images);
        self.active.set(record.id);
        let (state, id) = (*self, record.id);
        let batch = FrameBatch::new(move |reports| {
            if state.active.get_untracked() == id {
                state.apply(id, reports);
            }
        });
        let report: Rc<dyn Fn(Report)> = Rc::new(move |r| batch.push(r));
        self.session().start(record, settings, resume, report);
    }

    /// Applies a batch of a collection's reports to the signals.
    fn apply(&self, collection: u32, reports: Vec<Report>) {
        let mut new_tiles = Vec::new();
        for r in reports {
            let change = match r {
                Report::Thumbnail { id, bitmap } => {
                    self.thumbs().put(tile_key(collection, id), bitmap);
                    continue;
                }
                Report::Saved => {
                    self.refresh();
                    continue;
                }
                Report::Change(change) => change,
            };
            match change {
                Change::Settled {
                    id,
                    state,
                    collected,
                    title,
                } => {
                    let kind = state.status();
                    if !matches!(kind, Status::Collected | Status::Failed | Status::Filtered) {
                        continue;
                    }
                    new_tiles.push(GalleryItem {
                        key: tile_key(collection, id),
                        kind,
                        title,
                        reason: state.reason().to_string(),
                        sha256: collected
                            .as_ref()
                            .filter(|c| c.stored)
                            .map(|c| c.sha256.clone()),
                        decoded_by: collected.and_then(|c| c.decoded_by),
                    });
                }
                Change::Counts(c) => self.counts.set(c),
                Change::Phase(p) => self.phase.set(Some(p)),
                Change::Notice(n) => self.notice(n),
                Change::Expected(n) => self.expected.set(n),
                Change::Alert(a) => {
                    self.alert(&a);
                    self.notice(a);
                }
                Change::Figures(f) => self.recorder().borrow_mut().figures(f),
            }
        }
        if !new_tiles.is_empty() {
            self.tiles.update(|tiles| tiles.extend(new_tiles));
        }
    }

    /// Resume: the shown, interrupted collection takes up where its records
    /// say it was. What was collected (or left out for good) stays and is
    /// not fetched again; what failed or was cancelled is tried again.
    pub fn resume(&self) {
        let Some(record) = self.resumable.get_untracked() else {
            return;
        };
        self.resumable.set(None);
        let state = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let point = match state.session().resume_point(record.id).await {
                Ok(p) => p,
                Err(e) => {
                    state.notice(format!("The collection could not be resumed: {e}."));
                    return;
                }
            };
            let retried: std::collections::HashSet<u64> = point
                .retry
                .iter()
                .map(|id| tile_key(record.id, *id))
                .collect();
            state
                .tiles
                .update(|tiles| tiles.retain(|t| !retried.contains(&t.key)));
            let settings = record
                .settings
                .clone()
                .unwrap_or_else(|| state.settings.get_untracked());
            state.notice(format!(
                "Resuming “{}”: {} kept, {} to try again.",
                record.name,
                point.kept.len(),
                point.retry.len()
            ));
            state.launch(&record, settings, Some(point));
        });
    }

    pub fn cancel(&self) {
        self.session().cancel();
    }

    /// Pause (true) or resume (false) intake (the performance panel's control).
    pub fn pause(&self, paused: bool) {
        self.session().pause(paused);
    }

    /// Clear: stop, forget the shown collection (records, and originals no
    /// other collection uses), empty the cache, and stop the workers so
    /// their memory is freed.
    pub fn clear(&self) {
        let session = self.session();
        session.stop();
        let shown = self.active.get_untracked();
        self.active.set(0);
        self.show_nothing();
        if shown != 0 {
            self.forget(shown);
        }
    }

    fn forget(&self, id: u32) {
        let state = *self;
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = state.session().forget(id).await {
                state.notice(format!("The collection could not be deleted: {e}."));
            }
            state.refresh();
        });
    }

    /// Shows a stored collection: its tiles (thumbnails are made again from
    /// the stored originals as they scroll into view) and its counts.
    async fn show(&self, record: CollectionRecord) {
        self.active.set(record.id);
        self.resumable
            .set(record.can_resume().then(|| record.clone()));
        let Ok(items) = self.session().items(record.id).await else {
            return;
        };
        let (counts, statuses) = Counts::from_records(&items);
        let tiles = items
            .iter()
            .zip(statuses)
            .filter_map(|(r, status)| GalleryItem::of_record(record.id, r, status))
            .collect();
        self.counts.set(counts);
        self.tiles.set(tiles);
        self.notice(format!(
            "Restored “{}”: {} collected.",
            record.name, counts.collected
        ));
    }

    /// Opens a stored collection (a running one is cancelled, as Collect would).
    pub fn open(&self, id: u32) {
        let Some(record) = self
            .collections
            .with_untracked(|all| all.iter().find(|c| c.id == id).cloned())
        else {
            return;
        };
        self.session().cancel();
        self.show_nothing();
        let state = *self;
        wasm_bindgen_futures::spawn_local(async move { state.show(record).await });
    }

    pub fn rename(&self, id: u32, name: String) {
        let name = name.trim().to_string();
        let Some(mut record) = self
            .collections
            .with_untracked(|all| all.iter().find(|c| c.id == id).cloned())
        else {
            return;
        };
        if name.is_empty() || name == record.name {
            return;
        }
        record.name = name;
        let state = *self;
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = state.session().save_collection(&record).await {
                state.notice(format!("The collection could not be renamed: {e}."));
            }
            state.refresh();
        });
    }

    /// Deletes a stored collection (Clear, if it is the one shown).
    pub fn delete(&self, id: u32) {
        if self.active.get_untracked() == id {
            self.clear();
        } else {
            self.forget(id);
        }
    }

    /// Exports the shown collection as a ZIP (`zip`) or its URLs as CSV.
    pub fn export(&self, zip: bool) {
        let id = self.active.get_untracked();
        if id == 0 {
            return;
        }
        let state = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let line = state.session().export(id, zip).await.unwrap_or_else(|e| e);
            state.notice(line);
        });
    }

    /// Imports a ZIP made by an export, as a new collection shown at once.
    pub fn import(&self, file: web_sys::File) {
        let session = self.session();
        if !session.keeps_collections() {
            self.notice(
                "Importing needs the browser's storage, which is not available here.".into(),
            );
            return;
        }
        session.cancel();
        self.show_nothing();
        let name = file.name();
        let record = CollectionRecord {
            id: session.new_id(),
            name: name.trim_end_matches(".zip").to_string(),
            provider: "import".into(),
            created_unix_ms: js_sys::Date::now(),
            state: RunState::Done,
            ..CollectionRecord::default()
        };
        self.active.set(record.id);
        let thumb_px = self.settings.with_untracked(|s| s.thumb_px);
        let state = *self;
        wasm_bindgen_futures::spawn_local(async move {
            let imported = session.import(file, &record, thumb_px).await;
            state.refresh();
            match imported {
                Ok(n) => {
                    state.show(record).await;
                    state.notice(format!("Imported {name}: {n} images."));
                }
                Err(e) => state.notice(format!("{name} could not be imported: {e}.")),
            }
        });
    }
}
