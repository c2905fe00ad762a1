//! The image files: made on first use (on the blocking thread pool, at most
//! one per CPU at a time), kept in a bounded in-memory cache that forgets the
//! oldest files first, and made again when needed — they are deterministic.
//! File sizes, once known, are remembered for good, so search answers only
//! pay for making a file once.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use futures_util::future::join_all;
use tokio::sync::Semaphore;

use crate::library::Library;
use crate::pixels;

/// Number of per-id locks; two requests for the same file wait for one
/// encoding instead of making it twice.
const STRIPES: usize = 256;

struct Cache {
    files: HashMap<u32, Bytes>,
    order: VecDeque<u32>,
    total: usize,
    capacity: usize,
}

impl Cache {
    fn insert(&mut self, id: u32, bytes: Bytes) {
        if bytes.len() > self.capacity || self.files.contains_key(&id) {
            return;
        }
        while self.total + bytes.len() > self.capacity {
            let Some(old) = self.order.pop_front() else {
                break;
            };
            if let Some(b) = self.files.remove(&old) {
                self.total -= b.len();
            }
        }
        self.total += bytes.len();
        self.order.push_back(id);
        self.files.insert(id, bytes);
    }
}

/// Makes and keeps the library's files.
pub struct Store {
    library: Arc<Library>,
    cache: Mutex<Cache>,
    sizes: Mutex<HashMap<u32, u64>>,
    stripes: Vec<tokio::sync::Mutex<()>>,
    workers: Semaphore,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Store {
    /// A store for `library` whose cache holds up to `cache_bytes`.
    pub fn new(library: Arc<Library>, cache_bytes: usize) -> Store {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        Store {
            library,
            cache: Mutex::new(Cache {
                files: HashMap::new(),
                order: VecDeque::new(),
                total: 0,
                capacity: cache_bytes,
            }),
            sizes: Mutex::new(HashMap::new()),
            stripes: (0..STRIPES).map(|_| tokio::sync::Mutex::new(())).collect(),
            workers: Semaphore::new(cpus),
        }
    }

    /// The library whose files this store makes.
    pub fn library(&self) -> &Library {
        &self.library
    }

    /// The bytes of image `id` (which must exist in the library).
    pub async fn bytes(&self, id: u32) -> Result<Bytes, String> {
        if let Some(b) = lock(&self.cache).files.get(&id) {
            return Ok(b.clone());
        }
        let _same_id = self.stripes[id as usize % STRIPES].lock().await;
        if let Some(b) = lock(&self.cache).files.get(&id) {
            return Ok(b.clone());
        }
        let meta = self
            .library
            .get(id)
            .ok_or_else(|| format!("The library has no image {id}."))?
            .clone();
        let _worker = self
            .workers
            .acquire()
            .await
            .map_err(|_| "The server is shutting down.".to_string())?;
        let bytes = tokio::task::spawn_blocking(move || {
            pixels::encode(meta.pixel_seed, meta.width, meta.height, meta.format)
        })
        .await
        .map_err(|e| format!("Making image {id} failed: {e}."))?;
        let bytes = Bytes::from(bytes);
        lock(&self.sizes).insert(id, bytes.len() as u64);
        lock(&self.cache).insert(id, bytes.clone());
        Ok(bytes)
    }

    /// The exact file size of image `id`, making the file if it is not known.
    pub async fn size(&self, id: u32) -> Result<u64, String> {
        if let Some(&n) = lock(&self.sizes).get(&id) {
            return Ok(n);
        }
        Ok(self.bytes(id).await?.len() as u64)
    }

    /// The sizes of several images, made in parallel.
    pub async fn sizes(&self, ids: &[u32]) -> Result<Vec<u64>, String> {
        join_all(ids.iter().map(|&id| self.size(id)))
            .await
            .into_iter()
            .collect()
    }

    /// Bytes held by the cache now.
    pub fn cached_bytes(&self) -> usize {
        lock(&self.cache).total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::LibraryConfig;

    fn store(cache: usize) -> Store {
        let lib = Library::new(LibraryConfig {
            count: 20,
            seed: 9,
            min_side: 64,
            max_side: 200,
            formats: crate::library::all_formats(),
        });
        Store::new(Arc::new(lib), cache)
    }

    #[tokio::test]
    async fn files_are_remade_identically_after_eviction() {
        let s = store(1); // too small to keep anything
        let a = s.bytes(3).await.unwrap();
        assert_eq!(s.cached_bytes(), 0);
        let b = s.bytes(3).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(s.size(3).await.unwrap(), a.len() as u64);
    }

    #[tokio::test]
    async fn the_cache_stays_under_its_bound() {
        let s = store(60_000);
        for id in 0..20 {
            s.bytes(id).await.unwrap();
            assert!(s.cached_bytes() <= 60_000);
        }
        let sizes = s.sizes(&(0..20).collect::<Vec<_>>()).await.unwrap();
        assert!(sizes.iter().all(|&n| n > 0));
    }
}
