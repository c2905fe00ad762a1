//! The records in IndexedDB (the originals are in `web::originals`), and
//! why storing failed.
//!
//! Records ([`ItemRecord`], JSON text, one per candidate, and one
//! [`CollectionRecord`] per collection) are written a batch per transaction,
//! and read back by collection.

use js_sys::{Array, Promise};
use serde::de::DeserializeOwned;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    IdbDatabase, IdbKeyRange, IdbObjectStore, IdbOpenDbRequest, IdbRequest, IdbTransactionMode,
};

use crate::core::record::{CollectionRecord, ItemRecord, RunState};

const DB_NAME: &str = "collector";
const DB_VERSION: u32 = 1;
const ITEMS: &str = "items";
const COLLECTIONS: &str = "collections";

/// Why something could not be stored. `Display` is the sentence shown.
#[derive(Clone, Debug, PartialEq)]
pub enum StoreError {
    /// The browser's storage quota is used up.
    Full,
    /// Storage is not available here (not a secure context, or disabled).
    Unavailable(String),
    Failed(String),
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Full => f.write_str("the browser's storage for this site is full; free some (delete a collection) to collect more"),
            StoreError::Unavailable(why) => write!(f, "originals cannot be kept in this browser ({why})"),
            StoreError::Failed(why) => write!(f, "storing failed ({why})"),
        }
    }
}

pub(crate) fn store_error(e: JsValue) -> StoreError {
    let name = js_sys::Reflect::get(&e, &"name".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    let message = js_sys::Reflect::get(&e, &"message".into())
        .ok()
        .and_then(|n| n.as_string())
        .unwrap_or_default();
    if name == "QuotaExceededError" {
        StoreError::Full
    } else if name == "SecurityError" {
        StoreError::Unavailable(message)
    } else {
        StoreError::Failed(if message.is_empty() { name } else { message })
    }
}

/// Turns an IDB request into a future of its result.
async fn done(request: &IdbRequest) -> Result<JsValue, StoreError> {
    let promise = Promise::new(&mut |resolve, reject| {
        let req = request.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &req.result().unwrap_or(JsValue::UNDEFINED));
        });
        let req = request.clone();
        let bad = Closure::once_into_js(move || {
            let e = req
                .error()
                .ok()
                .flatten()
                .map(JsValue::from)
                .unwrap_or_else(|| "IndexedDB failed".into());
            let _ = reject.call1(&JsValue::NULL, &e);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(bad.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(store_error)
}

/// The records database, made on first use.
pub async fn open_db() -> Result<IdbDatabase, StoreError> {
    let factory = js_sys::Reflect::get(&js_sys::global(), &"indexedDB".into())
        .ok()
        .and_then(|f| f.dyn_into::<web_sys::IdbFactory>().ok())
        .ok_or_else(|| StoreError::Unavailable("IndexedDB is not available".into()))?;
    let open: IdbOpenDbRequest = factory
        .open_with_u32(DB_NAME, DB_VERSION)
        .map_err(store_error)?;
    let upgrade = Closure::<dyn FnMut(web_sys::IdbVersionChangeEvent)>::new(
        move |e: web_sys::IdbVersionChangeEvent| {
            let Some(req) = e
                .target()
                .and_then(|t| t.dyn_into::<IdbOpenDbRequest>().ok())
            else {
                return;
            };
            let Ok(db) = req.result().and_then(|r| r.dyn_into::<IdbDatabase>()) else {
                return;
            };
            let names = db.object_store_names();
            if !names.contains(ITEMS) {
                let _ = db.create_object_store(ITEMS);
            }
            if !names.contains(COLLECTIONS) {
                let _ = db.create_object_store(COLLECTIONS);
            }
        },
    );
    open.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let db = done(&open).await;
    drop(upgrade);
    db?.dyn_into::<IdbDatabase>()
        .map_err(|_| StoreError::Failed("IndexedDB answered oddly".into()))
}

fn item_key(collection: u32, id: u32) -> JsValue {
    Array::of2(&collection.into(), &id.into()).into()
}

/// The keys of every record of `collection`.
fn items_of(collection: u32) -> Result<JsValue, StoreError> {
    IdbKeyRange::bound(&item_key(collection, 0), &item_key(collection, u32::MAX))
        .map(JsValue::from)
        .map_err(store_error)
}

/// An object store in a transaction of its own.
fn object_store(
    db: &IdbDatabase,
    name: &str,
    mode: IdbTransactionMode,
) -> Result<IdbObjectStore, StoreError> {
    db.transaction_with_str_and_mode(name, mode)
        .and_then(|tx| tx.object_store(name))
        .map_err(store_error)
}

/// The rows `request` read back (JSON text), as values; unreadable rows are
/// skipped.
async fn rows<T: DeserializeOwned>(
    request: Result<IdbRequest, JsValue>,
) -> Result<Vec<T>, StoreError> {
    let all: Array = done(&request.map_err(store_error)?).await?.unchecked_into();
    Ok(all
        .iter()
        .filter_map(|v| v.as_string())
        .filter_map(|s| serde_json::from_str(&s).ok())
        .collect())
}

fn json<T: serde::Serialize>(value: &T) -> Result<JsValue, StoreError> {
    serde_json::to_string(value)
        .map(JsValue::from)
        .map_err(|e| StoreError::Failed(e.to_string()))
}

/// Runs `each` on every key in one read-write transaction of `ITEMS`.
async fn write_items<K>(
    db: &IdbDatabase,
    keys: &[K],
    each: impl Fn(&IdbObjectStore, &K) -> Result<IdbRequest, StoreError>,
) -> Result<(), StoreError> {
    let Some(last) = keys.last() else {
        return Ok(());
    };
    let store = object_store(db, ITEMS, IdbTransactionMode::Readwrite)?;
    for key in &keys[..keys.len() - 1] {
        each(&store, key)?;
    }
    done(&each(&store, last)?).await.map(drop)
}

/// Writes records in one transaction.
pub async fn put_items(db: &IdbDatabase, items: &[ItemRecord]) -> Result<(), StoreError> {
    write_items(db, items, |store, item| {
        store
            .put_with_key(&json(item)?, &item_key(item.collection, item.id))
            .map_err(store_error)
    })
    .await
}

/// Deletes these records of a collection (a resume tries them again).
pub async fn delete_items(
    db: &IdbDatabase,
    collection: u32,
    ids: &[u32],
) -> Result<(), StoreError> {
    write_items(db, ids, |store, id| {
        store
            .delete(&item_key(collection, *id))
            .map_err(store_error)
    })
    .await
}

/// Every record of a collection, by id.
pub async fn load_items(db: &IdbDatabase, collection: u32) -> Result<Vec<ItemRecord>, StoreError> {
    let store = object_store(db, ITEMS, IdbTransactionMode::Readonly)?;
    rows(store.get_all_with_key(&items_of(collection)?)).await
}

/// One record, if stored.
pub async fn load_item(
    db: &IdbDatabase,
    collection: u32,
    id: u32,
) -> Result<Option<ItemRecord>, StoreError> {
    let store = object_store(db, ITEMS, IdbTransactionMode::Readonly)?;
    let found = done(&store.get(&item_key(collection, id)).map_err(store_error)?).await?;
    Ok(found
        .as_string()
        .and_then(|s| serde_json::from_str(&s).ok()))
}

/// The originals' hashes that collections other than `collection` use.
pub async fn originals_of_others(
    db: &IdbDatabase,
    collection: u32,
) -> Result<std::collections::HashSet<String>, StoreError> {
    let store = object_store(db, ITEMS, IdbTransactionMode::Readonly)?;
    let all: Vec<ItemRecord> = rows(store.get_all()).await?;
    Ok(all
        .into_iter()
        .filter(|r| r.collection != collection)
        .filter_map(|r| r.collected.map(|c| c.sha256))
        .collect())
}

/// Saves a collection's record.
pub async fn put_collection(db: &IdbDatabase, c: &CollectionRecord) -> Result<(), StoreError> {
    let store = object_store(db, COLLECTIONS, IdbTransactionMode::Readwrite)?;
    let request = store.put_with_key(&json(c)?, &c.id.into());
    done(&request.map_err(store_error)?).await.map(drop)
}

/// Every stored collection, oldest first.
pub async fn load_collections(db: &IdbDatabase) -> Result<Vec<CollectionRecord>, StoreError> {
    let store = object_store(db, COLLECTIONS, IdbTransactionMode::Readonly)?;
    rows(store.get_all()).await
}

/// Marks collection `id` as ended ("done", "cancelled", "stopped"): one
/// left "collecting" was interrupted and can be resumed.
pub async fn set_collection_state(
    db: &IdbDatabase,
    id: u32,
    state: RunState,
) -> Result<(), StoreError> {
    let Some(mut c) = load_collections(db).await?.into_iter().find(|c| c.id == id) else {
        return Ok(()); // cleared meanwhile
    };
    c.state = state;
    put_collection(db, &c).await
}

/// Deletes a collection's records (`web::originals::forget_collection`
/// deletes its originals too).
pub async fn delete_collection(db: &IdbDatabase, collection: u32) -> Result<(), StoreError> {
    let tx = db
        .transaction_with_str_sequence_and_mode(
            &Array::of2(&ITEMS.into(), &COLLECTIONS.into()),
            IdbTransactionMode::Readwrite,
        )
        .map_err(store_error)?;
    let items = tx.object_store(ITEMS).map_err(store_error)?;
    items.delete(&items_of(collection)?).map_err(store_error)?;
    let collections = tx.object_store(COLLECTIONS).map_err(store_error)?;
    let request = collections.delete(&collection.into());
    done(&request.map_err(store_error)?).await.map(drop)
}

/// Writes records in batches: one transaction at most every 200 ms, so a
/// burst of results costs one write.
#[derive(Clone)]
pub struct RecordWriter {
    inner: std::rc::Rc<std::cell::RefCell<WriterInner>>,
}

struct WriterInner {
    db: Option<IdbDatabase>,
    pending: Vec<ItemRecord>,
    scheduled: bool,
}

impl RecordWriter {
    /// A writer into `db`; with `None` (no IndexedDB here) records are dropped.
    pub fn new(db: Option<IdbDatabase>) -> RecordWriter {
        let inner = WriterInner {
            db,
            pending: Vec::new(),
            scheduled: false,
        };
        RecordWriter {
            inner: std::rc::Rc::new(std::cell::RefCell::new(inner)),
        }
    }

    pub fn push(&self, record: ItemRecord) {
        let mut inner = self.inner.borrow_mut();
        if inner.db.is_none() {
            return;
        }
        inner.pending.push(record);
        if inner.scheduled {
            return;
        }
        inner.scheduled = true;
        let this = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            gloo_timers::future::TimeoutFuture::new(200).await;
            this.flush().await;
        });
    }

    /// Records that collection `id` ended, and how.
    pub async fn collection_ended(&self, id: u32, state: RunState) {
        let db = self.inner.borrow().db.clone();
        if let Some(db) = db {
            if let Err(e) = set_collection_state(&db, id, state).await {
                web_sys::console::error_1(
                    &format!("the collection's end could not be saved: {e}").into(),
                );
            }
        }
    }

    /// Writes what is pending now.
    pub async fn flush(&self) {
        let (db, batch) = {
            let mut inner = self.inner.borrow_mut();
            inner.scheduled = false;
            (inner.db.clone(), std::mem::take(&mut inner.pending))
        };
        if let Some(db) = db {
            if let Err(e) = put_items(&db, &batch).await {
                web_sys::console::error_1(&format!("records could not be saved: {e}").into());
            }
        }
    }
}
