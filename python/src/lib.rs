//! `schedlab._native`: the thin PyO3 layer under the `schedlab` Python
//! package. Every call goes through `schedlab::api`, the library's entry
//! points that return the command line's JSON documents and pictures; the
//! Python package (`schedlab/__init__.py`) turns them into objects.
//!
//! The work runs on a worker thread while the calling thread waits with the
//! GIL released, waking every few milliseconds to let Python handle signals:
//! Ctrl-C in Jupyter raises `KeyboardInterrupt` at once (an interrupted
//! simulation finishes in the background and its result is dropped).

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use pyo3::create_exception;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use schedlab::api::{self, ApiError, InputFile, OutputFile};
use schedlab::teaching::Options;

create_exception!(
    _native,
    ScenarioError,
    PyValueError,
    "Bad input: the scenario, job list or an argument holds a value it must not hold.\n\n\
     The message is the one line the command line prints after `error: `,\n\
     naming the file (or `<scenario>`, `<jobs>`), the field and the value."
);

/// How often the waiting thread wakes to check for Ctrl-C.
const POLL: Duration = Duration::from_millis(20);

fn to_py(e: ApiError) -> PyErr {
    if e.bad_input {
        ScenarioError::new_err(e.message)
    } else {
        PyRuntimeError::new_err(e.message)
    }
}

/// Runs `work` on a worker thread; the caller waits without the GIL and
/// checks for signals between waits.
fn background<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce() -> api::Result<T> + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("schedlab".into())
        .spawn(move || {
            let _ = tx.send(std::panic::catch_unwind(AssertUnwindSafe(work)));
        })
        .map_err(|e| PyRuntimeError::new_err(format!("cannot start a worker thread: {e}")))?;
    let mut rx = rx;
    loop {
        // The receiver moves into the GIL-free closure and back out: it is
        // `Send` but not `Sync`.
        let (received, back) = py.detach(move || (rx.recv_timeout(POLL), rx));
        rx = back;
        match received {
            Ok(Ok(result)) => return result.map_err(to_py),
            Ok(Err(panic)) => {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".into());
                return Err(PyRuntimeError::new_err(format!(
                    "schedlab failed internally: {what}"
                )));
            }
            Err(RecvTimeoutError::Timeout) => py.check_signals()?,
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "the worker thread ended without a result",
                ));
            }
        }
    }
}

/// A scenario as the Python layer passes it: a file path, or text with the
/// label that names it in messages.
#[derive(Clone)]
enum Source {
    File(PathBuf),
    Text { text: String, label: PathBuf },
}

impl Source {
    fn new(kind: &str, value: String, label: String) -> PyResult<Source> {
        match kind {
            "file" => Ok(Source::File(PathBuf::from(value))),
            "text" => Ok(Source::Text {
                text: value,
                label: PathBuf::from(label),
            }),
            _ => Err(PyValueError::new_err(format!(
                "source kind must be 'file' or 'text', not {kind:?}"
            ))),
        }
    }

    fn scenario(&self) -> api::ScenarioSource<'_> {
        match self {
            Source::File(p) => api::ScenarioSource::File(p),
            Source::Text { text, label } => api::ScenarioSource::Text { text, label },
        }
    }

    fn jobs(&self) -> api::JobsSource<'_> {
        match self {
            Source::File(p) => api::JobsSource::File(p),
            Source::Text { text, label } => api::JobsSource::Text { text, label },
        }
    }
}

fn pictures(py: Python<'_>, rendered: Vec<schedlab::report::plot::Rendered>) -> PictureList {
    rendered
        .into_iter()
        .map(|r| (r.name, r.svg, PyBytes::new(py, &r.png).unbind()))
        .collect()
}

type PictureList = Vec<(String, String, Py<PyBytes>)>;

/// The result of `_native.run`.
#[pyclass(frozen, module = "schedlab._native")]
struct RunHandle {
    inner: Arc<api::RunResult>,
}

#[pymethods]
impl RunHandle {
    /// The document of `schedlab run --json`, as JSON text.
    fn json(&self) -> String {
        self.inner.json()
    }

    /// The table `schedlab run` prints.
    fn table(&self) -> String {
        self.inner.table()
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.warnings.clone()
    }

    #[getter]
    fn wall_seconds(&self) -> f64 {
        self.inner.wall_seconds
    }

    #[getter]
    fn threads(&self) -> usize {
        self.inner.threads
    }

    #[getter]
    fn events(&self) -> u64 {
        self.inner.output.events
    }

    /// `[(name, svg_text, png_bytes)]`: the pictures of `run --out`.
    fn pictures(&self, py: Python<'_>) -> PyResult<PictureList> {
        let inner = Arc::clone(&self.inner);
        let rendered = background(py, move || inner.pictures())?;
        Ok(pictures(py, rendered))
    }
}

/// The result of `_native.sweep`.
#[pyclass(frozen, module = "schedlab._native")]
struct SweepHandle {
    inner: Arc<api::SweepResult>,
}

#[pymethods]
impl SweepHandle {
    /// The document of `schedlab sweep --json`, as JSON text.
    fn json(&self) -> PyResult<String> {
        self.inner.json().map_err(to_py)
    }

    /// The text of `sweep.csv`.
    fn csv(&self) -> PyResult<String> {
        self.inner.csv().map_err(to_py)
    }

    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.inner.output.warnings.clone()
    }

    #[getter]
    fn wall_seconds(&self) -> f64 {
        self.inner.wall_seconds
    }

    #[getter]
    fn events(&self) -> u64 {
        self.inner.output.events
    }

    /// `[(name, svg_text, png_bytes)]`: the pictures of `sweep --out`.
    fn pictures(&self, py: Python<'_>) -> PyResult<PictureList> {
        let inner = Arc::clone(&self.inner);
        let rendered = background(py, move || inner.pictures())?;
        Ok(pictures(py, rendered))
    }
}

/// The result of `_native.gantt`.
#[pyclass(frozen, module = "schedlab._native")]
struct GanttHandle {
    inner: Arc<api::GanttResult>,
}

#[pymethods]
impl GanttHandle {
    /// The document of `schedlab gantt --json --explain`, as JSON text.
    fn json(&self) -> String {
        self.inner.json()
    }

    /// The chart and job table `schedlab gantt` prints.
    fn text(&self) -> String {
        self.inner.text()
    }

    fn svg(&self) -> PyResult<String> {
        self.inner.svg().map_err(to_py)
    }

    fn png<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.inner.png().map_err(to_py)?;
        Ok(PyBytes::new(py, &bytes))
    }
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (kind, scenario, label, seed=None, replications=None, jobs=None, compare=None, threads=None, precision=None, precision_metric=None, max_replications=None, batches=None, per_node=false))]
fn run(
    py: Python<'_>,
    kind: &str,
    scenario: String,
    label: String,
    seed: Option<u64>,
    replications: Option<u32>,
    jobs: Option<u64>,
    compare: Option<String>,
    threads: Option<usize>,
    precision: Option<f64>,
    precision_metric: Option<String>,
    max_replications: Option<u32>,
    batches: Option<u32>,
    per_node: bool,
) -> PyResult<RunHandle> {
    let source = Source::new(kind, scenario, label)?;
    let options = api::RunOptions {
        seed,
        replications,
        jobs,
        compare,
        threads,
        precision,
        precision_metric,
        max_replications,
        batches,
        per_node,
    };
    let result = background(py, move || api::run(source.scenario(), &options))?;
    Ok(RunHandle {
        inner: Arc::new(result),
    })
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (kind, scenario, label, param=None, values=None, seed=None, replications=None, jobs=None, compare=None, threads=None))]
fn sweep(
    py: Python<'_>,
    kind: &str,
    scenario: String,
    label: String,
    param: Option<String>,
    values: Option<String>,
    seed: Option<u64>,
    replications: Option<u32>,
    jobs: Option<u64>,
    compare: Option<String>,
    threads: Option<usize>,
) -> PyResult<SweepHandle> {
    let source = Source::new(kind, scenario, label)?;
    let options = api::SweepOptions {
        run: api::RunOptions {
            seed,
            replications,
            jobs,
            compare,
            threads,
            ..Default::default()
        },
        param,
        values,
    };
    let result = background(py, move || api::sweep(source.scenario(), &options))?;
    Ok(SweepHandle {
        inner: Arc::new(result),
    })
}

#[allow(clippy::too_many_arguments)]
fn options(
    policy: String,
    quantum: Option<f64>,
    cpus: u32,
    switch_cost: Option<f64>,
    levels: Option<String>,
    high_first: bool,
    preempted_first: bool,
) -> Options {
    Options {
        policy,
        quantum,
        cpus,
        switch_cost,
        levels,
        high_first,
        preempted_first,
    }
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (kind, jobs, label, policy, quantum=None, cpus=1, switch_cost=None, levels=None, high_first=false, preempted_first=false))]
fn gantt(
    py: Python<'_>,
    kind: &str,
    jobs: String,
    label: String,
    policy: String,
    quantum: Option<f64>,
    cpus: u32,
    switch_cost: Option<f64>,
    levels: Option<String>,
    high_first: bool,
    preempted_first: bool,
) -> PyResult<GanttHandle> {
    let source = Source::new(kind, jobs, label)?;
    let options = options(
        policy,
        quantum,
        cpus,
        switch_cost,
        levels,
        high_first,
        preempted_first,
    );
    let result = background(py, move || api::gantt(source.jobs(), &options))?;
    Ok(GanttHandle {
        inner: Arc::new(result),
    })
}

#[allow(clippy::too_many_arguments)]
#[pyfunction]
#[pyo3(signature = (kind, jobs, label, compare, quantum=None, cpus=1, switch_cost=None, levels=None, high_first=false, preempted_first=false))]
fn gantt_compare(
    py: Python<'_>,
    kind: &str,
    jobs: String,
    label: String,
    compare: String,
    quantum: Option<f64>,
    cpus: u32,
    switch_cost: Option<f64>,
    levels: Option<String>,
    high_first: bool,
    preempted_first: bool,
) -> PyResult<(String, String)> {
    let source = Source::new(kind, jobs, label)?;
    let options = options(
        "fcfs".into(),
        quantum,
        cpus,
        switch_cost,
        levels,
        high_first,
        preempted_first,
    );
    background(py, move || {
        api::gantt_compare(source.jobs(), &options, &compare)
    })
}

/// Runs `schedlab theory ...` or `schedlab optimize ...` and returns its
/// JSON document with the bytes of the files it wrote.
#[pyfunction]
#[pyo3(signature = (argv, inputs=Vec::new(), outputs=Vec::new()))]
fn command(
    py: Python<'_>,
    argv: Vec<String>,
    inputs: Vec<(String, String, String)>,
    outputs: Vec<(String, String)>,
) -> PyResult<(String, Vec<Py<PyBytes>>)> {
    let inputs: Vec<InputFile> = inputs
        .into_iter()
        .map(|(placeholder, file_name, text)| InputFile {
            placeholder,
            file_name,
            text,
        })
        .collect();
    let outputs: Vec<OutputFile> = outputs
        .into_iter()
        .map(|(placeholder, file_name)| OutputFile {
            placeholder,
            file_name,
        })
        .collect();
    let (doc, files) = background(py, move || api::command(&argv, &inputs, &outputs))?;
    let files = files.iter().map(|b| PyBytes::new(py, b).unbind()).collect();
    Ok((doc, files))
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScenarioError", m.py().get_type::<ScenarioError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<RunHandle>()?;
    m.add_class::<SweepHandle>()?;
    m.add_class::<GanttHandle>()?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(sweep, m)?)?;
    m.add_function(wrap_pyfunction!(gantt, m)?)?;
    m.add_function(wrap_pyfunction!(gantt_compare, m)?)?;
    m.add_function(wrap_pyfunction!(command, m)?)?;
    Ok(())
}
