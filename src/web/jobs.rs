//! The page's side of export and import: what goes into an export (read
//! from the stored records by `core::export`), the job a worker runs for it
//! (`web::archive`), its progress and Cancel, and the file the user gets.
//!
//! An export's ZIP arrives in chunks that the worker already put in the
//! browser's blob storage (which keeps large blobs on disk): the page only
//! collects their handles, so it never holds the ZIP in its own memory. One
//! job runs at a time.

use std::cell::{Cell, RefCell};

use futures::channel::oneshot;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Blob, BlobPropertyBag, File, IdbDatabase};

use crate::core::export::{
    attribution_md, manifest_csv, manifest_jsonl, url_list_csv, ManifestRow, ATTRIBUTION,
    MANIFEST_CSV, MANIFEST_JSONL,
};
use crate::core::protocol::{ExportImage, FromWorker, ToWorker};
use crate::core::record::{CollectionRecord, ItemRecord};
use crate::web::store;
use crate::web::worker_bridge::WorkerPool;

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
    pool: WorkerPool,
}

thread_local! {
    static JOB: RefCell<Option<(u32, Job)>> = const { RefCell::new(None) };
    static NEXT_JOB: Cell<u32> = const { Cell::new(1) };
    static PROGRESS: ArcRwSignal<Option<JobView>> = ArcRwSignal::new(None);
}

/// The job under way, if any (for progress bars).
pub fn progress() -> ArcRwSignal<Option<JobView>> {
    PROGRESS.with(Clone::clone)
}

/// Cancels the job under way: the worker stops at its next image.
pub fn cancel() {
    JOB.with_borrow(|j| {
        if let Some((job, state)) = j {
            state.pool.send(0, &ToWorker::CancelJob { job: *job });
        }
    });
}

/// A worker's message about a job (the page routes them here).
pub fn on_message(msg: FromWorker, chunk: Option<Blob>) {
    match msg {
        FromWorker::ExportChunk { job, done, total } => {
            JOB.with_borrow(|j| {
                if let (Some((id, state)), Some(chunk)) = (j, &chunk) {
                    if *id == job {
                        state.parts.push(chunk);
                    }
                }
            });
            moved(job, done, total);
        }
        FromWorker::JobProgress { job, done, total } => moved(job, done, total),
        FromWorker::JobEnded { job, result } => end(job, result),
        _ => {}
    }
}

/// Worker 0 (which runs jobs) stopped: the job under way cannot finish.
pub fn worker_crashed(worker: usize, reason: &str) {
    if worker != 0 {
        return;
    }
    let job = JOB.with_borrow(|j| j.as_ref().map(|(id, _)| *id));
    if let Some(job) = job {
        end(job, Err(reason.to_string()));
    }
}

fn moved(job: u32, done: u32, total: u32) {
    PROGRESS.with(|p| {
        p.update(|v| {
            if let Some(v) = v.as_mut().filter(|v| v.job == job) {
                v.done = done;
                v.total = total;
            }
        })
    });
}

fn end(job: u32, result: Result<u32, String>) {
    let sender = JOB.with_borrow_mut(|j| match j {
        Some((id, state)) if *id == job => state.ended.take(),
        _ => None,
    });
    if let Some(s) = sender {
        let _ = s.send(result);
    }
}

/// Runs one job on worker 0 and waits for its end; the export's parts come back too.
async fn run(
    pool: &WorkerPool,
    label: &'static str,
    total: u32,
    msg: impl FnOnce(u32) -> ToWorker,
    file: Option<wasm_bindgen::JsValue>,
) -> Result<(u32, js_sys::Array), String> {
    if JOB.with_borrow(Option::is_some) {
        return Err("another export or import is under way; wait for it or cancel it".into());
    }
    pool.ensure(pool.len().max(1))?;
    let job = NEXT_JOB.get();
    NEXT_JOB.set(job + 1);
    let (tx, rx) = oneshot::channel();
    JOB.set(Some((
        job,
        Job {
            parts: js_sys::Array::new(),
            ended: Some(tx),
            pool: pool.clone(),
        },
    )));
    PROGRESS.with(|p| {
        p.set(Some(JobView {
            job,
            label,
            done: 0,
            total,
            started_ms: super::now_ms(),
        }))
    });
    pool.send_with(0, &msg(job), file);
    let result = rx
        .await
        .unwrap_or_else(|_| Err("it stopped unexpectedly".into()));
    let parts = JOB
        .with_borrow_mut(Option::take)
        .map(|(_, j)| j.parts)
        .unwrap_or_default();
    PROGRESS.with(|p| p.set(None));
    result.map(|n| (n, parts))
}

/// A safe file name from a collection's name.
pub fn file_name(name: &str, extension: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let stem = stem.trim_matches('-');
    let stem = if stem.is_empty() { "collection" } else { stem };
    format!("{stem}.{extension}")
}

async fn records_of(db: &IdbDatabase, collection: u32) -> Result<Vec<ItemRecord>, String> {
    let mut items = store::load_items(db, collection)
        .await
        .map_err(|e| e.to_string())?;
    items.sort_by_key(|r| r.id);
    Ok(items)
}

/// Exports a collection as a ZIP: its originals under `images/`, the
/// manifest (JSON lines and CSV) and `ATTRIBUTION.md`; the browser saves it.
pub async fn export_zip(
    pool: &WorkerPool,
    db: &IdbDatabase,
    c: &CollectionRecord,
) -> Result<u32, String> {
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
    let (written, parts) = run(
        pool,
        "Export",
        total,
        |job| ToWorker::Export { job, images, texts },
        None,
    )
    .await?;
    save(&parts, "application/zip", &file_name(&c.name, "zip"))?;
    Ok(written)
}

/// Exports a collection's URLs as `url,caption` CSV, for img2dataset.
pub async fn export_urls(db: &IdbDatabase, c: &CollectionRecord) -> Result<(), String> {
    let items = records_of(db, c.id).await?;
    let csv = url_list_csv(&items);
    save(
        &js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&csv)),
        "text/csv",
        &file_name(&format!("{}-urls", c.name), "csv"),
    )
}

/// Imports a ZIP made by an export as collection `record` (already numbered
/// and named); on failure nothing of it is kept.
pub async fn import_zip(
    pool: &WorkerPool,
    db: &IdbDatabase,
    file: File,
    record: &CollectionRecord,
    thumb_px: u32,
) -> Result<u32, String> {
    store::put_collection(db, record)
        .await
        .map_err(|e| e.to_string())?;
    let collection = record.id;
    let result = run(
        pool,
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
            let _ = store::forget_collection(db, collection).await;
            Err(e)
        }
    }
}

/// Hands the browser a file to save, made of these parts.
fn save(parts: &js_sys::Array, mime: &str, name: &str) -> Result<(), String> {
    let cannot = |_| "the browser could not make the file".to_string();
    let options = BlobPropertyBag::new();
    options.set_type(mime);
    let blob = Blob::new_with_blob_sequence_and_options(parts, &options).map_err(cannot)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(cannot)?;
    let link = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.create_element("a").ok())
        .and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        .ok_or("the browser could not offer the file")?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // The download has its own copy once it started; the URL goes soon after.
    gloo_timers::callback::Timeout::new(60_000, move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    })
    .forget();
    Ok(())
}
