//! The user's settings and their checks.
//!
//! Settings come from a form and from JSON stored by an earlier version of the
//! page, so both are untrusted: each field has a documented default and range,
//! [`Settings::set`] refuses a bad value with a sentence that says what is
//! allowed (leaving the settings unchanged), and [`Settings::validate`] checks
//! the rules that involve two fields. `#[serde(default)]` lets stored JSON
//! with missing fields (from an older version) load with today's defaults.

use serde::{Deserialize, Serialize};

use crate::core::decode::DecodePath;

/// The image types the collector can decode (MIME subtypes of `image/`).
pub const KNOWN_FILE_TYPES: [&str; 5] = ["jpeg", "png", "webp", "gif", "avif"];

/// At most this many license names in the license filter.
const MAX_LICENSES: usize = 50;
/// At most this many characters in one license name.
const MAX_LICENSE_CHARS: usize = 100;

/// Everything the user can set.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Stop after collecting this many images.
    pub max_images: u32,
    /// Candidates handed to a worker at once (the planner's starting size).
    pub chunk_size: u32,
    /// Number of workers; 0 = automatic.
    pub workers: u32,
    /// Downloads in flight per host, over all workers.
    pub per_host_cap: u32,
    /// Downloads in flight per worker.
    pub per_worker_in_flight: u32,
    /// Longest side of a thumbnail, in pixels.
    pub thumb_px: u32,
    /// Largest accepted download, in MB.
    pub max_bytes_mb: u32,
    /// Largest accepted image side, in pixels.
    pub max_side_px: u32,
    /// Largest accepted image area, in megapixels.
    pub max_megapixels: u32,
    /// Seconds to wait for a server to start answering.
    pub header_timeout_s: u32,
    /// Seconds to wait for an image to finish arriving.
    pub body_timeout_s: u32,
    /// Retries after a failed download.
    pub retries: u32,
    /// Size filters in pixels; 0 = no bound.
    pub min_width: u32,
    pub min_height: u32,
    pub max_width: u32,
    pub max_height: u32,
    /// Allowed MIME subtypes (`jpeg`, `png`, ...); empty = all.
    pub file_types: Vec<String>,
    /// Allowed license short names (`CC BY 4.0`, ...); empty = all.
    pub licenses: Vec<String>,
    /// Memory use (MB) above which the collector takes smaller bites.
    pub warning_mb: u32,
    /// Memory use (MB) above which it works one image at a time.
    pub critical_mb: u32,
    /// Memory for cached thumbnails, in MB.
    pub cache_budget_mb: u32,
    /// Who decodes images for thumbnails first (`core::decode`); the
    /// others stand in for what it cannot decode. The default is the
    /// fastest `make bench` measured.
    pub decoder: DecodePath,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            max_images: 50,
            chunk_size: 10,
            workers: 0,
            per_host_cap: 6,
            per_worker_in_flight: 12,
            thumb_px: 256,
            max_bytes_mb: 40,
            max_side_px: 16_384,
            max_megapixels: 64,
            header_timeout_s: 15,
            body_timeout_s: 60,
            retries: 3,
            min_width: 0,
            min_height: 0,
            max_width: 0,
            max_height: 0,
            file_types: Vec::new(),
            licenses: Vec::new(),
            warning_mb: 400,
            critical_mb: 800,
            cache_budget_mb: 128,
            decoder: DecodePath::default(),
        }
    }
}

/// One numeric field: its name, label, unit, range and accessors.
struct NumField {
    name: &'static str,
    label: &'static str,
    /// "" or a unit word used in sentences: "pixels", "MB", "seconds".
    unit: &'static str,
    min: u32,
    max: u32,
    /// When 0 is also allowed, what it means ("automatic", "no bound").
    zero_means: Option<&'static str>,
    get: fn(&Settings) -> u32,
    set: fn(&mut Settings, u32),
}

impl NumField {
    /// A bound of the size filter, in pixels (0: no bound).
    const fn size_filter(
        name: &'static str,
        label: &'static str,
        get: fn(&Settings) -> u32,
        set: fn(&mut Settings, u32),
    ) -> NumField {
        NumField {
            name,
            label,
            unit: "pixels",
            min: 1,
            max: 65_535,
            zero_means: Some("no bound"),
            get,
            set,
        }
    }

    fn accepts(&self, value: u32) -> bool {
        (self.min..=self.max).contains(&value) || (value == 0 && self.zero_means.is_some())
    }

    /// "Max images must be a whole number from 1 to 10 000."
    fn rule(&self) -> String {
        let unit = if self.unit.is_empty() {
            String::new()
        } else {
            format!(" of {}", self.unit)
        };
        let range = format!(
            "a whole number{unit} from {} to {}",
            group(self.min),
            group(self.max)
        );
        match self.zero_means {
            Some(meaning) => format!("{} must be 0 ({meaning}) or {range}.", self.label),
            None => format!("{} must be {range}.", self.label),
        }
    }
}

/// The numeric fields, in form order.
const NUM_FIELDS: &[NumField] = &[
    NumField {
        name: "max_images",
        label: "Max images",
        unit: "",
        min: 1,
        max: 10_000,
        zero_means: None,
        get: |s| s.max_images,
        set: |s, v| s.max_images = v,
    },
    NumField {
        name: "chunk_size",
        label: "Chunk size",
        unit: "",
        min: 1,
        max: 64,
        zero_means: None,
        get: |s| s.chunk_size,
        set: |s, v| s.chunk_size = v,
    },
    NumField {
        name: "workers",
        label: "Workers",
        unit: "",
        min: 1,
        max: 16,
        zero_means: Some("automatic"),
        get: |s| s.workers,
        set: |s, v| s.workers = v,
    },
    NumField {
        name: "per_host_cap",
        label: "Downloads per host",
        unit: "",
        min: 1,
        max: 32,
        zero_means: None,
        get: |s| s.per_host_cap,
        set: |s, v| s.per_host_cap = v,
    },
    NumField {
        name: "per_worker_in_flight",
        label: "Downloads per worker",
        unit: "",
        min: 1,
        max: 32,
        zero_means: None,
        get: |s| s.per_worker_in_flight,
        set: |s, v| s.per_worker_in_flight = v,
    },
    NumField {
        name: "thumb_px",
        label: "Thumbnail size",
        unit: "pixels",
        min: 32,
        max: 1_024,
        zero_means: None,
        get: |s| s.thumb_px,
        set: |s, v| s.thumb_px = v,
    },
    NumField {
        name: "max_bytes_mb",
        label: "Max file size",
        unit: "MB",
        min: 1,
        max: 1_024,
        zero_means: None,
        get: |s| s.max_bytes_mb,
        set: |s, v| s.max_bytes_mb = v,
    },
    NumField {
        name: "max_side_px",
        label: "Max image side",
        unit: "pixels",
        min: 64,
        max: 65_535,
        zero_means: None,
        get: |s| s.max_side_px,
        set: |s, v| s.max_side_px = v,
    },
    NumField {
        name: "max_megapixels",
        label: "Max megapixels",
        unit: "",
        min: 1,
        max: 1_000,
        zero_means: None,
        get: |s| s.max_megapixels,
        set: |s, v| s.max_megapixels = v,
    },
    NumField {
        name: "header_timeout_s",
        label: "Answer timeout",
        unit: "seconds",
        min: 1,
        max: 300,
        zero_means: None,
        get: |s| s.header_timeout_s,
        set: |s, v| s.header_timeout_s = v,
    },
    NumField {
        name: "body_timeout_s",
        label: "Download timeout",
        unit: "seconds",
        min: 1,
        max: 3_600,
        zero_means: None,
        get: |s| s.body_timeout_s,
        set: |s, v| s.body_timeout_s = v,
    },
    NumField {
        name: "retries",
        label: "Retries",
        unit: "",
        min: 0,
        max: 10,
        zero_means: None,
        get: |s| s.retries,
        set: |s, v| s.retries = v,
    },
    NumField::size_filter(
        "min_width",
        "Min width",
        |s| s.min_width,
        |s, v| s.min_width = v,
    ),
    NumField::size_filter(
        "min_height",
        "Min height",
        |s| s.min_height,
        |s, v| s.min_height = v,
    ),
    NumField::size_filter(
        "max_width",
        "Max width",
        |s| s.max_width,
        |s, v| s.max_width = v,
    ),
    NumField::size_filter(
        "max_height",
        "Max height",
        |s| s.max_height,
        |s, v| s.max_height = v,
    ),
    NumField {
        name: "warning_mb",
        label: "Memory warning level",
        unit: "MB",
        min: 1,
        max: 65_536,
        zero_means: None,
        get: |s| s.warning_mb,
        set: |s, v| s.warning_mb = v,
    },
    NumField {
        name: "critical_mb",
        label: "Memory critical level",
        unit: "MB",
        min: 1,
        max: 65_536,
        zero_means: None,
        get: |s| s.critical_mb,
        set: |s, v| s.critical_mb = v,
    },
    NumField {
        name: "cache_budget_mb",
        label: "Thumbnail cache",
        unit: "MB",
        min: 1,
        max: 4_096,
        zero_means: None,
        get: |s| s.cache_budget_mb,
        set: |s, v| s.cache_budget_mb = v,
    },
];

const FILE_TYPES_LABEL: &str = "File types";
const LICENSES_LABEL: &str = "Licenses";

impl Settings {
    /// Every field as (name, label), in form order. Names are the JSON keys
    /// and what [`set`](Self::set) and [`get`](Self::get) take.
    pub fn fields() -> Vec<(&'static str, &'static str)> {
        let mut fields: Vec<(&'static str, &'static str)> = NUM_FIELDS
            .iter()
            .map(|field| (field.name, field.label))
            .collect();
        fields.push(("file_types", FILE_TYPES_LABEL));
        fields.push(("licenses", LICENSES_LABEL));
        fields.push(("decoder", "Decoder"));
        fields
    }

    /// A short hint shown beside a field: its unit and what 0 means, e.g.
    /// "pixels; 0 = no bound". Empty when there is nothing to say.
    pub fn hint(field: &str) -> String {
        match field {
            "file_types" => "jpeg, png, webp, gif, avif; empty = all".into(),
            "licenses" => "e.g. CC BY 4.0, CC0 1.0; empty = all".into(),
            "decoder" => "image_decoder, browser, scaled or wasm".into(),
            _ => num_field(field).map_or(String::new(), |f| {
                let zero = f.zero_means.map(|m| format!("0 = {m}")).unwrap_or_default();
                match (f.unit.is_empty(), zero.is_empty()) {
                    (true, _) => zero,
                    (false, true) => f.unit.to_string(),
                    (false, false) => format!("{}; {zero}", f.unit),
                }
            }),
        }
    }

    /// The current value of a field as text for the form (lists are joined
    /// with ", "); an empty string for an unknown field.
    pub fn get(&self, field: &str) -> String {
        match field {
            "file_types" => self.file_types.join(", "),
            "licenses" => self.licenses.join(", "),
            "decoder" => self.decoder.name().into(),
            _ => num_field(field).map_or(String::new(), |f| (f.get)(self).to_string()),
        }
    }

    /// Parse and check one field from the text the user typed. On failure the
    /// settings are unchanged and the error is a sentence for the user.
    ///
    /// Numbers may contain spaces or `_` between digits ("10 000"). Lists are
    /// separated by commas. Rules involving two fields are checked by
    /// [`validate`](Self::validate), so that fields can be changed one by one.
    pub fn set(&mut self, field: &str, value: &str) -> Result<(), String> {
        match field {
            "file_types" => {
                self.file_types = parse_file_types(value)?;
                Ok(())
            }
            "licenses" => {
                self.licenses = parse_licenses(value)?;
                Ok(())
            }
            "decoder" => match DecodePath::from_name(value) {
                Some(d) => {
                    self.decoder = d;
                    Ok(())
                }
                None => Err("Decoder must be \"image_decoder\" (the browser's ImageDecoder at reduced size), \"browser\" (createImageBitmap), \"scaled\" (JPEGs decoded at reduced scale in wasm) or \"wasm\" (the image crate).".into()),
            },
            _ => {
                let Some(num) = num_field(field) else {
                    return Err(format!("There is no setting called \"{field}\"."));
                };
                let parsed = parse_whole_number(value).filter(|v| num.accepts(*v));
                let Some(parsed) = parsed else {
                    return Err(num.rule());
                };
                (num.set)(self, parsed);
                Ok(())
            }
        }
    }

    /// Every problem with the settings as a whole, as (field, sentence):
    /// values out of range (possible in stored JSON) and the rules between
    /// fields (min ≤ max, warning below critical). Empty when all is well.
    pub fn validate(&self) -> Vec<(&'static str, String)> {
        let mut problems = Vec::new();
        for field in NUM_FIELDS {
            if !field.accepts((field.get)(self)) {
                problems.push((field.name, field.rule()));
            }
        }
        if parse_file_types(&self.file_types.join(",")).is_err() {
            problems.push(("file_types", file_types_rule()));
        }
        if let Err(sentence) = parse_licenses(&self.licenses.join(",")) {
            problems.push(("licenses", sentence));
        }
        for (min_name, min, max, what) in [
            ("min_width", self.min_width, self.max_width, "width"),
            ("min_height", self.min_height, self.max_height, "height"),
        ] {
            if min != 0 && max != 0 && min > max {
                problems.push((
                    min_name,
                    format!(
                        "Min {what} ({min}) must not be above max {what} ({max}); lower one or set it to 0 for no bound."
                    ),
                ));
            }
        }
        if self.warning_mb >= self.critical_mb {
            problems.push((
                "warning_mb",
                format!(
                    "The memory warning level ({} MB) must be below the critical level ({} MB).",
                    self.warning_mb, self.critical_mb
                ),
            ));
        }
        problems
    }

    /// Settings from stored JSON: missing fields take their defaults, and
    /// fields whose stored value is no longer allowed are reset to their
    /// defaults (as are both sides of a broken two-field rule). JSON that
    /// cannot be read at all gives the defaults.
    pub fn from_stored_json(json: &str) -> Settings {
        let Ok(mut settings) = serde_json::from_str::<Settings>(json) else {
            return Settings::default();
        };
        let defaults = Settings::default();
        for field in NUM_FIELDS {
            if !field.accepts((field.get)(&settings)) {
                (field.set)(&mut settings, (field.get)(&defaults));
            }
        }
        match parse_file_types(&settings.file_types.join(",")) {
            Ok(types) => settings.file_types = types,
            Err(_) => settings.file_types = defaults.file_types.clone(),
        }
        match parse_licenses(&settings.licenses.join(",")) {
            Ok(licenses) => settings.licenses = licenses,
            Err(_) => settings.licenses = defaults.licenses.clone(),
        }
        if settings.min_width != 0
            && settings.max_width != 0
            && settings.min_width > settings.max_width
        {
            settings.min_width = 0;
            settings.max_width = 0;
        }
        if settings.min_height != 0
            && settings.max_height != 0
            && settings.min_height > settings.max_height
        {
            settings.min_height = 0;
            settings.max_height = 0;
        }
        if settings.warning_mb >= settings.critical_mb {
            settings.warning_mb = defaults.warning_mb;
            settings.critical_mb = defaults.critical_mb;
        }
        settings
    }
}

fn num_field(name: &str) -> Option<&'static NumField> {
    NUM_FIELDS.iter().find(|field| field.name == name)
}

/// A whole number, allowing spaces and `_` between digit groups.
fn parse_whole_number(text: &str) -> Option<u32> {
    let digits: String = text
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '_' && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// "10 000": a number with its thousands grouped by spaces (from 10 000 up).
fn group(n: u32) -> String {
    let digits = n.to_string();
    if n < 10_000 {
        return digits;
    }
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

fn file_types_rule() -> String {
    format!(
        "{FILE_TYPES_LABEL} must be a list of {} separated by commas, or empty for all.",
        KNOWN_FILE_TYPES.join(", ")
    )
}

/// "JPEG, image/png, jpg" → ["jpeg", "png"]: lower case, no `image/`, `jpg`
/// read as `jpeg`, no repeats.
fn parse_file_types(text: &str) -> Result<Vec<String>, String> {
    let mut types: Vec<String> = Vec::new();
    for part in text.split(',') {
        let part = part.trim().to_ascii_lowercase();
        let part = part.strip_prefix("image/").unwrap_or(&part).trim();
        if part.is_empty() {
            continue;
        }
        let part = if part == "jpg" { "jpeg" } else { part };
        if !KNOWN_FILE_TYPES.contains(&part) {
            return Err(file_types_rule());
        }
        if !types.iter().any(|t| t == part) {
            types.push(part.to_string());
        }
    }
    Ok(types)
}

/// "CC BY 4.0, CC0" → ["CC BY 4.0", "CC0"]: trimmed, empty ones dropped, no
/// repeats (ignoring case).
fn parse_licenses(text: &str) -> Result<Vec<String>, String> {
    let mut licenses: Vec<String> = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if part.chars().count() > MAX_LICENSE_CHARS || part.chars().any(char::is_control) {
            return Err(format!(
                "{LICENSES_LABEL} must be short license names (like CC BY 4.0) separated by commas, each at most {MAX_LICENSE_CHARS} characters."
            ));
        }
        if !licenses.iter().any(|l| l.eq_ignore_ascii_case(part)) {
            licenses.push(part.to_string());
        }
    }
    if licenses.len() > MAX_LICENSES {
        return Err(format!(
            "{LICENSES_LABEL} can list at most {MAX_LICENSES} names; leave it empty to allow all."
        ));
    }
    Ok(licenses)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_decoder_is_one_of_the_four_paths() {
        let mut s = Settings::default();
        assert_eq!(s.get("decoder"), "image_decoder");
        s.set("decoder", " WASM ").unwrap();
        assert_eq!(s.decoder, DecodePath::ImageCrate);
        s.set("decoder", "Scaled").unwrap();
        assert_eq!(s.decoder, DecodePath::ScaledJpeg);
        s.set("decoder", "wasm").unwrap();
        assert!(s
            .set("decoder", "gpu")
            .unwrap_err()
            .starts_with("Decoder must be"));
        assert_eq!(s.decoder, DecodePath::ImageCrate);
        // A stored word it no longer knows is the default, the rest is kept.
        let stored = Settings::from_stored_json(r#"{"decoder": "gpu", "max_images": 77}"#);
        assert_eq!(
            (stored.decoder, stored.max_images),
            (DecodePath::default(), 77)
        );
    }

    #[test]
    fn hints_name_units_and_what_zero_means() {
        assert_eq!(Settings::hint("max_bytes_mb"), "MB");
        assert_eq!(Settings::hint("workers"), "0 = automatic");
        assert!(Settings::hint("min_width").contains("0 = no bound"));
        assert_eq!(Settings::hint("no_such_field"), "");
    }

    #[test]
    fn defaults_are_the_documented_ones() {
        let s = Settings::default();
        assert_eq!(s.max_images, 50);
        assert_eq!(s.chunk_size, 10);
        assert_eq!(s.workers, 0);
        assert_eq!(s.per_host_cap, 6);
        assert_eq!(s.per_worker_in_flight, 12);
        assert_eq!(s.thumb_px, 256);
        assert_eq!(s.max_bytes_mb, 40);
        assert_eq!(s.max_side_px, 16_384);
        assert_eq!(s.max_megapixels, 64);
        assert_eq!(s.header_timeout_s, 15);
        assert_eq!(s.body_timeout_s, 60);
        assert_eq!(s.retries, 3);
        assert_eq!(
            (s.min_width, s.min_height, s.max_width, s.max_height),
            (0, 0, 0, 0)
        );
        assert!(s.file_types.is_empty());
        assert!(s.licenses.is_empty());
        assert_eq!(s.warning_mb, 400);
        assert_eq!(s.critical_mb, 800);
        assert_eq!(s.cache_budget_mb, 128);
        assert_eq!(s.decoder, DecodePath::default());
        assert!(s.validate().is_empty(), "{:?}", s.validate());

        // Every field is listed once, and get/set know it.
        let fields = Settings::fields();
        assert_eq!(fields.len(), 22);
        for (name, label) in &fields {
            assert!(!label.is_empty());
            assert_eq!(fields.iter().filter(|(n, _)| n == name).count(), 1);
            let mut copy = s.clone();
            assert!(copy.set(name, &s.get(name)).is_ok(), "{name}");
            assert_eq!(copy, s);
        }
        assert_eq!(s.get("max_images"), "50");
        assert_eq!(s.get("nonsense"), "");
    }

    #[test]
    fn each_field_refuses_out_of_range_values_with_a_sentence() {
        let start = Settings::default();
        for field in NUM_FIELDS {
            let mut s = start.clone();
            let mut bad = vec![
                (u64::from(field.max) + 1).to_string(),
                "abc".to_string(),
                "-1".to_string(),
                "1.5".to_string(),
                "".to_string(),
                "99999999999999999999".to_string(),
            ];
            if field.min > 0 && field.zero_means.is_none() {
                bad.push((field.min - 1).to_string());
            }
            if field.min > 1 {
                bad.push("1".to_string());
            }
            for value in &bad {
                let sentence = s.set(field.name, value).unwrap_err();
                assert_eq!(s, start, "{} = {value:?} must change nothing", field.name);
                assert!(sentence.starts_with(field.label), "{sentence}");
                assert!(sentence.ends_with('.'), "{sentence}");
                assert!(sentence.contains(&group(field.max)), "{sentence}");
            }
            for good in [field.min, field.max] {
                assert_eq!(
                    s.set(field.name, &good.to_string()),
                    Ok(()),
                    "{}",
                    field.name
                );
                assert_eq!(s.get(field.name), good.to_string());
            }
            if field.zero_means.is_some() {
                assert_eq!(s.set(field.name, "0"), Ok(()));
            }
        }

        let mut s = Settings::default();
        assert_eq!(
            s.set("max_images", "10001"),
            Err("Max images must be a whole number from 1 to 10 000.".into())
        );
        assert_eq!(
            s.set("workers", "17"),
            Err("Workers must be 0 (automatic) or a whole number from 1 to 16.".into())
        );
        assert_eq!(
            s.set("thumb_px", "16"),
            Err("Thumbnail size must be a whole number of pixels from 32 to 1024.".into())
        );
        assert_eq!(s.set("max_images", " 10 000 "), Ok(()));
        assert_eq!(s.max_images, 10_000);
        assert_eq!(
            s.set("colour", "blue"),
            Err("There is no setting called \"colour\".".into())
        );

        // Lists.
        assert_eq!(s.set("file_types", "JPEG, image/png, jpg,, "), Ok(()));
        assert_eq!(s.file_types, vec!["jpeg", "png"]);
        assert_eq!(s.get("file_types"), "jpeg, png");
        let before = s.clone();
        let sentence = s.set("file_types", "jpeg, tiff").unwrap_err();
        assert_eq!(
            sentence,
            "File types must be a list of jpeg, png, webp, gif, avif separated by commas, or empty for all."
        );
        assert_eq!(s, before);
        assert_eq!(s.set("file_types", ""), Ok(()));
        assert!(s.file_types.is_empty());

        assert_eq!(s.set("licenses", " CC BY 4.0 , CC0, cc0 "), Ok(()));
        assert_eq!(s.licenses, vec!["CC BY 4.0", "CC0"]);
        let before = s.clone();
        let long = "x".repeat(101);
        let sentence = s.set("licenses", &long).unwrap_err();
        assert!(sentence.starts_with("Licenses must be"), "{sentence}");
        let many: Vec<String> = (0..51).map(|i| format!("L{i}")).collect();
        assert!(s.set("licenses", &many.join(",")).is_err());
        assert_eq!(s, before);
    }

    #[test]
    fn stored_json_with_missing_fields_loads_with_defaults() {
        let stored = r#"{"max_images": 200, "file_types": ["png"], "old_field": true}"#;
        let loaded: Settings = serde_json::from_str(stored).unwrap();
        assert_eq!(
            loaded,
            Settings {
                max_images: 200,
                file_types: vec!["png".into()],
                ..Settings::default()
            }
        );
        let empty: Settings = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, Settings::default());

        // A round trip keeps everything.
        let mut custom = Settings::default();
        custom.set("min_width", "640").unwrap();
        custom.set("licenses", "CC BY 4.0").unwrap();
        let json = serde_json::to_string(&custom).unwrap();
        assert_eq!(Settings::from_stored_json(&json), custom);

        // Stored values no longer allowed are reset to defaults.
        let stored = r#"{"max_images": 0, "chunk_size": 500, "retries": 2,
            "file_types": ["tiff"], "min_width": 900, "max_width": 100,
            "warning_mb": 900, "critical_mb": 800}"#;
        let repaired = Settings::from_stored_json(stored);
        assert_eq!(repaired.max_images, 50);
        assert_eq!(repaired.chunk_size, 10);
        assert_eq!(repaired.retries, 2);
        assert!(repaired.file_types.is_empty());
        assert_eq!((repaired.min_width, repaired.max_width), (0, 0));
        assert_eq!((repaired.warning_mb, repaired.critical_mb), (400, 800));
        assert!(repaired.validate().is_empty());
        assert_eq!(Settings::from_stored_json("not json"), Settings::default());
        assert_eq!(
            Settings::from_stored_json(r#"{"max_images": "lots"}"#),
            Settings::default()
        );
    }

    #[test]
    fn min_above_max_is_refused() {
        let mut s = Settings::default();
        s.set("min_width", "800").unwrap();
        s.set("max_width", "600").unwrap();
        let problems = s.validate();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "min_width");
        assert_eq!(
            problems[0].1,
            "Min width (800) must not be above max width (600); lower one or set it to 0 for no bound."
        );
        // 0 means no bound, so it never conflicts.
        s.set("max_width", "0").unwrap();
        assert!(s.validate().is_empty());
        s.set("max_height", "100").unwrap();
        s.set("min_height", "100").unwrap();
        assert!(s.validate().is_empty(), "equal is fine");
        s.set("min_height", "101").unwrap();
        assert_eq!(s.validate()[0].0, "min_height");

        let mut s = Settings::default();
        s.set("warning_mb", "800").unwrap();
        assert_eq!(s.validate()[0].0, "warning_mb");
    }
}
