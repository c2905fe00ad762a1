//! The memory pressure sampler: once a second it reads what the page can know
//! of its memory and feeds `core::pressure`'s level machine.
//!
//! Readings: `performance.memory` (Chromium; exact with
//! `--enable-precise-memory-info`), `performance.measureUserAgentSpecificMemory()`
//! where the page is cross-origin isolated (at most every 10 s: it waits for a
//! garbage collection), the page's wasm memory, and each worker's wasm memory
//! as the workers last reported it. The latest figures are also published as
//! `globalThis.__collectorMetrics` for the performance panel, tests and
//! benchmarks. The page owns one [`Sampler`] and hands it out.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::pressure::{LevelChange, MemoryReading, PressureLevel, PressureMachine};

const MIB: u64 = 1024 * 1024;
const UA_MEMORY_EVERY_MS: f64 = 10_000.0;

#[derive(Default)]
struct Shared {
    workers_wasm: HashMap<usize, u64>,
    ua_specific: Option<u64>,
    ua_asked_at: f64,
    ua_pending: bool,
    extra: HashMap<&'static str, f64>,
    latest: Option<(MemoryReading, PressureLevel)>,
}

/// The page's own wasm memory, in bytes.
pub fn page_wasm_bytes() -> u64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .map(|m| {
            m.buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length() as u64
        })
        .unwrap_or(0)
}

fn number(v: &wasm_bindgen::JsValue, key: &str) -> Option<u64> {
    js_sys::Reflect::get(v, &key.into())
        .ok()
        .and_then(|n| n.as_f64())
        .map(|n| n as u64)
}

/// Takes one reading now.
fn read(shared: &Rc<RefCell<Shared>>, cache_bytes: u64) -> MemoryReading {
    let performance = web_sys::window().and_then(|w| w.performance());
    let memory = performance
        .as_ref()
        .and_then(|p| js_sys::Reflect::get(p, &"memory".into()).ok())
        .filter(|m| m.is_object());
    ask_ua_memory(shared);
    let s = shared.borrow();
    MemoryReading {
        js_heap_used: memory.as_ref().and_then(|m| number(m, "usedJSHeapSize")),
        js_heap_total: memory.as_ref().and_then(|m| number(m, "totalJSHeapSize")),
        js_heap_limit: memory.as_ref().and_then(|m| number(m, "jsHeapSizeLimit")),
        ua_specific: s.ua_specific,
        page_wasm: page_wasm_bytes(),
        workers_wasm: s.workers_wasm.values().sum(),
        cache_bytes,
    }
}

/// Starts `measureUserAgentSpecificMemory` if the page may and it is due.
fn ask_ua_memory(shared: &Rc<RefCell<Shared>>) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let isolated = js_sys::Reflect::get(&window, &"crossOriginIsolated".into())
        .ok()
        .and_then(|v| v.as_bool())
        == Some(true);
    let now = js_sys::Date::now();
    let due = {
        let s = shared.borrow();
        !s.ua_pending && now - s.ua_asked_at >= UA_MEMORY_EVERY_MS
    };
    if !isolated || !due {
        return;
    }
    let Some(performance) = window.performance() else {
        return;
    };
    let Ok(f) = js_sys::Reflect::get(&performance, &"measureUserAgentSpecificMemory".into()) else {
        return;
    };
    let Ok(f) = f.dyn_into::<js_sys::Function>() else {
        return;
    };
    let Ok(promise) = f
        .call0(&performance)
        .and_then(|p| p.dyn_into::<js_sys::Promise>())
    else {
        return;
    };
    {
        let mut s = shared.borrow_mut();
        s.ua_pending = true;
        s.ua_asked_at = now;
    }
    let shared = shared.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let bytes = JsFuture::from(promise)
            .await
            .ok()
            .and_then(|r| number(&r, "bytes"));
        let mut s = shared.borrow_mut();
        s.ua_pending = false;
        if bytes.is_some() {
            s.ua_specific = bytes;
        }
    });
}

fn publish_reading(shared: &Shared, r: &MemoryReading, level: &str) {
    let o = js_sys::Object::new();
    let set = |k: &str, v: f64| {
        let _ = js_sys::Reflect::set(&o, &k.into(), &v.into());
    };
    set("js_heap_used", r.js_heap_used.unwrap_or(0) as f64);
    set("js_heap_total", r.js_heap_total.unwrap_or(0) as f64);
    set(
        "ua_specific",
        r.ua_specific.map(|b| b as f64).unwrap_or(f64::NAN),
    );
    set("page_wasm", r.page_wasm as f64);
    set("workers_wasm", r.workers_wasm as f64);
    set("cache_bytes", r.cache_bytes as f64);
    set("total", r.total() as f64);
    set("at", js_sys::Date::now());
    for (k, v) in &shared.extra {
        set(k, *v);
    }
    let _ = js_sys::Reflect::set(&o, &"level".into(), &level.into());
    let _ = js_sys::Reflect::set(&js_sys::global(), &"__collectorMetrics".into(), &o);
}

/// The running sampler; dropping it stops it.
pub struct Sampler {
    machine: Rc<RefCell<PressureMachine>>,
    shared: Rc<RefCell<Shared>>,
    _interval: Interval,
}

impl Sampler {
    /// Samples every `every_ms`; `cache_bytes` tells the cache's size and
    /// `on_change` hears each level change.
    pub fn start(
        warning_mb: u32,
        critical_mb: u32,
        every_ms: u32,
        cache_bytes: impl Fn() -> u64 + 'static,
        on_change: impl Fn(LevelChange) + 'static,
    ) -> Sampler {
        let machine = Rc::new(RefCell::new(PressureMachine::new(
            warning_mb as u64 * MIB,
            critical_mb as u64 * MIB,
        )));
        let shared = Rc::new(RefCell::new(Shared::default()));
        let tick = {
            let (machine, shared) = (machine.clone(), shared.clone());
            move || {
                let reading = read(&shared, cache_bytes());
                let change = machine
                    .borrow_mut()
                    .observe(reading.total(), js_sys::Date::now());
                let level = machine.borrow().level();
                {
                    let mut s = shared.borrow_mut();
                    publish_reading(&s, &reading, level.name());
                    s.latest = Some((reading, level));
                }
                if let Some(change) = change {
                    on_change(change);
                }
            }
        };
        tick();
        Sampler {
            machine,
            shared,
            _interval: Interval::new(every_ms, tick),
        }
    }

    /// New warning and critical lines, in MB (applied at the next reading).
    pub fn set_lines(&self, warning_mb: u32, critical_mb: u32) {
        self.machine
            .borrow_mut()
            .set_lines(warning_mb as u64 * MIB, critical_mb as u64 * MIB);
    }

    /// A worker reported its wasm memory size.
    pub fn worker_wasm(&self, worker: usize, bytes: u64) {
        self.shared.borrow_mut().workers_wasm.insert(worker, bytes);
    }

    /// Workers were stopped: their memory is gone.
    pub fn forget_workers(&self) {
        self.shared.borrow_mut().workers_wasm.clear();
    }

    /// Adds a figure to the published metrics (the panel's redraw, storage).
    pub fn publish(&self, name: &'static str, value: f64) {
        self.shared.borrow_mut().extra.insert(name, value);
    }

    /// The latest reading and the level it led to.
    pub fn latest(&self) -> Option<(MemoryReading, PressureLevel)> {
        self.shared.borrow().latest
    }
}
