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

/// Sent as the `Api-User-Agent` header on MediaWiki API requests (browsers do
/// not let a page set `User-Agent`; Wikimedia's policy asks for this instead).
pub const API_USER_AGENT: &str =
    "image-collector/0.1 (https://github.com/; in-browser image collector)";
