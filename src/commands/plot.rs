//! `schedlab plot DIR`: the pictures of a results tree, redrawn from its
//! CSV files without simulating again.

use std::path::Path;

use crate::app::flag;
use crate::cli::PlotArgs;
use crate::error::InputError;
use crate::report::files;
use crate::report::tree::{MANIFEST, Manifest, Tree};

pub fn run(args: &PlotArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    if !dir.is_dir() {
        return Err(flag(
            "DIR",
            dir.display(),
            "is not a directory; give a tree written by `schedlab run --out` or `schedlab sweep --out`",
        ));
    }
    let scenario = scenario_name(dir)?;
    let read = |name: &str| -> Result<Option<String>, InputError> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        std::fs::read_to_string(&path)
            .map(Some)
            .map_err(|source| InputError::Read { path, source })
    };
    let pictures = if let Some(csv) = read(files::SWEEP)? {
        super::sweep::sweep_pictures(&scenario, dir, &csv)?
    } else if let Some(results) = read(files::RESULTS)? {
        let data = files::RunData::parse(
            &scenario,
            dir,
            &results,
            read(files::CDF)?.as_deref(),
            read(files::HISTOGRAM)?.as_deref(),
            read(files::SAMPLE_PATH)?.as_deref(),
            read(files::SIZE_BINS)?.as_deref(),
        )?
        .with_lifecycle(
            dir,
            read(files::ATTEMPTS)?.as_deref(),
            read(files::ALARM_INTERVALS)?.as_deref(),
        )?
        .with_timeline(dir, read(files::TIMELINE)?.as_deref())?;
        crate::report::plot::run_pictures(&data)?
    } else {
        return Err(flag(
            "DIR",
            dir.display(),
            "holds neither results.csv nor sweep.csv",
        ));
    };
    let names: Vec<String> = pictures.iter().map(|p| p.name.clone()).collect();
    let mut tree = Tree::default();
    tree.add_pictures(pictures);
    tree.write(dir)?;
    println!(
        "{}: drew {} ({} pictures, SVG and PNG)",
        dir.join("plots").display(),
        names.join(", "),
        names.len()
    );
    Ok(())
}

/// The scenario's name from the manifest, or the directory's name.
fn scenario_name(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(MANIFEST);
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let m: Manifest = serde_json::from_str(&text).map_err(|e| InputError::Syntax {
                path: path.clone(),
                line: e.line(),
                column: e.column(),
                message: e.to_string(),
            })?;
            Ok(m.scenario_name)
        }
        Err(_) => Ok(dir
            .file_name()
            .map_or("results".into(), |n| n.to_string_lossy().into_owned())),
    }
}
