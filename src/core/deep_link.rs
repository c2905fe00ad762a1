//! Deep links: the page's query string fills the search form.
//!
//! `?q=lake&provider=local&max=40&autostart=1` — also `urls` (the address of a
//! URL list), `catalog` (the address of a catalog) and `api` (another base
//! address for the chosen provider, e.g. a local stand-in of a real service).

/// What a page address asks for. Absent parameters are `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeepLink {
    pub query: Option<String>,
    pub provider: Option<String>,
    pub max: Option<String>,
    pub urls: Option<String>,
    pub catalog: Option<String>,
    pub api: Option<String>,
    pub autostart: bool,
}

/// The provider ids the form knows, in menu order.
pub const PROVIDERS: [(&str, &str); 5] = [
    ("commons", "Wikimedia Commons"),
    ("openverse", "Openverse"),
    ("urls", "URL list"),
    ("catalog", "Catalog"),
    ("local", "Local demo source"),
];

/// Reads a query string (with or without its leading `?`).
pub fn parse(search: &str) -> DeepLink {
    let mut link = DeepLink::default();
    for (key, value) in url::form_urlencoded::parse(search.trim_start_matches('?').as_bytes()) {
        let value = value.into_owned();
        match key.as_ref() {
            "q" => link.query = Some(value),
            "provider" => link.provider = Some(value),
            "max" => link.max = Some(value),
            "urls" => link.urls = Some(value),
            "catalog" => link.catalog = Some(value),
            "api" => link.api = Some(value),
            "autostart" => link.autostart = value == "1" || value == "true",
            _ => {}
        }
    }
    // A list or a catalog address names its provider.
    if link.provider.is_none() {
        if link.urls.is_some() {
            link.provider = Some("urls".into());
        } else if link.catalog.is_some() {
            link.provider = Some("catalog".into());
        }
    }
    link
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deep_link_fills_the_form() {
        let link = parse("?q=misty%20lake&provider=local&max=40&autostart=1");
        assert_eq!(link.query.as_deref(), Some("misty lake"));
        assert_eq!(link.provider.as_deref(), Some("local"));
        assert_eq!(link.max.as_deref(), Some("40"));
        assert!(link.autostart);
    }

    #[test]
    fn a_list_address_picks_the_url_list_provider() {
        let link = parse("urls=http%3A%2F%2F127.0.0.1%3A9000%2Flist.txt&autostart=1");
        assert_eq!(link.provider.as_deref(), Some("urls"));
        assert_eq!(link.urls.as_deref(), Some("http://127.0.0.1:9000/list.txt"));
        assert_eq!(parse("catalog=x").provider.as_deref(), Some("catalog"));
        assert!(!parse("").autostart);
    }

    #[test]
    fn unicode_queries_survive() {
        assert_eq!(
            parse("q=%F0%9F%8C%8A%20%D7%99%D7%9D").query.as_deref(),
            Some("🌊 ים")
        );
    }
}
