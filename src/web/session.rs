//! The page's session with the collector: its worker pool, its records
//! database, the collection under way, the export and import jobs and the
//! memory sampler, and the one route of what the workers say. The page
//! (`ui::state`) holds one and hands it out. It holds no signals: what the
//! page must hear comes through the [`Hooks`] it was made with.

use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};

use futures::StreamExt;
use web_sys::{IdbDatabase, ImageBitmap};

use crate::core::pressure::{LevelChange, PressureLevel};
use crate::core::protocol::FromWorker;
use crate::core::record::{CollectionRecord, ItemRecord, ResumePoint};
use crate::core::settings::Settings;
use crate::web::collector::{self, CollectionHandle, Report};
use crate::web::jobs::{JobView, Jobs};
use crate::web::originals;
use crate::web::sampler::Sampler;
use crate::web::store::{self, RecordWriter};
use crate::web::worker_bridge::{PoolEvent, WorkerPool};

/// A thumbnail made again arrived (with its key), or why it could not be.
pub type Remade = Box<dyn Fn(u64, Result<(), String>, Option<ImageBitmap>)>;

/// What the page hears from the session.
pub struct Hooks {
    pub remade: Remade,
    /// A worker said how long it was busy in its last second.
    pub busy: Box<dyn Fn(usize, f64)>,
    /// A worker stopped; the sentence says how.
    pub stopped: Box<dyn Fn(usize, String)>,
    /// The memory pressure level changed (after the running collection heard).
    pub level: Box<dyn Fn(LevelChange)>,
    /// An export or import moved (or ended: `None`).
    pub job: Box<dyn Fn(Option<JobView>)>,
    /// The thumbnail cache's size now, for the memory readings.
    pub cache_bytes: Box<dyn Fn() -> u64>,
}

/// The page's services. Cheap to share (`Rc`).
pub struct Session {
    pool: WorkerPool,
    jobs: Jobs,
    sampler: Sampler,
    db: RefCell<Option<IdbDatabase>>,
    records: RefCell<RecordWriter>,
    current: RefCell<Option<CollectionHandle>>,
    next_id: Cell<u32>,
}

/// The sentence for a storage failure the user can act on.
fn failed(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

impl Session {
    /// A session with memory lines from `settings`.
    pub fn new(settings: &Settings, hooks: Hooks) -> Rc<Session> {
        let hooks = Rc::new(hooks);
        let pool = WorkerPool::default();
        Rc::new_cyclic(|me: &Weak<Session>| {
            let me_level = me.clone();
            let level_hooks = hooks.clone();
            let cache_hooks = hooks.clone();
            let sampler = Sampler::start(
                settings.warning_mb,
                settings.critical_mb,
                1_000,
                move || (cache_hooks.cache_bytes)(),
                move |change| {
                    if let Some(me) = me_level.upgrade() {
                        if let Some(c) = me.current.borrow().as_ref() {
                            c.pressure(change.to);
                        }
                    }
                    (level_hooks.level)(change);
                },
            );
            let job_hooks = hooks.clone();
            let jobs = Jobs::new(pool.clone(), move |v| (job_hooks.job)(v));
            route(&pool, me.clone(), hooks);
            Session {
                pool,
                jobs,
                sampler,
                db: RefCell::new(None),
                records: RefCell::new(RecordWriter::new(None)),
                current: RefCell::new(None),
                next_id: Cell::new(1),
            }
        })
    }

    pub fn pool(&self) -> &WorkerPool {
        &self.pool
    }

    pub fn sampler(&self) -> &Sampler {
        &self.sampler
    }

    pub fn jobs(&self) -> &Jobs {
        &self.jobs
    }

    /// Opens the records database; the stored collections, newest last.
    pub async fn open_store(&self) -> Result<Vec<CollectionRecord>, String> {
        let db = store::open_db()
            .await
            .map_err(|e| failed("Collections will not be kept", e))?;
        *self.records.borrow_mut() = RecordWriter::new(Some(db.clone()));
        let all = store::load_collections(&db).await.unwrap_or_default();
        self.next_id
            .set(all.iter().map(|c| c.id).max().unwrap_or(0) + 1);
        *self.db.borrow_mut() = Some(db);
        Ok(all)
    }

    fn db(&self) -> Result<IdbDatabase, String> {
        self.db
            .borrow()
            .clone()
            .ok_or_else(|| "the browser's storage is not available here".to_string())
    }

    /// Whether collections are kept (the database is open).
    pub fn keeps_collections(&self) -> bool {
        self.db.borrow().is_some()
    }

    /// A number no collection has.
    pub fn new_id(&self) -> u32 {
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        id
    }

    /// Starts collection `record` (new, or resumed from `resume`), with
    /// `settings`; `report` hears it. One running before is cancelled.
    pub fn start(
        &self,
        record: &CollectionRecord,
        settings: Settings,
        resume: Option<ResumePoint>,
        report: Rc<dyn Fn(Report)>,
    ) {
        self.cancel();
        let Some(choice) = record.choice.clone() else {
            return;
        };
        let writer = self.records.borrow().clone();
        let handle = collector::start(
            record.id,
            choice,
            settings,
            self.pool.clone(),
            writer,
            report,
            resume,
        );
        if let Some((_, level)) = self.sampler.latest() {
            if level != PressureLevel::Normal {
                handle.pressure(level);
            }
        }
        *self.current.borrow_mut() = Some(handle);
    }

    /// Cancels the collection under way, if any.
    pub fn cancel(&self) {
        if let Some(old) = self.current.borrow_mut().take() {
            old.cancel();
        }
    }

    /// Pauses (true) or resumes (false) the running collection's intake.
    pub fn pause(&self, paused: bool) {
        if let Some(c) = self.current.borrow().as_ref() {
            c.set_paused(paused);
        }
    }

    /// The browser went offline (false) or back online (true).
    pub fn network(&self, online: bool) {
        if let Some(c) = self.current.borrow().as_ref() {
            c.network(online);
        }
    }

    /// Cancels, and stops the workers so that their memory is freed.
    pub fn stop(&self) {
        self.cancel();
        self.pool.stop();
        self.sampler.forget_workers();
    }

    /// The stored collections.
    pub async fn collections(&self) -> Result<Vec<CollectionRecord>, String> {
        store::load_collections(&self.db()?)
            .await
            .map_err(|e| e.to_string())
    }

    /// Keeps a collection's record.
    pub async fn save_collection(&self, record: &CollectionRecord) -> Result<(), String> {
        store::put_collection(&self.db()?, record)
            .await
            .map_err(|e| e.to_string())
    }

    /// A stored collection's records.
    pub async fn items(&self, id: u32) -> Result<Vec<ItemRecord>, String> {
        store::load_items(&self.db()?, id)
            .await
            .map_err(|e| e.to_string())
    }

    /// One stored record (the detail view's credits).
    pub async fn item(&self, collection: u32, id: u32) -> Result<Option<ItemRecord>, String> {
        store::load_item(&self.db()?, collection, id)
            .await
            .map_err(|e| e.to_string())
    }

    /// Where collection `id` takes up again: what was settled for good
    /// stays; the records of what is tried again are dropped.
    pub async fn resume_point(&self, id: u32) -> Result<ResumePoint, String> {
        let db = self.db()?;
        let items = store::load_items(&db, id)
            .await
            .map_err(|e| e.to_string())?;
        let point = ResumePoint::of(&items);
        store::delete_items(&db, id, &point.retry)
            .await
            .map_err(|e| e.to_string())?;
        Ok(point)
    }

    /// Forgets a collection: its records, and the originals no other
    /// collection uses.
    pub async fn forget(&self, id: u32) -> Result<(), String> {
        originals::forget_collection(&self.db()?, id)
            .await
            .map_err(|e| e.to_string())
    }

    /// Exports collection `id` as a ZIP (`zip`) or its URLs as CSV; the
    /// sentence says what was saved.
    pub async fn export(&self, id: u32, zip: bool) -> Result<String, String> {
        let db = self.db()?;
        let all = store::load_collections(&db)
            .await
            .map_err(|e| e.to_string())?;
        let c = all
            .into_iter()
            .find(|c| c.id == id)
            .ok_or("the collection is no longer stored")?;
        let said = if zip {
            self.jobs.export_zip(&db, &c).await.map(|n| {
                format!("Exported “{}” as a ZIP: {n} images, with manifest.jsonl, manifest.csv and ATTRIBUTION.md.", c.name)
            })
        } else {
            self.jobs
                .export_urls(&db, &c)
                .await
                .map(|()| format!("Exported the URLs of “{}” as url,caption CSV.", c.name))
        };
        said.map_err(|e| format!("The export of “{}” stopped: {e}.", c.name))
    }

    /// Imports a ZIP made by an export as collection `record`; how many images it held.
    pub async fn import(
        &self,
        file: web_sys::File,
        record: &CollectionRecord,
        thumb_px: u32,
    ) -> Result<u32, String> {
        let db = self.db()?;
        self.jobs.import_zip(&db, file, record, thumb_px).await
    }
}

/// Everything the workers say goes where it belongs: remade thumbnails to
/// the page, jobs' messages to the jobs, the rest to the collection under way.
fn route(pool: &WorkerPool, session: Weak<Session>, hooks: Rc<Hooks>) {
    let (tx, mut rx) = futures::channel::mpsc::unbounded();
    pool.listen(tx);
    wasm_bindgen_futures::spawn_local(async move {
        while let Some(event) = rx.next().await {
            let Some(s) = session.upgrade() else { return };
            if let PoolEvent::Message {
                worker,
                msg:
                    FromWorker::ChunkDone { wasm_bytes, .. }
                    | FromWorker::Remade { wasm_bytes, .. }
                    | FromWorker::Busy { wasm_bytes, .. },
                ..
            } = &event
            {
                s.sampler.worker_wasm(*worker, *wasm_bytes);
            }
            match event {
                PoolEvent::Message {
                    msg: FromWorker::Remade { key, result, .. },
                    thumbnail,
                    ..
                } => (hooks.remade)(key, result.map(|_| ()), thumbnail),
                PoolEvent::Message {
                    worker,
                    msg: FromWorker::Busy { busy_ms, .. },
                    ..
                } => (hooks.busy)(worker, busy_ms),
                PoolEvent::Message {
                    msg:
                        msg @ (FromWorker::ExportChunk { .. }
                        | FromWorker::JobProgress { .. }
                        | FromWorker::JobEnded { .. }),
                    blob,
                    ..
                } => s.jobs.on_message(msg, blob),
                other => {
                    if let PoolEvent::Crashed { worker, reason } = &other {
                        (hooks.stopped)(*worker, reason.clone());
                        s.jobs.worker_crashed(*worker, reason);
                    }
                    if let Some(handle) = s.current.borrow().as_ref() {
                        handle.pool_event(other);
                    }
                }
            }
        }
    });
}
