//! Deterministic parts of a design for array jobs: shard I of N runs the
//! design's rows I, I + N, I + 2N, … (so every shard gets a share of each
//! region of a grid), and writes files named by I and N.

use crate::SweepError;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole design.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `I/N`.
    pub fn parse(spec: &str) -> Result<Shard, SweepError> {
        let bad = || SweepError::Shard { spec: spec.to_string() };
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let (index, count) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// The shard an array job's task is: Slurm's `SLURM_ARRAY_TASK_ID` of
    /// `SLURM_ARRAY_TASK_COUNT` (from `SLURM_ARRAY_TASK_MIN`), or a
    /// Kubernetes Indexed Job's `JOB_COMPLETION_INDEX` of `count` shards.
    pub fn from_env(count: Option<usize>) -> Option<Shard> {
        let number = |name: &str| std::env::var(name).ok().and_then(|v| v.trim().parse::<usize>().ok());
        if let (Some(id), Some(total)) = (number("SLURM_ARRAY_TASK_ID"), number("SLURM_ARRAY_TASK_COUNT")) {
            let first = number("SLURM_ARRAY_TASK_MIN").unwrap_or(0);
            let index = id.checked_sub(first)?;
            return (index < total).then_some(Shard { index, count: total });
        }
        let (index, count) = (number("JOB_COMPLETION_INDEX")?, count?);
        (index < count).then_some(Shard { index, count })
    }

    /// The design's rows this shard runs.
    pub fn rows(&self, n: usize) -> impl Iterator<Item = usize> + use<> {
        (self.index..n).step_by(self.count)
    }
}

/// Where a shard's files go in a results directory.
pub struct ShardFiles {
    pub summary: PathBuf,
    pub trajectories: PathBuf,
    /// The runs an interrupted shard finished (the leading `_` keeps
    /// pyarrow's and polars' directory readers from taking it as data).
    pub interrupted: PathBuf,
}

impl ShardFiles {
    pub fn new(dir: &Path, shard: Shard) -> ShardFiles {
        let name = |kind: &str| dir.join(format!("{kind}-{:05}-of-{:05}.parquet", shard.index, shard.count));
        ShardFiles {
            summary: name("summary"),
            trajectories: name("trajectories"),
            interrupted: name("_interrupted-summary"),
        }
    }
}

/// The shards of `dir`'s summary files: their count and the indices
/// missing (every count found, when files of several sweeps are mixed).
pub fn missing_shards(dir: &Path) -> Result<Vec<(usize, Vec<usize>)>, SweepError> {
    let entries = std::fs::read_dir(dir).map_err(|source| SweepError::ReadDir { path: dir.to_path_buf(), source })?;
    let mut found: Vec<(usize, usize)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let rest = name.strip_prefix("summary-")?.strip_suffix(".parquet")?;
            let (i, n) = rest.split_once("-of-")?;
            Some((n.parse().ok()?, i.parse().ok()?))
        })
        .collect();
    found.sort();
    let mut counts: Vec<usize> = found.iter().map(|f| f.0).collect();
    counts.dedup();
    Ok(counts.into_iter().map(|n| (n, (0..n).filter(|i| !found.contains(&(n, *i))).collect())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_rows() {
        let mut all: Vec<usize> = (0..4).flat_map(|i| Shard { index: i, count: 4 }.rows(10)).collect();
        all.sort();
        assert_eq!(all, (0..10).collect::<Vec<_>>());
        assert_eq!(Shard::parse("1/4").unwrap(), Shard { index: 1, count: 4 });
        assert!(Shard::parse("4/4").is_err() && Shard::parse("x").is_err());
    }
}
