//! The base URLs of the services the sources talk to, and the identification
//! the MediaWiki API asks clients to send. This is the only place base URLs
//! live: every other module takes its base as an argument (so tests and the
//! local demo source can point a source anywhere) and defaults come from here.

/// Wikimedia Commons' MediaWiki Action API (`…/w/api.php`).
pub const COMMONS_API: &str = "https://commons.wikimedia.org/w/api.php";

/// Openverse's API base; image search is `{OPENVERSE_API}/v1/images/`.
pub const OPENVERSE_API: &str = "https://api.openverse.org";

/// The local demo source (`local-source`, see `source/README.md`) on its default port.
pub const LOCAL_SOURCE: &str = "http://127.0.0.1:8765";

/// Whether the page is served from this machine (`make run`, the tests).
fn is_local(page_host: &str) -> bool {
    page_host.is_empty() || page_host == "127.0.0.1" || page_host == "localhost"
}

/// The provider the form starts with: the local demo source when the page
/// is served from this machine, Wikimedia Commons elsewhere.
pub fn default_provider(page_host: &str) -> &'static str {
    if is_local(page_host) {
        "local"
    } else {
        "commons"
    }
}

/// The base address the form starts with for `provider`: the link's when it
/// names one; for the local demo source, its default port on the page's own
/// host (it runs beside the app server).
pub fn default_api(provider: &str, link_api: Option<&str>, page_host: &str) -> String {
    if let Some(api) = link_api {
        return api.to_string();
    }
    match provider {
        "commons" => COMMONS_API.into(),
        "openverse" => OPENVERSE_API.into(),
        _ if is_local(page_host) => LOCAL_SOURCE.into(),
        _ => format!("http://{page_host}:8765"),
    }
}

/// Sent as the `Api-User-Agent` header on MediaWiki API requests (browsers do
/// not let a page set `User-Agent`; Wikimedia's policy asks for this instead).
pub const API_USER_AGENT: &str =
    "image-collector/0.1 (https://github.com/; in-browser image collector)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_starts_where_the_page_is_served() {
        assert_eq!(default_provider("127.0.0.1"), "local");
        assert_eq!(default_provider("example.github.io"), "commons");
        assert_eq!(default_api("commons", None, "x.example"), COMMONS_API);
        assert_eq!(default_api("openverse", None, "x.example"), OPENVERSE_API);
        assert_eq!(default_api("local", None, "localhost"), LOCAL_SOURCE);
        assert_eq!(
            default_api("local", None, "10.0.0.2"),
            "http://10.0.0.2:8765"
        );
        assert_eq!(
            default_api("commons", Some("http://127.0.0.1:9/w/api.php"), ""),
            "http://127.0.0.1:9/w/api.php"
        );
    }
}
