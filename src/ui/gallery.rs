//! The gallery: one tile per settled image, its thumbnail drawn into a canvas,
//! or the reason it failed or was filtered out.

use leptos::html::Canvas;
use leptos::prelude::*;

use crate::ui::thumbs;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ItemKind {
    Collected,
    Failed,
    Filtered,
}

impl ItemKind {
    fn name(self) -> &'static str {
        match self {
            ItemKind::Collected => "collected",
            ItemKind::Failed => "failed",
            ItemKind::Filtered => "filtered",
        }
    }
}

/// One tile of the gallery. Provider text (the title) is shown as text only.
#[derive(Clone, Debug, PartialEq)]
pub struct GalleryItem {
    pub id: u32,
    pub kind: ItemKind,
    pub title: String,
    pub reason: String,
    pub width: u32,
    pub height: u32,
}

#[component]
pub fn Gallery(items: RwSignal<Vec<GalleryItem>>) -> impl IntoView {
    view! {
        <ul class="gallery" data-testid="gallery" aria-label="Collected images">
            <For each=move || items.get() key=|item| item.id let:item>
                <Tile item=item />
            </For>
        </ul>
    }
}

#[component]
fn Tile(item: GalleryItem) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    let id = item.id;
    Effect::new(move |_| {
        if let Some(c) = canvas.get() {
            thumbs::draw(id, &c);
        }
    });
    let label = if item.title.is_empty() { format!("Image {id}") } else { item.title.clone() };
    let body = match item.kind {
        ItemKind::Collected => view! {
            <canvas node_ref=canvas width=item.width height=item.height aria-label=label.clone()></canvas>
        }
        .into_any(),
        _ => view! {
            <div class="reason"><b>{label.clone()}</b><span>{item.reason}</span></div>
        }
        .into_any(),
    };
    view! {
        <li class=format!("thumb {}", item.kind.name()) data-testid="thumb" data-state=item.kind.name()
            data-id=id title=label>
            {body}
        </li>
    }
}
