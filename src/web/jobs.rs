//! The page's side of export and import: what goes into an export (read
//! from the stored records by `core::export`), the job a worker runs for it
//! (`web::archive`), its progress and Cancel, and the file the user gets.
//!
//! An export's ZIP arrives in chunks that the worker already put in the
//! browser's blob storage (which keeps large blobs on disk): the page only
//! collects their handles, so it never holds the ZIP in its own memory. One
//! job runs at a time; the page hears of its progress through a callback.

use std::cell::{Cell, RefCell};

use futures::channel::oneshot;
use web_sys::{Blob, File, IdbDatabase};

use crate::core::export::{
    attribution_md, manifest_csv, manifest_jsonl, url_list_csv, ManifestRow, ATTRIBUTION,
    MANIFEST_CSV, MANIFEST_JSONL,
};
use crate::core::protocol::{ExportImage, FromWorker, ToWorker};
use crate::core::record::{CollectionRecord, ItemRecord};
use crate::web::save::{file_name, save_file};
use crate::web::worker_bridge::WorkerPool;
use crate::web::{originals, store};

/// What the page shows of the job under way.
#[derive(Clone, Debug, PartialEq)]
pub struct JobView {
    pub job: u32,
    /// "Export" or "Import".
    pub label: &'static str,
    pub done: u32,
    pub total: u32,
    /// When it began (performance.now ms), for its rate and ETA.
    pub started_ms: f64,
}

struct Job {
    parts: js_sys::Array,
    ended: Option<oneshot::Sender<Result<u32, String>>>,
}

/// The page's export and import jobs: the one under way, and who hears of
/// its progress.
pub struct Jobs {
    pool: WorkerPool,
    job: RefCell<Option<(u32, Job)>>,
    shown: RefCell<Option<JobView>>,
    next: Cell<u32>,
    on_progress: Box<dyn Fn(Option<JobView>)>,
}

impl Jobs {
    /// Jobs run on `pool`'s worker 0; `on_progress` hears each change.
    pub fn new(pool: WorkerPool, on_progress: impl Fn(Option<JobView>) + 'static) -> Jobs {
        Jobs {
            pool,
            job: RefCell::new(None),
            shown: RefCell::new(None),
            next: Cell::new(1),
            on_progress: Box::new(on_progress),
        }
    }

    fn show(&self, view: Option<JobView>) {
        *self.shown.borrow_mut() = view.clone();
        (self.on_progress)(view);
    }

    /// Cancels the job under way: the worker stops at its next image.
    pub fn cancel(&self) {
        if let Some((job, _)) = self.job.borrow().as_ref() {
            self.pool.send(0, &ToWorker::CancelJob { job: *job });
        }
    }

    /// A worker's message about a job (the page routes them here).
    pub fn on_message(&self, msg: FromWorker, chunk: Option<Blob>) {
        match msg {
            FromWorker::ExportChunk { job, done, total } => {
                if let (Some((id, state)), Some(chunk)) = (self.job.borrow().as_ref(), &chunk) {
                    if *id == job {
                        state.parts.push(chunk);
                    }
                }
                self.moved(job, done, total);
            }
            FromWorker::JobProgress { job, done, total } => self.moved(job, done, total),
            FromWorker::JobEnded { job, result } => self.end(job, result),
            _ => {}
        }
    }

    /// Worker 0 (which runs jobs) stopped: the job under way cannot finish.
    pub fn worker_crashed(&self, worker: usize, reason: &str) {
        if worker != 0 {
            return;
        }
        let job = self.job.borrow().as_ref().map(|(id, _)| *id);
        if let Some(job) = job {
            self.end(job, Err(reason.to_string()));
        }
    }

    fn moved(&self, job: u32, done: u32, total: u32) {
        let shown = self.shown.borrow().clone();
        if let Some(mut v) = shown.filter(|v| v.job == job) {
            v.done = done;
            v.total = total;
            self.show(Some(v));
        }
    }

    fn end(&self, job: u32, result: Result<u32, String>) {
        let sender = match self.job.borrow_mut().as_mut() {
            Some((id, state)) if *id == job => state.ended.take(),
            _ => None,
        };
        if let Some(s) = sender {
            let _ = s.send(result);
        }
    }

    /// Runs one job on worker 0 and waits for its end; the export's parts come back too.
    async fn run(
        &self,
        label: &'static str,
        total: u32,
        msg: impl FnOnce(u32) -> ToWorker,
        file: Option<wasm_bindgen::JsValue>,
    ) -> Result<(u32, js_sys::Array), String> {
        if self.job.borrow().is_some() {
            return Err("another export or import is under way; wait for it or cancel it".into());
        }
        self.pool.ensure(self.pool.len().max(1))?;
        let job = self.next.get();
        self.next.set(job + 1);
        let (tx, rx) = oneshot::channel();
        *self.job.borrow_mut() = Some((
            job,
            Job {
                parts: js_sys::Array::new(),
                ended: Some(tx),
            },
        ));
        self.show(Some(JobView {
            job,
            label,
            done: 0,
            total,
            started_ms: super::now_ms(),
        }));
        self.pool.send_with(0, &msg(job), file);
        let result = rx
            .await
            .unwrap_or_else(|_| Err("it stopped unexpectedly".into()));
        let parts = self
            .job
            .borrow_mut()
            .take()
            .map(|(_, j)| j.parts)
            .unwrap_or_default();
        self.show(None);
        result.map(|n| (n, parts))
    }
}

async fn records_of(db: &IdbDatabase, collection: u32) -> Result<Vec<ItemRecord>, String> {
    let mut items = store::load_items(db, collection)
        .await
        .map_err(|e| e.to_string())?;
    items.sort_by_key(|r| r.id);
    Ok(items)
}

impl Jobs {
    /// Exports a collection as a ZIP: its originals under `images/`, the
    /// manifest (JSON lines and CSV) and `ATTRIBUTION.md`; the browser saves it.
    pub async fn export_zip(&self, db: &IdbDatabase, c: &CollectionRecord) -> Result<u32, String> {
        let items = records_of(db, c.id).await?;
        let rows: Vec<ManifestRow> = items.iter().map(ManifestRow::of).collect();
        let images: Vec<ExportImage> = rows
            .iter()
            .filter(|r| !r.file.is_empty())
            .map(|r| ExportImage {
                path: r.file.clone(),
                sha256: r.sha256.clone(),
            })
            .collect();
        let texts = vec![
            (MANIFEST_JSONL.to_string(), manifest_jsonl(&rows)),
            (MANIFEST_CSV.to_string(), manifest_csv(&rows)),
            (ATTRIBUTION.to_string(), attribution_md(&c.name, &items)),
        ];
        let total = images.len() as u32;
        let (written, parts) = self
            .run(
                "Export",
                total,
                |job| ToWorker::Export { job, images, texts },
                None,
            )
            .await?;
        save_file(&parts, "application/zip", &file_name(&c.name, "zip"))?;
        Ok(written)
    }

    /// Exports a collection's URLs as `url,caption` CSV, for img2dataset.
    pub async fn export_urls(&self, db: &IdbDatabase, c: &CollectionRecord) -> Result<(), String> {
        let items = records_of(db, c.id).await?;
        let csv = url_list_csv(&items);
        save_file(
            &js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&csv)),
            "text/csv",
            &file_name(&format!("{}-urls", c.name), "csv"),
        )
    }

    /// Imports a ZIP made by an export as collection `record` (already numbered
    /// and named); on failure nothing of it is kept.
    pub async fn import_zip(
        &self,
        db: &IdbDatabase,
        file: File,
        record: &CollectionRecord,
        thumb_px: u32,
    ) -> Result<u32, String> {
        store::put_collection(db, record)
            .await
            .map_err(|e| e.to_string())?;
        let collection = record.id;
        let result = self
            .run(
                "Import",
                0,
                |job| ToWorker::Import {
                    job,
                    collection,
                    thumb_px,
                },
                Some(file.into()),
            )
            .await;
        match result {
            Ok((images, _)) => Ok(images),
            Err(e) => {
                let _ = originals::forget_collection(db, collection).await;
                Err(e)
            }
        }
    }
}
