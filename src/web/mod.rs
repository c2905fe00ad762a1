//! Browser glue: the thin layer that does the I/O `core` asks for.
//!
//! - page side: [`session`] (the page's services: pool, records, the
//!   running collection, jobs, sampler, and the route of what workers say),
//!   [`worker_bridge`] (the one place that talks to workers), [`collector`]
//!   (drives a collection), [`source_fetch`] (provider requests),
//!   [`sampler`] (memory readings and pressure levels), [`jobs`] (export and
//!   import: what goes in, progress), [`save`] (the one way to offer a file),
//!   [`probes`] (long tasks, code sizes, storage), [`pwa`] (the service
//!   worker: registration and updates), [`stored_settings`] (settings in
//!   local storage);
//! - both: [`store`] (records in IndexedDB) and [`originals`] (the
//!   downloaded files, in Cache Storage);
//! - worker side: [`worker`] (the worker's entry and its jobs),
//!   [`worker_state`] (what it holds, and posting to the page), [`chunk`]
//!   (an item from download to report), [`archive`] (ZIP export and
//!   import), [`download`] (fetch with AbortSignal and deadlines),
//!   [`decode`] (thumbnails by the browser's decoders or wasm) and
//!   [`sha256`] (hashing by the browser's SubtleCrypto).

pub mod archive;
pub mod chunk;
pub mod collector;
pub mod decode;
pub mod download;
pub mod jobs;
pub mod originals;
pub mod probes;
pub mod pwa;
pub mod sampler;
pub mod save;
pub mod session;
pub mod sha256;
pub mod source_fetch;
pub mod store;
pub mod stored_settings;
pub mod worker;
pub mod worker_bridge;
pub mod worker_state;

/// Milliseconds since the Unix epoch, as the browser's clock says.
pub fn now_unix_ms() -> f64 {
    js_sys::Date::now()
}

/// A monotonic clock in milliseconds (`performance.now()`), in a page or a worker.
pub fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map(|p| p.now())
        .unwrap_or_else(js_sys::Date::now)
}

/// A value between 0 and 1 for jittering back-off.
pub fn jitter() -> f64 {
    js_sys::Math::random()
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
