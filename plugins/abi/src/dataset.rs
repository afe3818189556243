//! Samples of a cell model, as `bioflux sample` writes them and the
//! surrogate trainer reads them: a safetensors file with `inputs` [n, k]
//! and `outputs` `[n, m]` (f64), `status` `[n]` (i32: 0 ok, 1 relaxed, 2
//! failed) and string metadata (names, units, what the inputs mean).
//! Python: `safetensors.numpy.load_file("data.safetensors")`.

use safetensors::tensor::{Dtype, SafeTensors, TensorView, serialize_to_file};
use std::collections::HashMap;
use std::path::Path;

/// What a sample file says about itself: where it came from, and the
/// names and units of its columns. Written as the file's string metadata
/// (the lists as JSON arrays, which Python reads with `json.loads`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DatasetMetadata {
    /// The model file the cell was read from.
    pub model: String,
    /// The cell's name in it.
    pub cell: String,
    /// The sampled inputs' names (a reaction for its bound).
    pub inputs: Vec<String>,
    /// What each input's value means: `bound`, or `uptake (bound = -value)`.
    pub input_meaning: Vec<String>,
    /// The cell's port each input sets (`EX_glc__D_e.lower`).
    pub input_ports: Vec<String>,
    /// The outputs' names.
    pub outputs: Vec<String>,
    /// The outputs' units.
    pub output_units: Vec<String>,
}

/// What the `status` tensor's values mean, as the file says it.
const STATUS_MEANING: &str = "0 ok, 1 relaxed, 2 failed (outputs NaN)";

impl DatasetMetadata {
    /// The file's string metadata.
    pub fn to_map(&self) -> HashMap<String, String> {
        let list = |v: &[String]| serde_json::to_string(v).unwrap_or_default();
        HashMap::from([
            ("model".to_string(), self.model.clone()),
            ("cell".to_string(), self.cell.clone()),
            ("inputs".to_string(), list(&self.inputs)),
            ("input_meaning".to_string(), list(&self.input_meaning)),
            ("input_ports".to_string(), list(&self.input_ports)),
            ("outputs".to_string(), list(&self.outputs)),
            ("output_units".to_string(), list(&self.output_units)),
            ("status".to_string(), STATUS_MEANING.to_string()),
        ])
    }

    /// Read back from a file's string metadata; what is missing is empty.
    pub fn from_map(map: &HashMap<String, String>) -> DatasetMetadata {
        let text = |key: &str| map.get(key).cloned().unwrap_or_default();
        let list =
            |key: &str| -> Vec<String> { map.get(key).and_then(|v| serde_json::from_str(v).ok()).unwrap_or_default() };
        DatasetMetadata {
            model: text("model"),
            cell: text("cell"),
            inputs: list("inputs"),
            input_meaning: list("input_meaning"),
            input_ports: list("input_ports"),
            outputs: list("outputs"),
            output_units: list("output_units"),
        }
    }
}

/// Why a sample file cannot be written or read.
#[derive(Debug)]
pub enum DatasetError {
    /// The file could not be read.
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// The system's reason.
        source: std::io::Error,
    },
    /// The file could not be written (safetensors' reason).
    Write {
        /// The file.
        path: std::path::PathBuf,
        /// What failed.
        reason: String,
    },
    /// Not a file [`Dataset::write`] writes: not safetensors, a tensor
    /// missing or of another shape or type.
    NotSamples {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        what: String,
    },
    /// A further sample file of another cell, inputs or outputs.
    OtherCell {
        /// The further file.
        path: std::path::PathBuf,
        /// How it differs.
        what: String,
    },
}

impl std::fmt::Display for DatasetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DatasetError::Read { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            DatasetError::Write { path, reason } => write!(f, "cannot write {}: {reason}", path.display()),
            DatasetError::NotSamples { path, what } => {
                write!(f, "{} is not a bioflux sample file: {what}", path.display())
            }
            DatasetError::OtherCell { path, what } => {
                write!(f, "{} samples another cell than the first file: {what}", path.display())
            }
        }
    }
}

impl std::error::Error for DatasetError {}

/// Evaluations of a cell model: inputs, outputs and status per row.
pub struct Dataset {
    /// Row-major, `len() × n_inputs`, in base units.
    pub inputs: Vec<f64>,
    /// Row-major, `len() × n_outputs`, in base units.
    pub outputs: Vec<f64>,
    /// Per row: 0 ok, 1 relaxed, 2 failed.
    pub status: Vec<i32>,
    /// Inputs per row.
    pub n_inputs: usize,
    /// Outputs per row.
    pub n_outputs: usize,
    /// Names, units and provenance.
    pub metadata: DatasetMetadata,
    /// Where the cell model gives it: S over the outputs (metabolites ×
    /// outputs, 0 for outputs that are not reactions), and the carbon and
    /// nitrogen atoms per metabolite (2 × metabolites; 0 without a formula).
    pub stoichiometry: Option<Vec<f64>>,
    /// Carbon then nitrogen atoms per metabolite, where known.
    pub elements: Option<Vec<f64>>,
    /// Rows of `stoichiometry`.
    pub n_metabolites: usize,
}

/// The little-endian bytes of `v` (safetensors' layout): the values' own
/// memory on a little-endian machine (a sample file's outputs are ~100 MB,
/// not worth a copy), converted elsewhere.
fn bytes_f64(v: &[f64]) -> std::borrow::Cow<'_, [u8]> {
    if cfg!(target_endian = "little") {
        // SAFETY: f64 has no padding and every byte is a valid u8; u8 needs
        // no alignment; the bytes borrow `v` for as long as they live.
        std::borrow::Cow::Borrowed(unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), size_of_val(v)) })
    } else {
        std::borrow::Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect())
    }
}

impl Dataset {
    /// The rows of `other` (read from `path`) after these: more samples of
    /// the same cell (a denser grid where its outputs change fastest).
    pub fn append(&mut self, other: Dataset, path: &Path) -> Result<(), DatasetError> {
        let differs = |what: &str| DatasetError::OtherCell { path: path.into(), what: what.to_string() };
        let (a, b) = (&self.metadata, &other.metadata);
        if (a.model.as_str(), a.cell.as_str()) != (b.model.as_str(), b.cell.as_str()) {
            return Err(differs(&format!("cell `{}` of {}, not `{}` of {}", b.cell, b.model, a.cell, a.model)));
        }
        if a.inputs != b.inputs || a.input_meaning != b.input_meaning {
            return Err(differs(&format!("inputs {:?}, not {:?}", b.inputs, a.inputs)));
        }
        if a.outputs != b.outputs {
            return Err(differs("other outputs"));
        }
        self.inputs.extend(other.inputs);
        self.outputs.extend(other.outputs);
        self.status.extend(other.status);
        Ok(())
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.status.len()
    }

    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.status.is_empty()
    }

    /// Writes the safetensors file.
    pub fn write(&self, path: &Path) -> Result<(), DatasetError> {
        let n = self.len();
        let (inputs, outputs) = (bytes_f64(&self.inputs), bytes_f64(&self.outputs));
        let status: Vec<u8> = self.status.iter().flat_map(|s| s.to_le_bytes()).collect();
        // safetensors' errors are of several kinds none of which a caller
        // acts on differently: its words are kept.
        let fail = |e: safetensors::SafeTensorError| DatasetError::Write { path: path.into(), reason: e.to_string() };
        let (s, e) = (
            self.stoichiometry.as_deref().map(bytes_f64).unwrap_or_default(),
            self.elements.as_deref().map(bytes_f64).unwrap_or_default(),
        );
        let mut tensors = vec![
            ("inputs", TensorView::new(Dtype::F64, vec![n, self.n_inputs], &inputs).map_err(fail)?),
            ("outputs", TensorView::new(Dtype::F64, vec![n, self.n_outputs], &outputs).map_err(fail)?),
            ("status", TensorView::new(Dtype::I32, vec![n], &status).map_err(fail)?),
        ];
        if self.stoichiometry.is_some() {
            let shape = vec![self.n_metabolites, self.n_outputs];
            tensors.push(("stoichiometry", TensorView::new(Dtype::F64, shape, &s).map_err(fail)?));
        }
        if self.elements.is_some() {
            tensors.push(("elements", TensorView::new(Dtype::F64, vec![2, self.n_metabolites], &e).map_err(fail)?));
        }
        // safetensors writes a temporary file beside `path` and renames it
        // over: right for a file, but it would replace a device (`-o
        // /dev/null`, as root), a pipe or a symbolic link with a plain file.
        let plain_file = match std::fs::symlink_metadata(path) {
            Ok(meta) => meta.is_file(),
            Err(_) => true,
        };
        if plain_file {
            serialize_to_file(tensors, Some(self.metadata.to_map()), path).map_err(fail)
        } else {
            let bytes = safetensors::serialize(tensors, Some(self.metadata.to_map())).map_err(fail)?;
            std::fs::write(path, bytes).map_err(|e| DatasetError::Write { path: path.into(), reason: e.to_string() })
        }
    }

    /// Reads a file [`Dataset::write`] wrote (checks shapes and types).
    pub fn read(path: &Path) -> Result<Dataset, DatasetError> {
        let bytes = std::fs::read(path).map_err(|source| DatasetError::Read { path: path.into(), source })?;
        let bad = |what: String| DatasetError::NotSamples { path: path.into(), what };
        let st = SafeTensors::deserialize(&bytes).map_err(|e| bad(e.to_string()))?;
        let (_, header) = SafeTensors::read_metadata(&bytes).map_err(|e| bad(e.to_string()))?;
        let metadata = DatasetMetadata::from_map(&header.metadata().clone().unwrap_or_default());
        let matrix = |name: &str| -> Result<(Vec<f64>, usize, usize), DatasetError> {
            let t = st.tensor(name).map_err(|_| bad(format!("no tensor `{name}`")))?;
            if t.dtype() != Dtype::F64 || t.shape().len() != 2 {
                return Err(bad(format!("`{name}` is not a 2-d f64 tensor")));
            }
            let values = t.data().chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect();
            Ok((values, t.shape()[0], t.shape()[1]))
        };
        let (inputs, n, n_inputs) = matrix("inputs")?;
        let (outputs, n_rows, n_outputs) = matrix("outputs")?;
        let status_view = st.tensor("status").map_err(|_| bad("no tensor `status`".into()))?;
        let status: Vec<i32> =
            status_view.data().chunks_exact(4).map(|c| i32::from_le_bytes(c.try_into().expect("4 bytes"))).collect();
        if n_rows != n || status.len() != n {
            return Err(bad(format!("{n} input rows, {n_rows} output rows, {} statuses", status.len())));
        }
        let stoichiometry = matrix("stoichiometry").ok().filter(|s| s.2 == n_outputs);
        let n_metabolites = stoichiometry.as_ref().map_or(0, |s| s.1);
        let elements = matrix("elements").ok().filter(|e| e.2 == n_metabolites).map(|e| e.0);
        Ok(Dataset {
            inputs,
            outputs,
            status,
            n_inputs,
            n_outputs,
            metadata,
            stoichiometry: stoichiometry.map(|s| s.0),
            elements,
            n_metabolites,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_dataset_reads_back_bit_for_bit() {
        let data = Dataset {
            inputs: vec![1.5, -2.0, 0.1, 3.0],
            outputs: vec![f64::NAN, -0.0, 1e-300, f64::MAX, 7.25, -1.0],
            status: vec![2, 0],
            n_inputs: 2,
            n_outputs: 3,
            metadata: DatasetMetadata {
                outputs: vec!["a".into(), "b".into(), "c".into()],
                input_meaning: vec!["uptake (bound = -value)".into(), "bound".into()],
                ..Default::default()
            },
            stoichiometry: Some(vec![1.0, -1.0, 0.0]),
            elements: Some(vec![6.0, 0.0]),
            n_metabolites: 1,
        };
        let path = std::env::temp_dir().join(format!("bioflux-dataset-{}.safetensors", std::process::id()));
        data.write(&path).unwrap();
        let back = Dataset::read(&path).unwrap();
        // Through a symbolic link: the link stays, the file it names gets the data.
        #[cfg(unix)]
        {
            let link = path.with_extension("link");
            std::fs::remove_file(&path).ok();
            std::os::unix::fs::symlink(&path, &link).unwrap();
            data.write(&link).unwrap();
            assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced");
            assert_eq!(Dataset::read(&path).unwrap().status, data.status);
            std::fs::remove_file(&link).ok();
        }
        std::fs::remove_file(&path).ok();
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&back.inputs), bits(&data.inputs));
        assert_eq!(bits(&back.outputs), bits(&data.outputs));
        assert_eq!(back.status, data.status);
        assert_eq!(back.stoichiometry, data.stoichiometry);
        assert_eq!(back.elements, data.elements);
        assert_eq!(back.metadata, data.metadata);
    }
}
