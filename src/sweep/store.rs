//! Durable sweep progress: runs are grouped in fixed chunks of design rows; each finished chunk
//! is written to its own file (written whole, then renamed, so a kill never leaves half a chunk).
//! `--resume` skips chunks already on disk, `--shard K/N` runs every N-th chunk, and `merge`
//! assembles chunk files from several folders. The chunk files hold the exact numbers
//! (JSON with round-trip floats; Monte Carlo populations, 748 numbers a run, as little-endian
//! `f64` in a binary file beside the JSON), so merged and resumed sweeps equal a single
//! uninterrupted run.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::run::RunResult;
use crate::data::escaped_path;

/// Design rows per chunk.
pub const CHUNK_ROWS: usize = 64;

/// Which part of the chunks a process runs: `index` of `count` (1-based, as in `--shard 2/4`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 1, count: 1 };

    /// Parses `K/N` with 1 ≤ K ≤ N.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let parsed = text.split_once('/').and_then(|(k, n)| {
            Some((
                k.trim().parse::<usize>().ok()?,
                n.trim().parse::<usize>().ok()?,
            ))
        });
        match parsed {
            Some((index, count)) if index >= 1 && index <= count => Ok(Shard { index, count }),
            _ => Err(format!(
                "`{text}` is not a shard: write K/N with 1 ≤ K ≤ N, e.g. 2/4"
            )),
        }
    }

    pub fn owns(&self, chunk: usize) -> bool {
        chunk % self.count == self.index - 1
    }
}

/// Version of the chunk files: 2 keeps Monte Carlo populations in a binary file per chunk.
pub const FORMAT: u32 = 2;

fn format_1() -> u32 {
    1
}

/// What a progress or output folder holds, to check that chunks belong together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreInfo {
    /// [`FORMAT`] of the chunk files (folders written before there was one hold format 1).
    #[serde(default = "format_1")]
    pub format: u32,
    pub sweep_file: String,
    pub sweep_sha256: String,
    pub rows: usize,
    pub chunk_rows: usize,
    pub shard: Shard,
}

pub fn chunk_count(rows: usize) -> usize {
    rows.div_ceil(CHUNK_ROWS)
}

pub fn chunk_rows(chunk: usize, rows: usize) -> std::ops::Range<usize> {
    chunk * CHUNK_ROWS..((chunk + 1) * CHUNK_ROWS).min(rows)
}

fn chunk_path(dir: &Path, chunk: usize) -> PathBuf {
    dir.join("runs").join(format!("chunk-{chunk:06}.json"))
}

/// The populations of a chunk's runs: for each run, its count of values (u32) and the values
/// (f64), little-endian. Present only when some run kept populations (Monte Carlo).
fn population_path(dir: &Path, chunk: usize) -> PathBuf {
    dir.join("runs")
        .join(format!("chunk-{chunk:06}.population"))
}

/// Writes `bytes` to a temporary file, then renames it to `path`.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", escaped_path(&tmp)))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", escaped_path(path)))
}

/// Writes `store.json` into a new folder, or checks that an existing one describes this sweep.
pub fn open(dir: &Path, info: &StoreInfo) -> Result<(), String> {
    let path = dir.join("store.json");
    if path.exists() {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", escaped_path(&path)))?;
        let found: StoreInfo =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", escaped_path(&path)))?;
        if found.sweep_sha256 != info.sweep_sha256
            || found.format != info.format
            || found.rows != info.rows
            || found.shard != info.shard
            || found.chunk_rows != info.chunk_rows
        {
            return Err(format!(
                "{} holds progress of a different sweep or shard (the sweep file changed?); remove it or use --force to start over",
                escaped_path(dir)
            ));
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir.join("runs")).map_err(|e| format!("{}: {e}", escaped_path(dir)))?;
    let text = serde_json::to_string_pretty(info).expect("serialisable") + "\n";
    std::fs::write(&path, text).map_err(|e| format!("{}: {e}", escaped_path(&path)))
}

pub fn read_info(dir: &Path) -> Result<StoreInfo, String> {
    let path = dir.join("store.json");
    let text = crate::scenario::read_text(&path, 1 << 20).map_err(|e| {
        format!(
            "{}: {e}; is this the output of a sweep shard?",
            escaped_path(&path)
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", escaped_path(&path)))
}

/// Stores one finished chunk (each file written whole, then renamed; the JSON last, so that a
/// chunk whose JSON exists is complete).
pub fn write_chunk(dir: &Path, chunk: usize, results: &[RunResult]) -> Result<(), String> {
    if results.iter().any(|r| !r.population.is_empty()) {
        let values: usize = results.iter().map(|r| r.population.len()).sum();
        let mut bytes = Vec::with_capacity(4 * results.len() + 8 * values);
        for result in results {
            let count = u32::try_from(result.population.len()).expect("populations are small");
            bytes.extend_from_slice(&count.to_le_bytes());
            for value in &result.population {
                bytes.extend_from_slice(&value.to_le_bytes());
            }
        }
        write_whole(&population_path(dir, chunk), &bytes)?;
    }
    let text = serde_json::to_string(results).expect("serialisable");
    write_whole(&chunk_path(dir, chunk), text.as_bytes())
}

/// A stored chunk, if present and complete (`expected` rows).
pub fn read_chunk(
    dir: &Path,
    chunk: usize,
    expected: usize,
) -> Result<Option<Vec<RunResult>>, String> {
    let path = chunk_path(dir, chunk);
    if !path.exists() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", escaped_path(&path)))?;
    let mut results: Vec<RunResult> =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", escaped_path(&path)))?;
    if results.len() != expected {
        return Err(format!(
            "{} holds {} runs, expected {expected}",
            escaped_path(&path),
            results.len()
        ));
    }
    let populations = population_path(dir, chunk);
    if populations.exists() {
        let bytes = std::fs::read(&populations)
            .map_err(|e| format!("{}: {e}", escaped_path(&populations)))?;
        let broken = || format!("{} is truncated or damaged", escaped_path(&populations));
        let mut rest = bytes.as_slice();
        for result in &mut results {
            let (count, tail) = rest.split_first_chunk::<4>().ok_or_else(broken)?;
            let count = u32::from_le_bytes(*count) as usize;
            let (values, tail) = tail.split_at_checked(8 * count).ok_or_else(broken)?;
            result.population = values
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect();
            rest = tail;
        }
        if !rest.is_empty() {
            return Err(broken());
        }
    }
    Ok(Some(results))
}

/// Copies the chunk files of `from` (a progress folder) into `to/runs`.
pub fn copy_chunks(
    from: &Path,
    to: &Path,
    chunks: impl Iterator<Item = usize>,
) -> Result<(), String> {
    std::fs::create_dir_all(to.join("runs")).map_err(|e| format!("{}: {e}", escaped_path(to)))?;
    for chunk in chunks {
        let populations = population_path(from, chunk);
        if populations.exists() {
            std::fs::copy(&populations, population_path(to, chunk))
                .map_err(|e| format!("{}: {e}", escaped_path(&populations)))?;
        }
        let (source, target) = (chunk_path(from, chunk), chunk_path(to, chunk));
        std::fs::copy(&source, &target).map_err(|e| format!("{}: {e}", escaped_path(&source)))?;
    }
    let info = std::fs::read(from.join("store.json"))
        .map_err(|e| format!("{}: {e}", escaped_path(from)))?;
    std::fs::write(to.join("store.json"), info).map_err(|e| format!("{}: {e}", escaped_path(to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_split_chunks_without_overlap() {
        let shards: Vec<Shard> = (1..=3)
            .map(|k| Shard::parse(&format!("{k}/3")).unwrap())
            .collect();
        for chunk in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.owns(chunk)).count(), 1);
        }
        assert!(
            Shard::parse("0/3").is_err()
                && Shard::parse("4/3").is_err()
                && Shard::parse("x").is_err()
        );
    }

    #[test]
    fn chunks_round_trip_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let info = StoreInfo {
            format: FORMAT,
            sweep_file: "s.ron".into(),
            sweep_sha256: "abc".into(),
            rows: 3,
            chunk_rows: CHUNK_ROWS,
            shard: Shard::WHOLE,
        };
        open(dir.path(), &info).unwrap();
        let results = vec![
            RunResult {
                parameters: vec![0.1, 1.0 / 3.0],
                outputs: Ok(vec![std::f64::consts::PI * 1e7]),
                met: vec![Some(true), None],
                population: vec![1.0e7 / 7.0, 2.0e5 / 3.0],
            },
            RunResult {
                parameters: vec![2.0],
                outputs: Err("unstable".into()),
                met: vec![],
                population: vec![],
            },
        ];
        write_chunk(dir.path(), 0, &results).unwrap();
        assert_eq!(read_chunk(dir.path(), 0, 2).unwrap().unwrap(), results);
        assert!(read_chunk(dir.path(), 1, 2).unwrap().is_none());
        let other = StoreInfo {
            sweep_sha256: "def".into(),
            ..info
        };
        assert!(open(dir.path(), &other).is_err());
    }
}
