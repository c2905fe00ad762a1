//! The command line of `local-source`: its flags, their defaults and checks.
//! Every mistake is reported as a sentence naming the flag.

use crate::faults::FaultKind;
use crate::library::{all_formats, Format, LibraryConfig};

/// The largest library the server agrees to describe.
pub const MAX_COUNT: u32 = 1_000_000;
/// The largest long side, in px (bounded by memory and the formats).
pub const MAX_SIDE: u32 = 10_000;
/// The most loopback addresses `--hosts` may listen on (127.0.0.1 … 127.0.0.16).
pub const MAX_HOSTS: u8 = 16;

/// Everything `local-source` is told on its command line.
#[derive(Clone, Debug)]
pub struct Config {
    pub port: u16,
    /// Listen on 127.0.0.1 … 127.0.0.`hosts`, all on the same port.
    pub hosts: u8,
    pub library: LibraryConfig,
    pub latency_ms: u64,
    pub fault_rate: f64,
    pub faults: Vec<FaultKind>,
    pub cache_mb: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 8765,
            hosts: 1,
            library: LibraryConfig {
                count: 1000,
                seed: 1,
                min_side: 64,
                max_side: 4000,
                formats: all_formats(),
            },
            latency_ms: 0,
            fault_rate: 0.0,
            faults: vec![FaultKind::TooManyRequests, FaultKind::ServerError],
            cache_mb: 512,
        }
    }
}

/// The `--help` text.
pub const USAGE: &str = "\
local-source: serves a deterministic library of real image files on 127.0.0.1
(and on 127.0.0.2 .. 127.0.0.N with --hosts N).

Flags:
  --port N          port on 127.0.0.1 (default 8765; 0 picks a free one)
  --hosts N         listen on 127.0.0.1 .. 127.0.0.N, all on that port, so URL
                    lists can spread over N hosts (default 1, at most 16)
  --count N         images in the library, ids 0..N (default 1000)
  --seed N          seed of the library (default 1)
  --latency-ms N    delay before every answer (default 0)
  --min-side N      smallest long side in px (default 64)
  --max-side N      largest long side in px (default 4000)
  --formats LIST    formats of the images: jpeg,png,webp,gif (default all four,
                    about 70/15/10/5%; a subset keeps their relative shares)
  --fault-rate F    share of images (0..1) whose first request fails (default 0)
  --faults LIST     faults --fault-rate injects: 429,500,503,404,stall,wrong-type (default 429,500)
  --cache-mb N      memory for made files, in MB (default 512)
  --help            this text
";

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("The value of {flag} must be a whole number, not \"{value}\"."))
}

fn hosts(value: &str) -> Result<u8, String> {
    match value.trim().parse::<u8>() {
        Ok(n) if (1..=MAX_HOSTS).contains(&n) => Ok(n),
        _ => Err(format!(
            "The value of --hosts must be a whole number from 1 to {MAX_HOSTS}, not \"{value}\"."
        )),
    }
}

fn share(value: &str) -> Result<f64, String> {
    value.trim().parse().map_err(|_| {
        format!("The value of --fault-rate must be a number from 0 to 1, not \"{value}\".")
    })
}

/// `jpeg,png`: the formats `--formats` allows, without repeats.
fn formats(value: &str) -> Result<Vec<Format>, String> {
    let mut list = Vec::new();
    for name in value.split(',').map(str::trim) {
        let format = Format::from_name(name).ok_or_else(|| {
            format!("--formats takes jpeg, png, webp or gif (comma-separated), not \"{name}\".")
        })?;
        if !list.contains(&format) {
            list.push(format);
        }
    }
    Ok(list)
}

impl Config {
    /// Reads the flags (without the program name). `Ok(None)` means `--help`.
    pub fn from_args<I: IntoIterator<Item = String>>(args: I) -> Result<Option<Config>, String> {
        let mut c = Config::default();
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--help" || arg == "-h" {
                return Ok(None);
            }
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            if !flag.starts_with("--") {
                return Err(format!(
                    "\"{arg}\" is not a flag; flags look like --port 8765 (see --help)."
                ));
            }
            let value = match inline {
                Some(v) => v,
                None => args
                    .next()
                    .ok_or_else(|| format!("The flag {flag} needs a value."))?,
            };
            match flag.as_str() {
                "--port" => c.port = number(&flag, &value)?,
                "--hosts" => c.hosts = hosts(&value)?,
                "--count" => c.library.count = number(&flag, &value)?,
                "--seed" => c.library.seed = number(&flag, &value)?,
                "--latency-ms" => c.latency_ms = number(&flag, &value)?,
                "--min-side" => c.library.min_side = number(&flag, &value)?,
                "--max-side" => c.library.max_side = number(&flag, &value)?,
                "--formats" => c.library.formats = formats(&value)?,
                "--cache-mb" => c.cache_mb = number(&flag, &value)?,
                "--fault-rate" => c.fault_rate = share(&value)?,
                "--faults" => c.faults = FaultKind::parse_list(&value)?,
                _ => return Err(format!("The flag {flag} is unknown (see --help).")),
            }
        }
        c.check()?;
        Ok(Some(c))
    }

    /// Checks that the values make sense together.
    pub fn check(&self) -> Result<(), String> {
        let l = &self.library;
        if l.count > MAX_COUNT {
            return Err(format!("--count must be at most {MAX_COUNT}."));
        }
        if !(1..=MAX_HOSTS).contains(&self.hosts) {
            return Err(format!(
                "--hosts must be from 1 to {MAX_HOSTS}, not {}.",
                self.hosts
            ));
        }
        if l.min_side == 0 {
            return Err("--min-side must be at least 1 px.".into());
        }
        if l.max_side > MAX_SIDE {
            return Err(format!("--max-side must be at most {MAX_SIDE} px."));
        }
        if l.min_side > l.max_side {
            return Err(format!(
                "--min-side ({}) must not be larger than --max-side ({}).",
                l.min_side, l.max_side
            ));
        }
        if !(0.0..=1.0).contains(&self.fault_rate) {
            return Err(format!(
                "--fault-rate must be from 0 to 1, not {}.",
                self.fault_rate
            ));
        }
        if self.latency_ms > 600_000 {
            return Err("--latency-ms must be at most 600000 (ten minutes).".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Config>, String> {
        Config::from_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_match_the_readme() {
        let c = parse(&[]).unwrap().unwrap();
        assert_eq!(c.port, 8765);
        assert_eq!(c.hosts, 1);
        assert_eq!(c.library.count, 1000);
        assert_eq!(c.library.seed, 1);
        assert_eq!((c.library.min_side, c.library.max_side), (64, 4000));
        assert_eq!(c.library.formats, all_formats());
        assert_eq!(c.latency_ms, 0);
        assert_eq!(c.fault_rate, 0.0);
        assert_eq!(
            c.faults,
            vec![FaultKind::TooManyRequests, FaultKind::ServerError]
        );
    }

    #[test]
    fn every_flag_is_read_in_both_spellings() {
        let c = parse(&[
            "--port",
            "0",
            "--hosts",
            "3",
            "--count=5",
            "--seed",
            "9",
            "--latency-ms",
            "20",
            "--min-side",
            "10",
            "--max-side=30",
            "--fault-rate",
            "0.5",
            "--faults",
            "503,stall",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(c.port, 0);
        assert_eq!(c.hosts, 3);
        assert_eq!(c.library.count, 5);
        assert_eq!(c.library.seed, 9);
        assert_eq!(c.latency_ms, 20);
        assert_eq!((c.library.min_side, c.library.max_side), (10, 30));
        assert_eq!(c.fault_rate, 0.5);
        assert_eq!(c.faults, vec![FaultKind::Unavailable, FaultKind::Stall]);
    }

    #[test]
    fn formats_are_a_list_of_names() {
        let c = parse(&["--formats", "jpeg"]).unwrap().unwrap();
        assert_eq!(c.library.formats, vec![Format::Jpeg]);
        let c = parse(&["--formats=PNG, jpg,png"]).unwrap().unwrap();
        assert_eq!(c.library.formats, vec![Format::Png, Format::Jpeg]);
        assert!(parse(&["--formats", "tiff"])
            .unwrap_err()
            .contains("--formats"));
        assert!(parse(&["--formats", ""]).unwrap_err().contains("--formats"));
    }

    #[test]
    fn mistakes_are_sentences_naming_the_flag() {
        assert!(parse(&["--port", "x"]).unwrap_err().contains("--port"));
        assert!(parse(&["--fault-rate", "2"])
            .unwrap_err()
            .contains("--fault-rate"));
        assert!(parse(&["--min-side", "50", "--max-side", "10"])
            .unwrap_err()
            .contains("--min-side"));
        for bad in ["0", "17", "300", "two", "-1"] {
            let e = parse(&["--hosts", bad]).unwrap_err();
            assert!(e.contains("--hosts") && e.ends_with('.'), "{e}");
        }
        assert_eq!(parse(&["--hosts=16"]).unwrap().unwrap().hosts, 16);
        assert!(parse(&["--bogus", "1"]).unwrap_err().contains("--bogus"));
        assert!(parse(&["--count"]).unwrap_err().contains("needs a value"));
        assert!(parse(&["--help"]).unwrap().is_none());
    }
}
