//! Output folders: refuse to clobber, write into a temporary sibling, rename at the end.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::CliError;
use crate::data::{escape_controls, escaped_path};

/// Longest results folder name, in bytes (file systems allow 255; the temporary siblings add
/// `.` and `.partial-<pid>`).
const MAX_FOLDER_NAME_BYTES: usize = 200;

fn bad(message: String) -> anyhow::Error {
    CliError::BadInput(message).into()
}

/// Fails with a bad-input error, before any work, if `dir` cannot be a results folder: it is
/// `.`, `..` or a root, it is a file or lies under one, its name is too long, or it exists, is
/// not empty and `force` is off. With `force`, a non-empty `dir` must hold a previous result of
/// this program (see [`previous_result`]).
pub fn check_writable(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.as_os_str().is_empty() {
        return Err(bad(
            "the output folder is empty (`--out \"\"`); give a folder, e.g. --out results/run1"
                .to_string(),
        ));
    }
    let name = match dir.components().next_back() {
        Some(std::path::Component::Normal(name)) => name,
        _ => {
            return Err(bad(format!(
                "output path `{}` is not a folder of its own (it ends in `.`, `..` or a root), and replacing it would replace the folder you are in; give a new folder with --out, e.g. --out results/run1",
                escaped_path(dir)
            )))
        }
    };
    if name.len() > MAX_FOLDER_NAME_BYTES {
        return Err(bad(format!(
            "output folder name `{}…` is {} bytes long, more than the limit of {MAX_FOLDER_NAME_BYTES}; give a shorter one with --out",
            escape_controls(&name.to_string_lossy().chars().take(40).collect::<String>()),
            name.len()
        )));
    }
    if let Some(link) = Symlink::at(dir) {
        return Err(bad(format!(
            "output folder {} {}; a results folder is replaced as a whole (written beside it and renamed into its place), which would put a new folder in place of the link, so simulate neither replaces the link nor writes through it. Nothing was changed: {}",
            escaped_path(&link.path),
            link.points_to(),
            link.fix()
        )));
    }
    if let Some(file) = dir
        .ancestors()
        .skip(1)
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| a.exists() || a.is_symlink())
        .filter(|a| !a.is_dir())
    {
        let what = match Symlink::at(file) {
            Some(link) if !link.resolved.exists() => {
                format!(
                    "a symbolic link to {}, which does not exist",
                    escaped_path(&link.target)
                )
            }
            _ => "a file, not a folder".to_string(),
        };
        return Err(bad(format!(
            "output path {} lies under {}, which is {what}; choose another with --out",
            escaped_path(dir),
            escaped_path(file)
        )));
    }
    if (dir.exists() || dir.is_symlink()) && !dir.is_dir() {
        return Err(bad(format!(
            "output path {} exists and is not a folder; choose another with --out",
            escaped_path(dir)
        )));
    }
    let non_empty = dir.is_dir()
        && std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", escaped_path(dir)))?
            .next()
            .is_some();
    if !non_empty {
        return Ok(());
    }
    // Whether --force could replace it decides what the message offers.
    match (previous_result(dir), force) {
        (Ok(()), false) => Err(bad(format!(
            "output folder {} already holds results; nothing was changed. Use --force to replace them, or --out to write elsewhere",
            escaped_path(dir)
        ))),
        (Ok(()), true) => Ok(()),
        (Err(why), _) => Err(bad(format!(
            "output folder {} is not a result of simulate ({why}), so --force will not replace it; nothing was changed. Choose an empty or new folder with --out",
            escaped_path(dir)
        ))),
    }
}

/// A results folder's path that is a symbolic link (to a folder, to a file or to nothing).
/// Results folders are never written through a link nor in place of one: the link would be
/// replaced by a real folder (or, written through, results would land in a folder that was not
/// named), so every command refuses it and says where it points.
pub struct Symlink {
    /// The link itself (without a trailing `/`, which would name its target).
    pub path: PathBuf,
    /// Where it points, as written in the link.
    pub target: PathBuf,
    /// The target as a path from here (a relative target is relative to the link's folder).
    pub resolved: PathBuf,
}

impl Symlink {
    /// The link at `path`, if `path` is one.
    pub fn at(path: &Path) -> Option<Symlink> {
        let link: PathBuf = path.components().collect();
        if !std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()) {
            return None;
        }
        let target = std::fs::read_link(&link).ok()?;
        let resolved = match link.parent() {
            Some(parent) if target.is_relative() && !parent.as_os_str().is_empty() => {
                parent.join(&target)
            }
            _ => target.clone(),
        };
        Some(Symlink {
            path: link,
            target,
            resolved,
        })
    }

    /// "is a symbolic link to real", with what the target is when it is not a folder.
    pub fn points_to(&self) -> String {
        let target = escaped_path(&self.target);
        if self.resolved.is_dir() {
            format!("is a symbolic link to {target}")
        } else if self.resolved.exists() {
            format!("is a symbolic link to {target}, a file")
        } else {
            format!("is a symbolic link to {target}, which does not exist")
        }
    }

    /// What to do instead, when the link was given with --out.
    pub fn fix(&self) -> String {
        if self.resolved.is_dir() {
            format!(
                "give the folder it points to, --out {}, or remove the link",
                escaped_path(&self.resolved)
            )
        } else {
            "remove the link, or choose another folder with --out".to_string()
        }
    }
}

/// Checks `parent`, the folder given with --out to several scenarios, which write a folder
/// each inside it. A folder of run folders (like `results/`) is fine; a folder that is itself
/// the result of one run (or of a sweep or comparison) would get the runs mixed into it, so it
/// follows the rule of a single run's folder: refused without `force`, and with it replaced
/// only if it is a result of simulate. `Ok(true)`: it is to be replaced ([`set_aside`]).
pub fn check_parent_of_several(parent: &Path, force: bool) -> anyhow::Result<bool> {
    if let Some(link) = Symlink::at(parent) {
        return Err(bad(format!(
            "output folder {} {}; several scenarios write a folder each inside --out, and simulate does not write through a link (nor replace it, as --force would a previous result). Nothing was changed: {}",
            escaped_path(&link.path),
            link.points_to(),
            link.fix()
        )));
    }
    let marker = ["manifest.json", "store.json", "comparison.csv"]
        .into_iter()
        .find(|name| parent.join(name).is_file());
    let Some(marker) = marker else {
        return Ok(false);
    };
    if !force {
        return Err(bad(format!(
            "output folder {} already holds the results of one run (it has {marker}); several scenarios write a folder each inside --out, which would mix them into those results. Nothing was changed. Use --force to replace them, or --out to write elsewhere (e.g. a new folder)",
            escaped_path(parent)
        )));
    }
    if let Err(why) = previous_result(parent) {
        return Err(bad(format!(
            "output folder {} is not a result of simulate ({why}), so --force will not replace it; nothing was changed. Choose an empty or new folder with --out",
            escaped_path(parent)
        )));
    }
    Ok(true)
}

/// An old results folder moved aside while its replacement is written: [`SetAside::restore`]
/// puts it back (after removing what was written), [`SetAside::discard`] deletes it.
pub struct SetAside {
    dir: PathBuf,
    old: PathBuf,
}

/// Moves the results folder `dir` to a temporary sibling and creates `dir` again, empty.
pub fn set_aside(dir: &Path) -> anyhow::Result<SetAside> {
    let old = sibling(dir, "replaced");
    std::fs::rename(dir, &old)
        .with_context(|| format!("moving the old {} aside", escaped_path(dir)))?;
    if let Err(err) = std::fs::create_dir(dir) {
        let _ = std::fs::rename(&old, dir);
        return Err(err).with_context(|| format!("creating {}", escaped_path(dir)));
    }
    Ok(SetAside {
        dir: dir.to_path_buf(),
        old,
    })
}

impl SetAside {
    /// Removes the new folder and puts the old one back.
    pub fn restore(self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        let _ = std::fs::rename(&self.old, &self.dir);
    }

    /// Deletes the old folder: its replacement is complete.
    pub fn discard(self) -> anyhow::Result<()> {
        std::fs::remove_dir_all(&self.old)
            .with_context(|| format!("removing the old results {}", escaped_path(&self.old)))
    }
}

/// Whether `dir` holds a previous result of this program, and nothing else: only plain files,
/// and a `manifest.json` written by simulate (runs, sweeps, calibrations, backtests), a
/// `store.json` of sweep chunks (shards, progress folders) or the tables of a comparison.
/// `Err` says what is missing or extra.
pub fn previous_result(dir: &Path) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|err| format!("cannot list it: {err}"))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|err| format!("cannot list it: {err}"))?;
        let kind = entry
            .file_type()
            .map_err(|err| format!("cannot read {}: {err}", escaped_path(&entry.path())))?;
        let name = escape_controls(&entry.file_name().to_string_lossy());
        let allowed_folder = name == "runs" && kind.is_dir(); // chunk files of a sweep store
        if !kind.is_file() && !allowed_folder {
            return Err(format!("it holds `{name}`, which is not a plain file"));
        }
        names.push(name);
    }
    let has = |name: &str| names.iter().any(|n| n == name);
    if has("manifest.json") {
        let text = std::fs::read_to_string(dir.join("manifest.json")).unwrap_or_default();
        let ours = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|manifest| {
                manifest
                    .get("engine")?
                    .get("name")?
                    .as_str()
                    .map(|n| n == env!("CARGO_PKG_NAME"))
            })
            .unwrap_or(false);
        return if ours {
            Ok(())
        } else {
            Err("its manifest.json was not written by simulate".into())
        };
    }
    if has("store.json") {
        let text = std::fs::read_to_string(dir.join("store.json")).unwrap_or_default();
        return serde_json::from_str::<crate::sweep::store::StoreInfo>(&text)
            .map(|_| ())
            .map_err(|_| "its store.json was not written by simulate".into());
    }
    if has("comparison.csv") && has("inputs_diff.csv") {
        return Ok(());
    }
    Err("it has no manifest.json".into())
}

/// The one writer of a results folder: an advisory lock (`flock`, through `fd-lock`) on
/// `.<name>.lock` beside it, held until dropped, then the lock file is removed. The lock file
/// holds the holder's process id, for the message a second writer gets.
pub struct FolderLock {
    path: PathBuf,
    /// Folders created to hold the lock file (deepest first): removed again if still empty.
    created: Vec<PathBuf>,
    // Kept open: the lock lives as long as the file is open.
    _file: fd_lock::RwLock<std::fs::File>,
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        // Removed while still held: a writer that opened it before is sent to a new file by
        // the identity check in `lock`.
        let _ = std::fs::remove_file(&self.path);
        for dir in &self.created {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Takes the lock of results folder `dir` (and of its `.progress` and temporary siblings), or
/// fails with a bad-input error naming the process that holds it. Creates `dir`'s parent.
pub fn lock(dir: &Path) -> anyhow::Result<FolderLock> {
    use std::io::{Read, Seek, Write};
    let path = sibling_plain(dir, "lock");
    let parent = path.parent().unwrap_or(Path::new("."));
    let created: Vec<PathBuf> = parent
        .ancestors()
        .take_while(|a| !a.as_os_str().is_empty() && !a.exists())
        .map(Path::to_path_buf)
        .collect();
    std::fs::create_dir_all(parent).map_err(|err| {
        unwritable(
            dir,
            format!("creating the folder {}", escaped_path(parent)),
            err,
        )
    })?;
    for _ in 0..8 {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|err| {
                unwritable(
                    dir,
                    format!("creating a file in {}", escaped_path(parent)),
                    err,
                )
            })?;
        let mut lock = fd_lock::RwLock::new(file);
        let mut guard = match lock.try_write() {
            Ok(guard) => guard,
            Err(err) if err.kind() == std::io::ErrorKind::WouldBlock => {
                let mut holder = String::new();
                let _ = std::fs::File::open(&path)
                    .and_then(|f| f.take(200).read_to_string(&mut holder));
                let holder = holder.trim();
                return Err(bad(format!(
                    "output folder {} is being written by another simulate ({}); wait for it to finish, or write elsewhere with --out",
                    escaped_path(dir),
                    if holder.is_empty() { "process unknown".to_string() } else { escape_controls(holder) }
                )));
            }
            Err(err) => {
                return Err(err).with_context(|| format!("locking {}", escaped_path(&path)));
            }
        };
        // The file we locked must still be the one at `path` (its holder may have removed it
        // between our open and our lock); otherwise try again with the new one.
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ours = guard.metadata().map(|m| (m.dev(), m.ino())).ok();
            let now = std::fs::metadata(&path).map(|m| (m.dev(), m.ino())).ok();
            if ours.is_none() || ours != now {
                drop(guard);
                continue;
            }
        }
        let _ = guard.set_len(0);
        let _ = guard.rewind();
        let _ = write!(guard, "process {}", std::process::id());
        let _ = guard.flush();
        // Keep the lock: it is released when the file is closed, as the FolderLock drops.
        std::mem::forget(guard);
        return Ok(FolderLock {
            path,
            created,
            _file: lock,
        });
    }
    Err(bad(format!(
        "output folder {} is being locked and unlocked by other processes; try again",
        escaped_path(dir)
    )))
}

/// The error of a results folder `dir` whose place cannot be written (`doing` failed with
/// `err`): bad input when the file system refuses it (read-only, no permission, a virtual
/// file system such as /proc or /sys), so the user chooses another --out; any other failure
/// (a full disk) stays an IO error.
fn unwritable(dir: &Path, doing: String, err: std::io::Error) -> anyhow::Error {
    // EPERM, ENOENT, EACCES, ENOTDIR, EROFS.
    let refused = matches!(err.raw_os_error(), Some(1 | 2 | 13 | 20 | 30))
        || matches!(
            err.kind(),
            std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::NotFound
        );
    if refused {
        bad(format!(
            "output folder {} cannot be written ({doing}: {err}); choose a writable folder with --out, e.g. --out results/run1",
            escaped_path(dir)
        ))
    } else {
        anyhow::Error::new(err).context(doing)
    }
}

/// `.<name>.<tag>` beside `dir` (no process id: shared by every process).
fn sibling_plain(dir: &Path, tag: &str) -> PathBuf {
    let name = dir.file_name().map_or_else(
        || "results".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{tag}"))
}

fn sibling(dir: &Path, tag: &str) -> PathBuf {
    let name = dir.file_name().map_or_else(
        || "results".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let parent = dir.parent().unwrap_or(Path::new("."));
    parent.join(format!(".{name}.{tag}-{}", std::process::id()))
}

/// Runs `write` into a fresh temporary folder next to `dir`, then moves it into place. On any
/// failure the temporary folder is removed and `dir` is untouched. With `force`, an existing
/// `dir` is set aside first and deleted only once the new folder is in place.
pub fn write_atomically(
    dir: &Path,
    force: bool,
    write: impl FnOnce(&Path) -> anyhow::Result<Vec<String>>,
) -> anyhow::Result<()> {
    check_writable(dir, force)?;
    let parent = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("creating {}", escaped_path(parent)))?;
    let tmp = sibling(dir, "partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .with_context(|| format!("removing {}", escaped_path(&tmp)))?;
    }
    std::fs::create_dir(&tmp).with_context(|| format!("creating {}", escaped_path(&tmp)))?;
    if let Err(err) = write(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(err);
    }
    let old = sibling(dir, "replaced");
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old)
            .with_context(|| format!("moving the old {} aside", escaped_path(dir)))?;
    }
    if let Err(err) = std::fs::rename(&tmp, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(err).with_context(|| format!("moving the results into {}", escaped_path(dir)));
    }
    if had_old {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("removing the old results {}", escaped_path(&old)))?;
    }
    Ok(())
}

/// `target` as a path relative to the folder `dir` (which need not exist yet), for `extends:`
/// in files written into `dir`; absolute if the two share no root.
pub fn relative_path(dir: &Path, target: &Path) -> anyhow::Result<String> {
    let absolute = |path: &Path| -> anyhow::Result<PathBuf> {
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            std::env::current_dir()
                .context("reading the current folder")?
                .join(path)
        };
        // Resolve `..` and symlinks where the path exists; keep the missing tail as written.
        let mut existing = path.clone();
        let mut tail = Vec::new();
        while !existing.exists() {
            match (existing.file_name(), existing.parent()) {
                (Some(name), Some(parent)) => {
                    tail.push(name.to_os_string());
                    existing = parent.to_path_buf();
                }
                _ => break,
            }
        }
        let mut resolved = existing.canonicalize().unwrap_or(existing);
        for name in tail.into_iter().rev() {
            resolved.push(name);
        }
        Ok(resolved)
    };
    let from = absolute(dir)?;
    let to = absolute(target)?;
    let from_parts: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from_parts
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    if common == 0 {
        return Ok(to.display().to_string());
    }
    let mut relative = PathBuf::new();
    for _ in common..from_parts.len() {
        relative.push("..");
    }
    for part in &to_parts[common..] {
        relative.push(part);
    }
    Ok(relative.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_climb_out_of_the_output_folder() {
        let root = tempfile::tempdir().unwrap();
        let scenarios = root.path().join("scenarios");
        std::fs::create_dir(&scenarios).unwrap();
        let file = scenarios.join("hindcast_2010.ron");
        std::fs::write(&file, "()").unwrap();
        let out = root.path().join("results").join("calibrate-x");
        assert_eq!(
            relative_path(&out, &file).unwrap(),
            "../../scenarios/hindcast_2010.ron"
        );
    }
}
