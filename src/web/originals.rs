//! The originals: the downloaded files as they came, kept in Cache Storage
//! under their SHA-256 (`core::record::original_key`), so a duplicate is
//! stored once. A worker keeps each original before it reports the image
//! collected, so a reload or an eviction loses nothing.
//!
//! Cache Storage, not OPFS: a stored `Response` streams back out in one call
//! in page and worker alike, with no handles to manage. `make bench`
//! measured OPFS's sync access handles in the worker at no less CPU per
//! image in a whole collection (their extra round trips to open each file
//! cost what the copy saves); see ARCHITECTURE.md.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Cache, CacheStorage, Response, ResponseInit};

use crate::core::record::original_key;
use crate::web::store::{self, store_error, StoreError};

const ORIGINALS: &str = "collector-originals-v1";

fn caches() -> Result<CacheStorage, StoreError> {
    let caches = js_sys::Reflect::get(&js_sys::global(), &"caches".into()).map_err(store_error)?;
    caches.dyn_into::<CacheStorage>().map_err(|_| {
        StoreError::Unavailable("Cache Storage needs a secure context (https or localhost)".into())
    })
}

async fn originals() -> Result<Cache, StoreError> {
    thread_local! {
        /// Opened once per thread (page or worker): nothing deletes this cache.
        static OPENED: std::cell::RefCell<Option<Cache>> = const { std::cell::RefCell::new(None) };
    }
    if let Some(cache) = OPENED.with_borrow(Clone::clone) {
        return Ok(cache);
    }
    let cache = JsFuture::from(caches()?.open(ORIGINALS))
        .await
        .map_err(store_error)?
        .dyn_into::<Cache>()
        .map_err(|_| StoreError::Failed("Cache Storage answered oddly".into()))?;
    OPENED.set(Some(cache.clone()));
    Ok(cache)
}

/// Keeps an original's bytes (a JS buffer: they need not pass through wasm
/// memory) under its SHA-256. A worker calls this.
pub async fn put_original(
    sha256: &str,
    bytes: &Uint8Array,
    content_type: &str,
) -> Result<(), StoreError> {
    let cache = originals().await?;
    let init = ResponseInit::new();
    let headers = web_sys::Headers::new().map_err(store_error)?;
    headers
        .set("content-type", content_type)
        .map_err(store_error)?;
    headers
        .set("content-length", &bytes.length().to_string())
        .map_err(store_error)?;
    init.set_headers(&headers);
    let response =
        Response::new_with_opt_buffer_source_and_init(Some(bytes), &init).map_err(store_error)?;
    JsFuture::from(cache.put_with_str(&original_key(sha256), &response))
        .await
        .map_err(store_error)?;
    Ok(())
}

/// An original's bytes, if stored, in a JS buffer.
pub async fn get_original(sha256: &str) -> Result<Option<Uint8Array>, StoreError> {
    let cache = originals().await?;
    let found = JsFuture::from(cache.match_with_str(&original_key(sha256)))
        .await
        .map_err(store_error)?;
    let Ok(response) = found.dyn_into::<Response>() else {
        return Ok(None);
    };
    let buffer = JsFuture::from(response.array_buffer().map_err(store_error)?)
        .await
        .map_err(store_error)?;
    Ok(Some(Uint8Array::new(&buffer)))
}

/// Deletes originals by hash.
async fn delete_originals(hashes: &[String]) -> Result<(), StoreError> {
    let cache = originals().await?;
    for h in hashes {
        JsFuture::from(cache.delete_with_str(&original_key(h)))
            .await
            .map_err(store_error)?;
    }
    Ok(())
}

/// Deletes a collection: its records, and the originals no other stored
/// collection uses.
pub async fn forget_collection(
    db: &web_sys::IdbDatabase,
    collection: u32,
) -> Result<(), StoreError> {
    let mine: Vec<String> = store::load_items(db, collection)
        .await?
        .into_iter()
        .filter_map(|r| r.collected.map(|c| c.sha256))
        .collect();
    let others = store::originals_of_others(db, collection).await?;
    let unused: Vec<String> = mine.into_iter().filter(|h| !others.contains(h)).collect();
    store::delete_collection(db, collection).await?;
    delete_originals(&unused).await
}
