//! The worker's side of export and import: ZIP files with the `zip` crate.
//!
//! Export streams: each stored original is read from Cache Storage and
//! written into the ZIP as it is (JPEG, PNG, WebP and GIF are already
//! compressed), the manifest and attribution texts are deflated, and the
//! ZIP's bytes go to the browser's blob storage in chunks of [`CHUNK`], whose
//! handles go to the page: a worker holds at most one original and one chunk
//! at a time, and the page none of it.
//!
//! Import reads a ZIP made by an export without loading it whole: the file
//! is read in slices with `FileReaderSync`. Each image's bytes must hash to
//! the SHA-256 its manifest row names; they go to storage before the row's
//! record is written.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::{Read, Seek, SeekFrom, Write};

use wasm_bindgen::JsCast;
use web_sys::{Blob, FileReaderSync};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use crate::core::export::{parse_manifest, MANIFEST_JSONL};
use crate::core::image_check::sniff;
use crate::core::protocol::{ExportImage, FromWorker};
use crate::core::record::ItemRecord;
use crate::web::originals::{get_original, put_original};
use crate::web::store::{put_items, StoreError};

/// Bytes a chunk of an export holds before it goes to the page.
const CHUNK: usize = 4 << 20;
/// Records written per transaction during an import.
const RECORDS_PER_WRITE: usize = 64;

thread_local! {
    static CANCELLED: RefCell<HashSet<u32>> = RefCell::new(HashSet::new());
}

/// Stops job `job` at its next image.
pub fn cancel(job: u32) {
    CANCELLED.with_borrow_mut(|c| c.insert(job));
}

fn cancelled(job: u32) -> bool {
    CANCELLED.with_borrow(|c| c.contains(&job))
}

const CANCELLED_SENTENCE: &str = "it was cancelled";

/// The ZIP's bytes, passed to the page a chunk at a time.
struct ToPage {
    job: u32,
    buffer: Vec<u8>,
    /// Images written so far (the export loop counts them).
    done: std::rc::Rc<std::cell::Cell<u32>>,
    total: u32,
    /// A chunk could not be handed over: the export cannot be whole.
    failed: bool,
}

impl ToPage {
    /// Moves the buffer into the browser's blob storage (one copy, straight
    /// out of wasm memory) and posts the blob's handle.
    fn send(&mut self) {
        // SAFETY: the view lives only until the Blob constructor has copied
        // it; nothing allocates in wasm memory in between.
        let blob = unsafe {
            let view = js_sys::Uint8Array::view(&self.buffer);
            Blob::new_with_u8_array_sequence(&js_sys::Array::of1(&view))
        };
        self.buffer.clear();
        match blob {
            Ok(blob) => super::worker_state::post_blob(
                &FromWorker::ExportChunk {
                    job: self.job,
                    done: self.done.get(),
                    total: self.total,
                },
                &blob,
            ),
            Err(_) => self.failed = true,
        }
    }
}

impl Write for ToPage {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes the export's ZIP and says how it ended.
pub async fn export(job: u32, images: Vec<ExportImage>, texts: Vec<(String, String)>) {
    let result = write_zip(job, &images, &texts).await;
    CANCELLED.with_borrow_mut(|c| c.remove(&job));
    super::worker_state::post(&FromWorker::JobEnded { job, result }, None);
}

async fn write_zip(
    job: u32,
    images: &[ExportImage],
    texts: &[(String, String)],
) -> Result<u32, String> {
    let total = images.len() as u32;
    let done = std::rc::Rc::new(std::cell::Cell::new(0));
    let mut zip = ZipWriter::new_stream(ToPage {
        job,
        buffer: Vec::with_capacity(CHUNK + (1 << 20)),
        done: done.clone(),
        total,
        failed: false,
    });
    let zip_error = |e: zip::result::ZipError| format!("the ZIP could not be written ({e})");
    let io_error = |e: std::io::Error| format!("the ZIP could not be written ({e})");
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    for (name, text) in texts {
        zip.start_file(name.as_str(), deflated).map_err(zip_error)?;
        zip.write_all(text.as_bytes()).map_err(io_error)?;
    }
    let stored = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Stored)
        .large_file(false);
    let mut written = 0;
    for image in images {
        if cancelled(job) {
            return Err(CANCELLED_SENTENCE.into());
        }
        let bytes = match get_original(&image.sha256).await {
            // Into wasm memory: the zip crate writes from there.
            Ok(Some(b)) => b.to_vec(),
            Ok(None) => {
                return Err(format!(
                    "the original of {} is no longer in this browser's storage",
                    image.path
                ))
            }
            Err(e) => return Err(e.to_string()),
        };
        zip.start_file(image.path.as_str(), stored)
            .map_err(zip_error)?;
        zip.write_all(&bytes).map_err(io_error)?;
        written += 1;
        done.set(written);
    }
    let mut sink = zip.finish().map_err(zip_error)?.into_inner();
    sink.send();
    if sink.failed {
        return Err("the browser could not keep part of the ZIP (is its disk full?)".into());
    }
    Ok(written)
}

/// A `Blob` (the picked file) read in slices, synchronously (workers may).
struct BlobReader {
    blob: Blob,
    reader: FileReaderSync,
    position: u64,
    size: u64,
}

impl Read for BlobReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let end = (self.position + buf.len() as u64).min(self.size);
        if end <= self.position {
            return Ok(0);
        }
        let slice = self
            .blob
            .slice_with_f64_and_f64(self.position as f64, end as f64)
            .and_then(|s| self.reader.read_as_array_buffer(&s))
            .map_err(|_| std::io::Error::other("the file could not be read"))?;
        let bytes = js_sys::Uint8Array::new(&slice);
        let n = bytes.length() as usize;
        bytes.copy_to(&mut buf[..n]);
        self.position += n as u64;
        Ok(n)
    }
}

impl Seek for BlobReader {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => n as i128,
            SeekFrom::End(d) => self.size as i128 + d as i128,
            SeekFrom::Current(d) => self.position as i128 + d as i128,
        };
        if target < 0 {
            return Err(std::io::Error::other("a seek before the file's start"));
        }
        self.position = target as u64;
        Ok(self.position)
    }
}

/// Reads an exported ZIP into collection `collection` and says how it ended.
pub async fn import(job: u32, collection: u32, thumb_px: u32, file: Blob) {
    let result = read_zip(job, collection, thumb_px, file).await;
    CANCELLED.with_borrow_mut(|c| c.remove(&job));
    super::worker_state::post(&FromWorker::JobEnded { job, result }, None);
}

async fn read_zip(job: u32, collection: u32, thumb_px: u32, file: Blob) -> Result<u32, String> {
    let reader = FileReaderSync::new()
        .map_err(|_| "this browser cannot read files in a worker".to_string())?;
    let size = file.size() as u64;
    let not_ours = |e: zip::result::ZipError| format!("it is not a ZIP this app exported ({e})");
    let mut zip = ZipArchive::new(BlobReader {
        blob: file,
        reader,
        position: 0,
        size,
    })
    .map_err(not_ours)?;
    let mut text = String::new();
    zip.by_name(MANIFEST_JSONL)
        .map_err(|_| format!("it has no {MANIFEST_JSONL}, so it is not a ZIP this app exported"))?
        .read_to_string(&mut text)
        .map_err(|e| format!("its {MANIFEST_JSONL} could not be read ({e})"))?;
    let rows = parse_manifest(&text)?;
    let db = super::worker_state::records_db()
        .await
        .map_err(|e| e.to_string())?;
    let total = rows.len() as u32;
    let mut batch: Vec<ItemRecord> = Vec::new();
    let mut images = 0;
    for (done, row) in rows.iter().enumerate() {
        if cancelled(job) {
            return Err(CANCELLED_SENTENCE.into());
        }
        let record = row
            .record(collection, thumb_px)
            .map_err(|e| format!("row {} of {MANIFEST_JSONL}: {e}", done + 1))?;
        if !row.file.is_empty() {
            let mut bytes = Vec::new();
            zip.by_name(&row.file)
                .map_err(|_| format!("{} is named in the manifest but not in the ZIP", row.file))?
                .read_to_end(&mut bytes)
                .map_err(|e| format!("{} could not be read ({e})", row.file))?;
            let sha = super::sha256::of_bytes(&bytes);
            if sha != row.sha256 {
                return Err(format!(
                    "{} is not the image its manifest row names (its SHA-256 differs)",
                    row.file
                ));
            }
            let mime = sniff(&bytes)
                .ok()
                .map(|f| format!("image/{}", f.name()))
                .unwrap_or_else(|| "application/octet-stream".into());
            match put_original(&sha, &js_sys::Uint8Array::from(bytes.as_slice()), &mime).await {
                Ok(()) => images += 1,
                Err(StoreError::Full) => return Err(StoreError::Full.to_string()),
                Err(e) => return Err(e.to_string()),
            }
        }
        batch.push(record);
        if batch.len() >= RECORDS_PER_WRITE || done + 1 == rows.len() {
            put_items(&db, &batch).await.map_err(|e| e.to_string())?;
            batch.clear();
            super::worker_state::post(
                &FromWorker::JobProgress {
                    job,
                    done: done as u32 + 1,
                    total,
                },
                None,
            );
        }
    }
    Ok(images)
}

// `Blob` must be a `JsCast` for the attachment; this keeps the import honest
// about what it was handed.
pub fn as_blob(value: wasm_bindgen::JsValue) -> Option<Blob> {
    value.dyn_into::<Blob>().ok()
}
