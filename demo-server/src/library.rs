//! The deterministic catalogue: for every image id, its format, size, title,
//! tags, creator and license, all derived from `(seed, id)`, and the query
//! matching rule (every query word is a prefix of a word of the title or of a
//! tag, case-insensitively).

use crate::rng::Rng;

/// The file formats of the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl Format {
    /// The file extension used in URLs.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
            Format::Gif => "gif",
        }
    }

    /// The name of the format in prose (`JPEG`).
    pub fn name(self) -> &'static str {
        match self {
            Format::Jpeg => "JPEG",
            Format::Png => "PNG",
            Format::WebP => "WebP",
            Format::Gif => "GIF",
        }
    }

    /// The Content-Type of the file.
    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
            Format::Gif => "image/gif",
        }
    }

    /// The format named by a file extension or type name (`jpeg` too).
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" => Some(Format::Jpeg),
            "png" => Some(Format::Png),
            "webp" => Some(Format::WebP),
            "gif" => Some(Format::Gif),
            _ => None,
        }
    }
}

/// The licenses of the library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum License {
    Cc0,
    By,
    BySa,
}

impl License {
    /// The short name, as on Commons (`CC BY 4.0`).
    pub fn short_name(self) -> &'static str {
        match self {
            License::Cc0 => "CC0 1.0",
            License::By => "CC BY 4.0",
            License::BySa => "CC BY-SA 4.0",
        }
    }

    /// The URL of the license deed.
    pub fn url(self) -> &'static str {
        match self {
            License::Cc0 => "https://creativecommons.org/publicdomain/zero/1.0/",
            License::By => "https://creativecommons.org/licenses/by/4.0/",
            License::BySa => "https://creativecommons.org/licenses/by-sa/4.0/",
        }
    }

    /// The Openverse code (`cc0`, `by`, `by-sa`).
    pub fn code(self) -> &'static str {
        match self {
            License::Cc0 => "cc0",
            License::By => "by",
            License::BySa => "by-sa",
        }
    }

    /// The license version (`1.0` or `4.0`).
    pub fn version(self) -> &'static str {
        match self {
            License::Cc0 => "1.0",
            _ => "4.0",
        }
    }
}

/// Everything about one image except its bytes.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageMeta {
    pub id: u32,
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub title: String,
    pub tags: Vec<String>,
    pub creator: String,
    pub license: License,
    /// Seed of the pixels.
    pub pixel_seed: u64,
    /// Lower-case words of the title and tags, for matching.
    words: Vec<String>,
}

impl ImageMeta {
    /// `12.jpg`
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.id, self.format.ext())
    }

    /// Whether every word of the query is a prefix of a word of the title or
    /// of a tag (case-insensitive). The empty query matches everything.
    pub fn matches(&self, query_words: &[String]) -> bool {
        query_words
            .iter()
            .all(|q| self.words.iter().any(|w| w.starts_with(q.as_str())))
    }
}

/// Splits text into lower-case words (letters and digits).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect()
}

const ADJECTIVES: &[&str] = &[
    "Misty", "Quiet", "Golden", "Frozen", "Autumn", "Morning", "Evening", "Distant", "Silver",
    "Hidden", "Windy", "Sunlit", "Old", "Wild", "Calm", "Stormy", "Green", "Blue", "Northern",
    "Summer", "Winter", "Spring", "Lonely", "Bright",
];

const NOUNS: &[(&str, &[&str])] = &[
    ("lake", &["lake", "water"]),
    ("harbour", &["harbour", "boats", "sea"]),
    ("forest", &["forest", "trees"]),
    ("mountain", &["mountain", "peak", "rock"]),
    ("meadow", &["meadow", "grass", "flowers"]),
    ("river", &["river", "water"]),
    ("valley", &["valley", "hills"]),
    ("beach", &["beach", "sand", "sea"]),
    ("city", &["city", "street", "buildings"]),
    ("garden", &["garden", "flowers", "plants"]),
    ("bridge", &["bridge", "river"]),
    ("field", &["field", "farm"]),
    ("cliff", &["cliff", "coast", "rock"]),
    ("island", &["island", "sea"]),
    ("village", &["village", "houses"]),
    ("desert", &["desert", "sand", "dunes"]),
    ("glacier", &["glacier", "ice", "snow"]),
    ("waterfall", &["waterfall", "water"]),
    ("sky", &["sky", "clouds"]),
    ("road", &["road", "travel"]),
    ("lighthouse", &["lighthouse", "coast"]),
    ("orchard", &["orchard", "fruit", "trees"]),
];

const MIDDLE: &[&str] = &[
    "mountain", "river", "pine", "stone", "sea", "winter", "summer", "spring", "harbour", "field",
];

const EXTRA_TAGS: &[&str] = &[
    "landscape",
    "nature",
    "light",
    "fog",
    "sunset",
    "sunrise",
    "reflection",
    "outdoor",
    "travel",
    "colour",
    "panorama",
    "weather",
    "season",
    "scenery",
    "shadow",
    "horizon",
];

const FIRST_INITIALS: &[&str] = &[
    "A.", "B.", "C.", "D.", "E.", "F.", "G.", "H.", "I.", "J.", "K.", "L.", "M.", "N.", "O.", "P.",
    "R.", "S.", "T.", "V.", "W.",
];

const SURNAMES: &[&str] = &[
    "Person",
    "Lindqvist",
    "Moreau",
    "Okafor",
    "Tanaka",
    "García",
    "Novak",
    "Schmidt",
    "Kowalski",
    "Rossi",
    "Silva",
    "Murphy",
    "Haddad",
    "Nguyen",
    "Jensen",
    "Dubois",
    "Costa",
    "Ivanova",
    "Fischer",
    "Mwangi",
];

/// The library parameters (from the command line).
#[derive(Clone, Debug)]
pub struct LibraryConfig {
    pub count: u32,
    pub seed: u64,
    pub min_side: u32,
    pub max_side: u32,
    /// The formats images may have (`--formats`); all four by default.
    pub formats: Vec<Format>,
}

/// Every format, with its share of the library when all are allowed.
pub const FORMAT_SHARES: [(Format, f64); 4] = [
    (Format::Jpeg, 0.70),
    (Format::Png, 0.15),
    (Format::WebP, 0.10),
    (Format::Gif, 0.05),
];

/// Every format, in the order of `FORMAT_SHARES`.
pub fn all_formats() -> Vec<Format> {
    FORMAT_SHARES.iter().map(|(f, _)| *f).collect()
}

/// The format for a uniform draw `f` in [0, 1): the shares of the allowed
/// formats, scaled to add up to 1. With every format allowed this is exactly
/// 70% JPEG, 15% PNG, 10% WebP, 5% GIF (the same choice as before the flag).
fn pick_format(allowed: &[Format], f: f64) -> Format {
    let shares: Vec<(Format, f64)> = FORMAT_SHARES
        .iter()
        .copied()
        .filter(|(format, _)| allowed.is_empty() || allowed.contains(format))
        .collect();
    let total: f64 = shares.iter().map(|(_, s)| s).sum();
    let x = f * total;
    let mut cumulative = 0.0;
    for (format, share) in &shares {
        cumulative += share;
        if x < cumulative {
            return *format;
        }
    }
    shares.last().map(|(f, _)| *f).unwrap_or(Format::Jpeg)
}

/// The whole catalogue, computed once (metadata only; pixels come later).
pub struct Library {
    pub config: LibraryConfig,
    images: Vec<ImageMeta>,
}

impl Library {
    /// Computes the catalogue of `config.count` images.
    pub fn new(config: LibraryConfig) -> Library {
        let images = (0..config.count).map(|id| describe(&config, id)).collect();
        Library { config, images }
    }

    /// The image with this id, if the library has it.
    pub fn get(&self, id: u32) -> Option<&ImageMeta> {
        self.images.get(id as usize)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// Whether the library is empty.
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }

    /// The images matching a query, in id order.
    pub fn search(&self, query: &str) -> Vec<&ImageMeta> {
        let q = words(query);
        self.images.iter().filter(|m| m.matches(&q)).collect()
    }
}

/// Derives one image's metadata from `(seed, id)`.
fn describe(config: &LibraryConfig, id: u32) -> ImageMeta {
    let mut rng = Rng::for_parts(&[config.seed, id as u64, 0x4d45_5441]);

    // Always one draw, whatever the allowed formats: the rest of the image
    // (size, title, pixels) stays the same when `--formats` changes.
    let format = pick_format(&config.formats, rng.unit());

    let long = rng.range_u(config.min_side as u64, config.max_side as u64) as f64;
    // Aspect ratio (width / height) between 3:4 and 16:9.
    let aspect = rng.range_f(0.75, 16.0 / 9.0);
    let (width, height) = if aspect >= 1.0 {
        (long, (long / aspect).round().max(1.0))
    } else {
        ((long * aspect).round().max(1.0), long)
    };

    let adjective = *rng.pick(ADJECTIVES);
    let (noun, noun_tags) = *rng.pick(NOUNS);
    let title = if rng.unit() < 0.4 {
        let middle = *rng.pick(MIDDLE);
        if middle == noun {
            format!("{adjective} {noun}")
        } else {
            format!("{adjective} {middle} {noun}")
        }
    } else {
        format!("{adjective} {noun}")
    };

    let tag_count = rng.range_u(3, 5) as usize;
    let mut tags: Vec<String> = Vec::with_capacity(tag_count);
    for t in noun_tags {
        if tags.len() < tag_count {
            tags.push(t.to_string());
        }
    }
    let mut guard = 0;
    while tags.len() < tag_count && guard < 100 {
        guard += 1;
        let t = rng.pick(EXTRA_TAGS).to_string();
        if !tags.contains(&t) {
            tags.push(t);
        }
    }

    let creator = format!("{} {}", rng.pick(FIRST_INITIALS), rng.pick(SURNAMES));
    let license = *rng.pick(&[License::Cc0, License::By, License::BySa]);
    let pixel_seed = rng.next_u64();

    let mut all_words = words(&title);
    for t in &tags {
        all_words.extend(words(t));
    }
    ImageMeta {
        id,
        format,
        width: width as u32,
        height: height as u32,
        title,
        tags,
        creator,
        license,
        pixel_seed,
        words: all_words,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lib(seed: u64) -> Library {
        Library::new(LibraryConfig {
            count: 2000,
            seed,
            min_side: 64,
            max_side: 4000,
            formats: all_formats(),
        })
    }

    #[test]
    fn same_seed_gives_the_same_catalogue() {
        let (a, b) = (lib(1), lib(1));
        for id in 0..2000 {
            assert_eq!(a.get(id), b.get(id));
        }
        let c = lib(2);
        assert!((0..50).any(|id| a.get(id).unwrap().title != c.get(id).unwrap().title));
    }

    #[test]
    fn formats_follow_the_stated_shares() {
        let l = lib(1);
        let share = |f: Format| {
            (0..2000).filter(|&i| l.get(i).unwrap().format == f).count() as f64 / 2000.0
        };
        assert!((share(Format::Jpeg) - 0.70).abs() < 0.05);
        assert!((share(Format::Png) - 0.15).abs() < 0.04);
        assert!((share(Format::WebP) - 0.10).abs() < 0.03);
        assert!((share(Format::Gif) - 0.05).abs() < 0.03);
    }

    #[test]
    fn all_formats_keep_the_old_thresholds() {
        let old = |f: f64| {
            if f < 0.70 {
                Format::Jpeg
            } else if f < 0.85 {
                Format::Png
            } else if f < 0.95 {
                Format::WebP
            } else {
                Format::Gif
            }
        };
        let all = all_formats();
        for i in 0..100_000 {
            let f = i as f64 / 100_000.0;
            assert_eq!(pick_format(&all, f), old(f), "f = {f}");
        }
        for f in [0.7, 0.85, 0.95, 0.999_999_9] {
            assert_eq!(pick_format(&all, f), old(f), "f = {f}");
        }
    }

    #[test]
    fn a_format_subset_keeps_everything_else() {
        let all = lib(1);
        let jpeg = Library::new(LibraryConfig {
            formats: vec![Format::Jpeg],
            ..all.config.clone()
        });
        let png_gif = Library::new(LibraryConfig {
            formats: vec![Format::Png, Format::Gif],
            ..all.config.clone()
        });
        let mut gifs = 0;
        for id in 0..2000 {
            let (a, j, p) = (
                all.get(id).unwrap(),
                jpeg.get(id).unwrap(),
                png_gif.get(id).unwrap(),
            );
            assert_eq!(j.format, Format::Jpeg);
            assert!(matches!(p.format, Format::Png | Format::Gif));
            gifs += (p.format == Format::Gif) as u32;
            for other in [j, p] {
                assert_eq!((other.width, other.height), (a.width, a.height));
                assert_eq!(other.title, a.title);
                assert_eq!(other.pixel_seed, a.pixel_seed);
            }
        }
        // GIF is 5 of the 20 shares of PNG + GIF.
        assert!((gifs as f64 / 2000.0 - 0.25).abs() < 0.05, "{gifs}");
    }

    #[test]
    fn sizes_respect_the_long_side_range_and_aspect() {
        let l = lib(3);
        for id in 0..2000 {
            let m = l.get(id).unwrap();
            let long = m.width.max(m.height);
            assert!((64..=4000).contains(&long), "{m:?}");
            let aspect = m.width as f64 / m.height as f64;
            assert!((0.74..=1.79).contains(&aspect), "{m:?}");
        }
    }

    #[test]
    fn titles_and_tags_have_the_stated_lengths() {
        let l = lib(4);
        for id in 0..2000 {
            let m = l.get(id).unwrap();
            let n = m.title.split(' ').count();
            assert!((2..=3).contains(&n), "{}", m.title);
            assert!((3..=5).contains(&m.tags.len()), "{:?}", m.tags);
        }
    }

    #[test]
    fn query_words_match_prefixes_of_title_and_tag_words() {
        let l = lib(1);
        let m = l.get(0).unwrap();
        let first = m.title.split(' ').next().unwrap();
        let prefix = &first[..2].to_uppercase();
        assert!(m.matches(&words(prefix)));
        assert!(m.matches(&words(&format!("{} {}", m.tags[0], first))));
        assert!(m.matches(&words("")));
        assert!(!m.matches(&words("zzzz")));
        // Every image that search returns matches; the others don't.
        let hits = l.search("misty la");
        assert!(!hits.is_empty());
        for h in &hits {
            assert!(h.title.to_lowercase().contains("misty"));
        }
        assert_eq!(l.search("").len(), 2000);
    }
}
