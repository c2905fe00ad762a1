//! The gallery, virtualized: only the rows near the viewport exist in the DOM.
//!
//! Every settled image has a [`GalleryItem`]: a few words, no pixels and no
//! credits (the detail view reads those back from storage), so the page
//! holds a few hundred bytes an image however large the collection. The
//! grid's geometry and which rows to render come from `core::viewport`; a
//! tile draws its thumbnail from the page's cache ([`Thumbs`]), or asks for
//! it to be made again from the stored original. Rows just past the
//! viewport are prefetched at low priority.

use leptos::html::Div;
use leptos::prelude::*;

use crate::core::ledger::Status;
use crate::core::priority::Priority;
use crate::core::viewport::{Grid, Window};
use crate::ui::state::AppState;
pub use crate::ui::tile::GalleryItem;

/// The smallest a tile gets, and the gap between tiles, in CSS px (style/main.css agrees).
const TILE_MIN: f64 = 132.0;
const GAP: f64 = 8.0;
/// Rows rendered above and below the viewport.
const OVERSCAN: usize = 1;

#[component]
pub fn Gallery() -> impl IntoView {
    let state = expect_context::<AppState>();
    let (items, thumbs) = (state.tiles, state.thumbs());
    let container = NodeRef::<Div>::new();
    // (top of the viewport relative to the gallery, viewport height, gallery width)
    let view_box = RwSignal::new((0.0f64, 900.0f64, 1200.0f64));
    let measure = move || {
        let (Some(el), Some(window)) = (container.get_untracked(), web_sys::window()) else {
            return;
        };
        let rect = el.get_bounding_client_rect();
        let height = window
            .inner_height()
            .ok()
            .and_then(|h| h.as_f64())
            .unwrap_or(900.0);
        let next = (-rect.top(), height, rect.width());
        if view_box.get_untracked() != next {
            view_box.set(next);
        }
    };
    let on_scroll = window_event_listener(leptos::ev::scroll, move |_| measure());
    let on_resize = window_event_listener(leptos::ev::resize, move |_| measure());
    // The gallery's width is known once it is laid out, and its place moves
    // as the parts above it change size. A ResizeObserver tells of both right
    // after the browser's own layout, so measuring then costs nothing; never
    // measure when items change: that would force a layout of the whole page
    // in the middle of applying a frame's reports (a 120 ms task in a trace).
    let observer = StoredValue::new_local(SizeObserver::new(measure));
    Effect::new(move |_| {
        if let (Some(el), Some(body)) = (container.get(), document().body()) {
            observer.with_value(|o| {
                o.observe(&el);
                o.observe(&body);
            });
        }
    });
    on_cleanup(move || {
        on_scroll.remove();
        on_resize.remove();
        observer.with_value(SizeObserver::disconnect);
    });

    let grid = Memo::new(move |_| {
        let width = view_box.get().2;
        Grid::fit(width, TILE_MIN, GAP, items.with(Vec::len))
    });
    let window = Memo::new(move |_| {
        let (top, height, _) = view_box.get();
        grid.get().window(top, height, OVERSCAN)
    });
    let rendered = Memo::new(move |_| {
        let w: Window = window.get();
        items.with(|all| {
            all.get(w.rendered.clone())
                .map(<[GalleryItem]>::to_vec)
                .unwrap_or_default()
        })
    });
    // Keep only the remakes still wanted, and prefetch the rows just below.
    let remakes = thumbs.clone();
    Effect::new(move |_| {
        let w = window.get();
        items.with_untracked(|all| {
            let wanted: std::collections::HashSet<u64> = all
                .get(w.rendered.start..w.prefetch.end.max(w.rendered.end))
                .unwrap_or_default()
                .iter()
                .map(|i| i.key)
                .collect();
            remakes.keep_only(|key| wanted.contains(&key));
            for item in all.get(w.prefetch.clone()).unwrap_or_default() {
                if let Some(sha) = &item.sha256 {
                    remakes.request(item.key, sha, Priority::Low);
                }
            }
        });
    });

    view! {
        <div class="gallery" data-testid="gallery" node_ref=container role="list" aria-label="Collected images"
            style:height=move || format!("{}px", grid.get().total_height())>
            <div class="grid"
                style:transform=move || format!("translateY({}px)", window.get().offset_top)
                style:grid-template-columns=move || format!("repeat({}, minmax(0, 1fr))", grid.get().columns)>
                <For each=move || rendered.get() key=|item| item.key let:item>
                    <Tile item=item />
                </For>
            </div>
        </div>
    }
}

/// A `ResizeObserver` calling back with no arguments, disconnected with its
/// component. Declared here rather than through web-sys: it is three calls.
struct SizeObserver {
    observer: Option<ResizeObserver>,
    _callback: wasm_bindgen::closure::Closure<dyn FnMut()>,
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    type ResizeObserver;
    #[wasm_bindgen(constructor, catch)]
    fn new(callback: &js_sys::Function) -> Result<ResizeObserver, wasm_bindgen::JsValue>;
    #[wasm_bindgen(method)]
    fn observe(this: &ResizeObserver, target: &web_sys::Element);
    #[wasm_bindgen(method)]
    fn disconnect(this: &ResizeObserver);
}

impl SizeObserver {
    fn new(on_change: impl FnMut() + 'static) -> SizeObserver {
        use wasm_bindgen::JsCast;
        let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(on_change);
        // A browser without ResizeObserver still measures on scroll and resize.
        let observer = ResizeObserver::new(callback.as_ref().unchecked_ref()).ok();
        SizeObserver {
            observer,
            _callback: callback,
        }
    }

    fn observe(&self, target: &web_sys::Element) {
        if let Some(o) = &self.observer {
            o.observe(target);
        }
    }

    fn disconnect(&self) {
        if let Some(o) = &self.observer {
            o.disconnect();
        }
    }
}

#[component]
fn Tile(item: GalleryItem) -> impl IntoView {
    let state = expect_context::<AppState>();
    let (thumbs, detail) = (state.thumbs(), state.detail);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let key = item.key;
    let sha = item.sha256.clone();
    let drawn = RwSignal::new(false);
    let epoch = thumbs.epoch();
    Effect::new(move |_| {
        epoch.track();
        if drawn.get_untracked() {
            return;
        }
        let Some(c) = canvas.get() else { return };
        if thumbs.draw(key, &c) {
            drawn.set(true);
        } else if let Some(sha) = &sha {
            thumbs.request(key, sha, Priority::Critical);
        }
    });
    let label = if item.title.is_empty() {
        "Untitled image".to_string()
    } else {
        item.title.clone()
    };
    let kind = item.kind;
    let reason = item.reason.clone();
    // Which decoder made the thumbnail (for the curious, and for tests).
    let decoder = item.decoded_by.map(|p| p.name());
    let body = match kind {
        Status::Collected => {
            let open = item.clone();
            view! {
                <button type="button" class="open" data-testid="open-detail"
                    aria-label=format!("Open {label}") on:click=move |_| detail.set(Some(open.clone()))>
                    <canvas node_ref=canvas width="1" height="1"></canvas>
                </button>
            }
            .into_any()
        }
        _ => view! {
            <div class="reason"><b dir="auto">{label.clone()}</b><span>{reason}</span></div>
        }
        .into_any(),
    };
    view! {
        <div class=format!("thumb {}", kind.word()) role="listitem" data-testid="thumb"
            data-state=kind.word() data-key=key.to_string() data-decoder=decoder
            data-drawn=move || drawn.get().to_string() title=label>
            {body}
        </div>
    }
}
