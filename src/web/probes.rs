//! What the page can measure of itself, for the performance panel: its
//! long tasks (a `PerformanceObserver`), the sizes of the app's own code,
//! and how much this site stores of the quota the browser grants.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

/// Calls `on_long_tasks` with the ms of the page thread's long tasks as the
/// browser reports them (type `longtask`), for the page's life.
pub fn observe_long_tasks(on_long_tasks: impl Fn(f64) + 'static) {
    let callback = Closure::<dyn FnMut(web_sys::PerformanceObserverEntryList)>::new(
        move |list: web_sys::PerformanceObserverEntryList| {
            let ms: f64 = list
                .get_entries()
                .iter()
                .filter_map(|e| e.dyn_into::<web_sys::PerformanceEntry>().ok())
                .map(|e| e.duration())
                .sum();
            on_long_tasks(ms);
        },
    );
    let Ok(observer) = web_sys::PerformanceObserver::new(callback.as_ref().unchecked_ref()) else {
        return;
    };
    // Unknown entry types are ignored (the chart then shows no long tasks).
    observer.observe(&web_sys::PerformanceObserverInit::new(&js_sys::Array::of1(
        &"longtask".into(),
    )));
    // Both live as long as the page.
    callback.forget();
    std::mem::forget(observer);
}

/// One of the app's own files: its name, and its bytes on the wire and
/// decoded, where known.
pub type CodeSize = (&'static str, Option<u64>, Option<u64>);

/// The sizes of the app's own code. The page's wasm and JS are named by the
/// preload links Trunk writes; their sizes come from resource timing (which
/// knows the compressed size too) or, when the browser has not filed that
/// entry yet, from a HEAD request, as the worker's do (the worker loads its
/// own, so they are never in the page's timing).
pub async fn code_sizes() -> Vec<CodeSize> {
    let Some(window) = web_sys::window() else {
        return Vec::new();
    };
    let href = |selector: &str| {
        window
            .document()
            .and_then(|d| d.query_selector(selector).ok().flatten())
            .and_then(|e| e.get_attribute("href"))
    };
    let files = [
        ("page wasm", href("link[rel=preload][href$='.wasm']")),
        ("page JS", href("link[rel=modulepreload]")),
        ("worker wasm", Some("./worker_bg.wasm".to_string())),
        ("worker JS", Some("./worker.js".to_string())),
    ];
    let timings: Vec<web_sys::PerformanceResourceTiming> = window
        .performance()
        .map(|p| p.get_entries_by_type("resource"))
        .unwrap_or_default()
        .iter()
        .filter_map(|e| e.dyn_into().ok())
        .collect();
    let mut sizes = Vec::new();
    for (label, url) in files {
        let Some(url) = url else { continue };
        let file = url.rsplit('/').next().unwrap_or_default().to_string();
        let timed = timings
            .iter()
            .find(|t| {
                t.name()
                    .split('?')
                    .next()
                    .is_some_and(|n| n.ends_with(&format!("/{file}")))
            })
            .filter(|t| t.decoded_body_size() > 0.0);
        let size = match timed {
            Some(t) => (
                Some(t.encoded_body_size() as u64).filter(|b| *b > 0),
                Some(t.decoded_body_size() as u64),
            ),
            None => (head_length(&url).await, None),
        };
        sizes.push((label, size.0, size.1));
    }
    sizes
}

/// The `Content-Length` a HEAD request for `url` answers, if any.
async fn head_length(url: &str) -> Option<u64> {
    match gloo_net::http::RequestBuilder::new(url)
        .method(gloo_net::http::Method::HEAD)
        .send()
        .await
    {
        Ok(r) if r.ok() => r
            .headers()
            .get("content-length")
            .and_then(|v| v.parse::<u64>().ok()),
        _ => None,
    }
}

fn storage_manager() -> Option<web_sys::StorageManager> {
    Some(web_sys::window()?.navigator().storage())
}

/// What this site stores and may store, in bytes: (usage, quota), from
/// `navigator.storage.estimate()`; `None` where the browser does not say.
pub async fn storage_estimate() -> Option<(u64, u64)> {
    let estimate = JsFuture::from(storage_manager()?.estimate().ok()?)
        .await
        .ok()?;
    let field = |name: &str| {
        js_sys::Reflect::get(&estimate, &name.into())
            .ok()?
            .as_f64()
            .map(|n| n as u64)
    };
    Some((field("usage")?, field("quota")?))
}

/// Asks the browser to keep this site's storage when it runs short of space
/// (`navigator.storage.persist()`): whether it agreed.
pub async fn ask_persist() -> Option<bool> {
    let answer = JsFuture::from(storage_manager()?.persist().ok()?)
        .await
        .ok()?;
    answer.as_bool()
}
