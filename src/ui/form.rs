//! What the search form holds (each source keeps its own options), filled
//! from a deep link, and the source choice it names.

use leptos::prelude::*;

use crate::core::deep_link::DeepLink;
use crate::core::source::endpoints::default_api;
use crate::core::source::openverse::Filters;
use crate::core::source::SourceChoice;

/// What the form holds; each source keeps its own options.
#[derive(Clone, Copy)]
pub struct FormState {
    pub provider: RwSignal<String>,
    pub query: RwSignal<String>,
    /// Base address per provider: [commons, openverse, local].
    pub apis: [RwSignal<String>; 3],
    pub list_address: RwSignal<String>,
    pub list_text: RwSignal<String>,
    pub catalog: RwSignal<String>,
    pub filters: [RwSignal<String>; 6],
}

/// Openverse's filters: (name, label, hint), in the form's order.
pub const FILTERS: [(&str, &str, &str); 6] = [
    ("license_type", "License type", "commercial, modification"),
    ("license", "License", "by, by-sa, cc0, ..."),
    (
        "category",
        "Category",
        "photograph, illustration, digitized_artwork",
    ),
    ("extension", "File type", "jpg, png, gif, svg"),
    ("size", "Size", "small, medium, large"),
    ("aspect_ratio", "Aspect ratio", "tall, wide, square"),
];

impl FormState {
    pub fn new(link: &DeepLink, default_provider: &str, page_host: &str) -> FormState {
        let provider = link
            .provider
            .clone()
            .unwrap_or_else(|| default_provider.to_string());
        let api_for = |p: &str| {
            let linked = link.provider.as_deref() == Some(p)
                || (link.provider.is_none() && p == default_provider);
            let api = link.api.as_deref().filter(|_| linked);
            default_api(p, api, page_host)
        };
        FormState {
            provider: RwSignal::new(provider),
            query: RwSignal::new(link.query.clone().unwrap_or_default()),
            apis: [
                RwSignal::new(api_for("commons")),
                RwSignal::new(api_for("openverse")),
                RwSignal::new(api_for("local")),
            ],
            list_address: RwSignal::new(link.urls.clone().unwrap_or_default()),
            list_text: RwSignal::new(String::new()),
            catalog: RwSignal::new(link.catalog.clone().unwrap_or_default()),
            filters: std::array::from_fn(|_| RwSignal::new(String::new())),
        }
    }

    /// A name for the collection, from what was asked.
    pub fn name(&self) -> String {
        let query = self.query.get_untracked().trim().to_string();
        match self.provider.get_untracked().as_str() {
            "urls" => "URL list".into(),
            "catalog" => "Catalog".into(),
            _ if query.is_empty() => "Everything".into(),
            _ => query,
        }
    }

    /// The source the form names, or a sentence saying what is missing.
    pub fn choice(&self) -> Result<SourceChoice, String> {
        let query = self.query.get_untracked().trim().to_string();
        let need_query = || {
            if query.is_empty() {
                Err("Type what to search for.".to_string())
            } else {
                Ok(query.clone())
            }
        };
        let api = |i: usize| self.apis[i].get_untracked().trim().to_string();
        Ok(match self.provider.get_untracked().as_str() {
            "commons" => SourceChoice::Commons {
                api: api(0),
                query: need_query()?,
                thumb_px: 256,
            },
            "openverse" => {
                let f = |i: usize| self.filters[i].get_untracked().trim().to_string();
                let filters = Filters {
                    license_type: f(0),
                    license: f(1),
                    category: f(2),
                    extension: f(3),
                    size: f(4),
                    aspect_ratio: f(5),
                };
                SourceChoice::Openverse {
                    api: api(1),
                    query: need_query()?,
                    filters,
                }
            }
            "urls" => {
                let text = self.list_text.get_untracked();
                let address = self.list_address.get_untracked().trim().to_string();
                if !text.trim().is_empty() {
                    SourceChoice::UrlListText { text }
                } else if !address.is_empty() {
                    SourceChoice::UrlListAt { url: address }
                } else {
                    return Err(
                        "Give the address of a URL list, paste one, or open a .txt or .csv file."
                            .into(),
                    );
                }
            }
            "catalog" => {
                let url = self.catalog.get_untracked().trim().to_string();
                if url.is_empty() {
                    return Err("Give the address of a catalog (a JSON index).".into());
                }
                SourceChoice::Catalog { url }
            }
            _ => SourceChoice::Local { api: api(2), query },
        })
    }
}
