//! The detail view of one collected image: its thumbnail at once, then the
//! full image when a worker has made it from the stored original
//! (progressive), with the source's credits beside it, read back from the
//! image's stored record (the gallery keeps only a few words a tile).
//!
//! The full image is asked for at `High` priority (after visible thumbnails,
//! before everything else) and cached in the same byte-bounded cache as the
//! thumbnails, under [`full_key`], so it counts against the budget and is
//! evicted like them. Provider text is shown as text; only http(s) links are
//! made links.

use leptos::prelude::*;

use crate::core::protocol::{full_key, tile_parts};
use crate::core::record::ItemRecord;
use crate::core::urls::is_http_link;
use crate::ui::state::AppState;

/// The full image's long side at most, in device pixels: a screen's worth.
const FULL_MAX_PX: u32 = 2048;

/// The long side to make the full image at: the window's, in device pixels,
/// within [256, FULL_MAX_PX] (a smaller original stays its size).
fn full_px() -> u32 {
    let Some(w) = web_sys::window() else {
        return FULL_MAX_PX;
    };
    let css = |v: Result<wasm_bindgen::JsValue, _>| v.ok().and_then(|v| v.as_f64()).unwrap_or(0.0);
    let long = css(w.inner_width()).max(css(w.inner_height())) * w.device_pixel_ratio();
    (long.ceil() as u32).clamp(256, FULL_MAX_PX)
}

#[component]
pub fn Detail() -> impl IntoView {
    let state = expect_context::<AppState>();
    let (open, thumbs) = (state.detail, state.thumbs());
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let dialog = NodeRef::<leptos::html::Div>::new();
    // "thumbnail" until the full image is drawn, then "full".
    let stage = RwSignal::new("none");
    let epoch = thumbs.epoch();
    // The shown image's stored record, for its credits.
    let record = RwSignal::new(None::<ItemRecord>);
    // A new image: ask for its full size and its record, and put focus in the dialog.
    let asking = thumbs.clone();
    Effect::new(move |_| {
        stage.set("none");
        record.set(None);
        let Some(item) = open.get() else { return };
        if let Some(sha) = &item.sha256 {
            asking.request_full(item.key, sha, full_px());
        }
        let (collection, id) = tile_parts(item.key);
        let session = state.session();
        wasm_bindgen_futures::spawn_local(async move {
            let found = session.item(collection, id).await.ok().flatten();
            if open.with_untracked(|o| o.as_ref().map(|i| i.key)) == Some(item.key) {
                record.set(found);
            }
        });
        request_animation_frame(move || {
            if let Some(d) = dialog.get_untracked() {
                let _ = d.focus();
            }
        });
    });
    // Draw the best there is: the full image, else the thumbnail.
    Effect::new(move |_| {
        epoch.track();
        let (Some(item), Some(c)) = (open.get(), canvas.get()) else {
            return;
        };
        if stage.get_untracked() == "full" {
            return;
        }
        if thumbs.draw(full_key(item.key), &c) {
            stage.set("full");
        } else if stage.get_untracked() == "none" && thumbs.draw(item.key, &c) {
            stage.set("thumbnail");
        }
    });
    let forgetting = StoredValue::new_local(state.thumbs());
    let close = move || {
        if let Some(item) = open.get_untracked() {
            forgetting.with_value(|t| t.forget_full(item.key));
        }
        open.set(None);
    };
    let keys = window_event_listener(leptos::ev::keydown, move |e: web_sys::KeyboardEvent| {
        if e.key() == "Escape" && open.get_untracked().is_some() {
            close();
        }
    });
    on_cleanup(move || keys.remove());

    move || {
        let item = open.get()?;
        let title = if item.title.is_empty() {
            "Untitled image".to_string()
        } else {
            item.title.clone()
        };
        let (label, heading) = (title.clone(), title.clone());
        Some(view! {
            <div class="detail-backdrop" on:click=move |_| close()></div>
            <div class="detail" data-testid="detail" role="dialog" aria-modal="true"
                aria-label=label tabindex="-1" node_ref=dialog>
                <header>
                    <h2>{heading}</h2>
                    <button type="button" data-testid="detail-close" aria-label="Close (Escape)"
                        on:click=move |_| close()>"Close"</button>
                </header>
                <canvas data-testid="detail-image" data-stage=move || stage.get() node_ref=canvas
                    width="1" height="1" aria-label=title></canvas>
                {move || record.get().filter(|r| r.collected.is_some()).map(|r| credits(&r))}
            </div>
        })
    }
}

/// What the source said of the image, and what it turned out to be.
fn credits(record: &ItemRecord) -> impl IntoView {
    let c = &record.candidate;
    let Some(got) = &record.collected else {
        return ().into_any();
    };
    let link = |text: String, href: &str| {
        if is_http_link(href) {
            view! { <a href=href.to_string() target="_blank" rel="noopener noreferrer">{text}</a> }
                .into_any()
        } else {
            view! { <span>{text}</span> }.into_any()
        }
    };
    let mut rows: Vec<(&'static str, AnyView)> = Vec::new();
    let mb = got.bytes as f64 / (1024.0 * 1024.0);
    // Two decimals under a megabyte: a small image is not "0.0 MB".
    let size = format!(
        "{} × {} {}, {:.*} MB",
        got.width,
        got.height,
        got.format.to_uppercase(),
        if mb < 1.0 { 2 } else { 1 },
        mb
    );
    rows.push(("Image", view! { <span>{size}</span> }.into_any()));
    if !c.creator.is_empty() {
        rows.push(("By", view! { <span>{c.creator.clone()}</span> }.into_any()));
    }
    if !c.license.is_empty() {
        rows.push(("License", link(c.license.clone(), &c.license_url)));
    }
    if !c.source_page.is_empty() {
        rows.push(("Source", link(c.source_page.clone(), &c.source_page)));
    }
    if !c.attribution.is_empty() {
        rows.push((
            "Credit",
            view! { <span>{c.attribution.clone()}</span> }.into_any(),
        ));
    }
    if !c.caption.is_empty() {
        rows.push((
            "Caption",
            view! { <span>{c.caption.clone()}</span> }.into_any(),
        ));
    }
    rows.push(("From", link(c.url.clone(), &c.url)));
    view! {
        <dl class="credits" data-testid="detail-credits">
            {rows.into_iter().map(|(k, v)| view! { <dt>{k}</dt> <dd>{v}</dd> }).collect_view()}
        </dl>
    }
    .into_any()
}
