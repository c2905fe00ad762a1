//! The page's side of the service worker (`pwa/sw.js`, which keeps the app
//! shell for offline use): registers it and says when a new build waits.
//!
//! The worker is registered as `./sw.js`, relative to the page, so its scope
//! is the folder the page is served from (`https://host/collector/` as well
//! as `https://host/`). A release build registers it; a debug build
//! (`make run`, the test layers) does not, so a rebuilt page shows on the next
//! reload and those tests run without a service worker.
//!
//! "A new build waits": a worker is `installed` while another one controls
//! the page, or another tab let a new one take over this page. The page then
//! offers "Reload to update" ([`apply_update`]): the waiting worker is told to
//! `skip-waiting`, and the page reloads once it has taken over.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};

/// How often an open page asks whether a new build was published.
const UPDATE_CHECK_MS: u32 = 60 * 60 * 1000;

/// The browser's service worker container, if this page may have one (a
/// secure context in a browser that has them).
fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let present = js_sys::Reflect::get(&navigator, &"serviceWorker".into())
        .ok()
        .is_some_and(|v| v.is_object());
    present.then(|| navigator.service_worker())
}

/// Registers the service worker (release builds) and calls `on_waiting`
/// whenever a new build is ready to take over.
pub fn register(on_waiting: impl Fn() + 'static) {
    if cfg!(debug_assertions) {
        return;
    }
    let Some(sw) = container() else {
        warn("This browser offers no service worker here, so the page will not open offline.");
        return;
    };
    let on_waiting: Rc<dyn Fn()> = Rc::new(on_waiting);
    // Another tab applied an update and the new worker took this page over:
    // this page still runs the old build, so it offers a reload too.
    if sw.controller().is_some() {
        let on_waiting = on_waiting.clone();
        let changed = Closure::<dyn Fn()>::new(move || on_waiting());
        sw.add_event_listener_with_callback("controllerchange", changed.as_ref().unchecked_ref())
            .ok();
        changed.forget();
    }
    wasm_bindgen_futures::spawn_local(async move {
        match JsFuture::from(sw.register("./sw.js")).await {
            Ok(reg) => watch(&sw, reg.unchecked_into(), on_waiting),
            Err(e) => warn(&format!(
                "The service worker could not be registered ({}), so the page will not open offline.",
                describe(&e)
            )),
        }
    });
}

/// Calls `on_waiting` for a worker already waiting, and for each new build
/// that finishes installing while an older one controls the page.
fn watch(sw: &ServiceWorkerContainer, reg: ServiceWorkerRegistration, on_waiting: Rc<dyn Fn()>) {
    let controlled = {
        let sw = sw.clone();
        move || sw.controller().is_some()
    };
    if reg.waiting().is_some() && controlled() {
        on_waiting();
    }
    let found = {
        let reg = reg.clone();
        Closure::<dyn Fn()>::new(move || {
            let Some(installing) = reg.installing() else {
                return;
            };
            let worker = installing.clone();
            let on_waiting = on_waiting.clone();
            let controlled = controlled.clone();
            let changed = Closure::<dyn Fn()>::new(move || {
                if worker.state() == ServiceWorkerState::Installed && controlled() {
                    on_waiting();
                }
            });
            installing.set_onstatechange(Some(changed.as_ref().unchecked_ref()));
            changed.forget();
        })
    };
    reg.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
    found.forget();
    // Browsers look for a new sw.js on navigation; an installed app may stay
    // open for days.
    Interval::new(UPDATE_CHECK_MS, move || {
        if let Ok(p) = reg.update() {
            // Offline, the check fails; the next one tries again.
            wasm_bindgen_futures::spawn_local(async move {
                let _ = JsFuture::from(p).await;
            });
        }
    })
    .forget();
}

/// "Reload to update": lets the waiting build take over, then reloads the
/// page once it has. With none waiting (another tab already applied it),
/// reloads at once.
pub fn apply_update() {
    let Some(sw) = container() else {
        reload();
        return;
    };
    wasm_bindgen_futures::spawn_local(async move {
        let waiting = JsFuture::from(sw.get_registration())
            .await
            .ok()
            .and_then(|r| r.dyn_into::<ServiceWorkerRegistration>().ok())
            .and_then(|r| r.waiting());
        let Some(waiting) = waiting else {
            reload();
            return;
        };
        let took_over = Closure::<dyn Fn()>::new(reload);
        sw.add_event_listener_with_callback("controllerchange", took_over.as_ref().unchecked_ref())
            .ok();
        took_over.forget();
        let msg = js_sys::Object::new();
        js_sys::Reflect::set(&msg, &"type".into(), &"skip-waiting".into()).ok();
        if let Err(e) = waiting.post_message(&msg) {
            warn(&format!(
                "The new version could not be started ({}); reload the page to try again.",
                describe(&e)
            ));
        }
    });
}

fn reload() {
    if let Some(w) = web_sys::window() {
        let _ = w.location().reload();
    }
}

fn warn(sentence: &str) {
    web_sys::console::warn_1(&sentence.into());
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "no reason given".into())
}
