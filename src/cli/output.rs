//! Output folders: refuse to clobber, write into a temporary sibling, rename at the end.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::CliError;

/// Fails with a bad-input error if `dir` exists, is not empty, and `force` is off.
pub fn check_writable(dir: &Path, force: bool) -> anyhow::Result<()> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::BadInput(format!(
            "output path {} exists and is not a folder; choose another with --out",
            dir.display()
        ))
        .into());
    }
    let non_empty = dir.is_dir()
        && std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .next()
            .is_some();
    if non_empty && !force {
        return Err(CliError::BadInput(format!(
            "output folder {} already holds results; nothing was changed. Use --force to replace them, or --out to write elsewhere",
            dir.display()
        ))
        .into());
    }
    Ok(())
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
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let tmp = sibling(dir, "partial");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).with_context(|| format!("removing {}", tmp.display()))?;
    }
    std::fs::create_dir(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    if let Err(err) = write(&tmp) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(err);
    }
    let old = sibling(dir, "replaced");
    let had_old = dir.exists();
    if had_old {
        std::fs::rename(dir, &old)
            .with_context(|| format!("moving the old {} aside", dir.display()))?;
    }
    if let Err(err) = std::fs::rename(&tmp, dir) {
        if had_old {
            let _ = std::fs::rename(&old, dir);
        }
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(err).with_context(|| format!("moving the results into {}", dir.display()));
    }
    if had_old {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("removing the old results {}", old.display()))?;
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
