//! PyO3 classes of the MinAtar games, generic over [`MinAtarGame`].
//!
//! # Adding a game
//!
//! Write `src/minatar/<game>.rs` (a type implementing `MinAtarGame`), add its
//! `pub mod` line to `src/minatar/mod.rs`, and add ONE line to the list in
//! [`for_each_game!`] just below:
//!
//! ```text
//! crate::minatar::<game>::<Type> => MinAtar<Title>, MinAtar<Title>Vec;
//! ```
//!
//! `<Title>` is the game's name in `envs/minatar/reference.py`'s `GAME_IDS`
//! (`Breakout`, `SpaceInvaders`, ...): the Python side (`envs/rust_backend.py`)
//! finds the classes by those names once the port says `rust=True`.
//!
//! # The classes
//!
//! `MinAtar<Title>(seed=None, sticky_action_prob=0.1, difficulty_ramping=True,
//! minimal_action_set=False)`: one game with the shared wrapper (sticky actions,
//! action set, game-over early return, the port's time limit).
//! * `reset(seed=None)`, `step(action)`: draws from the env's own generator;
//!   `step` returns `(obs, reward, terminated, truncated)`, no auto-reset.
//! * `reset_det(draws)`, `step_det(action, draws)`: draws given as a dict, one
//!   entry per declared draw (`reset_draws` / `step_draws`; `step_draws` starts
//!   with `"sticky"`), numbers or arrays with the declared number of elements.
//!   A game uses only the draws its events ask for. An integer draw outside the
//!   range the game asks for raises `ValueError` naming the draw, and leaves
//!   the env as it was.
//! * `get_state()` / `set_state(d)`: a dict of numpy arrays, `int64` or `bool`,
//!   shaped as the Python port's `StateField.shape` (0-d for scalars).
//! * Actions use Python list indexing as the reference does: `-n..n-1`.
//! * Observations: `bool` arrays `(10, 10, C)`.
//!
//! `MinAtar<Title>Vec(num_envs, seed=None, num_threads=None, ...)`: the batched
//! [`MinAtarVec`] (same-step auto-reset), stepping into five numpy buffers
//! allocated once, with the GIL released. Actions `0..num_actions`. Rows of
//! `final_obs` are written only for envs that finished in the step.
//!
//! Errors: `TypeError` (types, dtypes), `ValueError` (shapes, ranges, bad
//! draws, bad state values), `KeyError` (dict keys), `IndexError` (env index),
//! `RuntimeError` (stepping before a reset, any Rust panic).

use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::{
    PyArray1, PyArray3, PyArray4, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString, PyTuple};

use crate::bindings::{borrow_err, finished, guard, panic_to_err, type_name};
use crate::minatar::vector::{obs_len, MinAtarBuffers, MinAtarVec};
use crate::minatar::{
    check_game_values, DrawDecl, DrawKind, DrawSource, GameValue, MinAtar, MinAtarConfig,
    MinAtarGame, RecordingDraws, RngDraws, GRID,
};
use crate::rng::Rng;

/// THE GAME LIST: one line per game, `path::Type => SingleClass, VecClass;`.
macro_rules! for_each_game {
    ($m:ident) => {
        $m! {
            crate::minatar::breakout::Breakout => MinAtarBreakout, MinAtarBreakoutVec;
            crate::minatar::freeway::Freeway => MinAtarFreeway, MinAtarFreewayVec;
            crate::minatar::asterix::Asterix => MinAtarAsterix, MinAtarAsterixVec;
            crate::minatar::space_invaders::SpaceInvaders => MinAtarSpaceInvaders, MinAtarSpaceInvadersVec;
            crate::minatar::seaquest::Seaquest => MinAtarSeaquest, MinAtarSeaquestVec;
        }
    };
}

// ---------------------------------------------------------------------------
// conversions

fn as_array<'py>(value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyUntypedArray>> {
    let np = value.py().import("numpy")?;
    Ok(np.call_method1("asarray", (value,))?.cast_into::<PyUntypedArray>()?)
}

fn to_f64s(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Vec<f64>> {
    let a = arr.call_method1("astype", ("float64",))?;
    let a = a.cast::<PyArrayDyn<f64>>()?;
    let ro = a.try_readonly().map_err(|e| PyRuntimeError::new_err(format!("cannot read array: {e}")))?;
    Ok(ro.as_array().iter().copied().collect())
}

fn to_i64s(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Vec<i64>> {
    let a = arr.call_method1("astype", ("int64",))?;
    let a = a.cast::<PyArrayDyn<i64>>()?;
    let ro = a.try_readonly().map_err(|e| PyRuntimeError::new_err(format!("cannot read array: {e}")))?;
    Ok(ro.as_array().iter().copied().collect())
}

fn to_bools(arr: &Bound<'_, PyUntypedArray>) -> PyResult<Vec<bool>> {
    let a = arr.cast::<PyArrayDyn<bool>>()?;
    let ro = a.try_readonly().map_err(|e| PyRuntimeError::new_err(format!("cannot read array: {e}")))?;
    Ok(ro.as_array().iter().copied().collect())
}

fn dtype_str(arr: &Bound<'_, PyUntypedArray>) -> String {
    arr.dtype().str().map(|s| s.to_string()).unwrap_or_else(|_| "?".into())
}

fn make_config(sticky_action_prob: f64, difficulty_ramping: bool, minimal_action_set: bool) -> PyResult<MinAtarConfig> {
    if !(0.0..=1.0).contains(&sticky_action_prob) {
        return Err(PyValueError::new_err(format!("sticky_action_prob must be in [0, 1], got {sticky_action_prob}")));
    }
    Ok(MinAtarConfig { sticky_action_prob, difficulty_ramping, minimal_action_set })
}

/// A single action as an int, with Python's list indexing checked against `n`.
fn parse_action(obj: &Bound<'_, PyAny>, n: usize) -> PyResult<i64> {
    let v: i64 = if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("action must be an int, got bool"));
    } else if obj.is_instance_of::<PyInt>() {
        obj.extract().map_err(|_| PyValueError::new_err(format!("action {obj} is out of range")))?
    } else {
        let arr = as_array(obj).map_err(|_| PyTypeError::new_err(format!("action must be an int, got {}", type_name(obj))))?;
        let kind = arr.dtype().kind();
        if kind != b'i' && kind != b'u' {
            return Err(PyTypeError::new_err(format!(
                "action must be an int (or an integer array of size 1), got {} of dtype {}",
                type_name(obj),
                dtype_str(&arr)
            )));
        }
        if arr.len() != 1 || arr.ndim() > 1 {
            return Err(PyValueError::new_err(format!("action array must have shape () or (1,), got {:?}", arr.shape())));
        }
        to_i64s(&arr)?[0]
    };
    let n = n as i64;
    if !(-n..n).contains(&v) {
        return Err(PyValueError::new_err(format!(
            "action {v} out of range for Discrete({n}): must be in {}..{n} (Python list indexing, as the reference)",
            -n
        )));
    }
    Ok(v)
}

/// Draw values from a dict: `sticky` (when asked for) and one entry per decl.
fn parse_draws(obj: &Bound<'_, PyAny>, decls: &[DrawDecl], with_sticky: bool) -> PyResult<(f64, Vec<Vec<f64>>)> {
    let names: Vec<&str> = with_sticky.then_some("sticky").into_iter().chain(decls.iter().map(|d| d.name)).collect();
    let expected = || if names.is_empty() { "none".to_string() } else { names.join(", ") };
    let d = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!("draws must be a dict with keys ({}), got {}", expected(), type_name(obj)))
    })?;
    for (k, _) in d.iter() {
        let name = k.cast::<PyString>().map_err(|_| PyKeyError::new_err(format!("draw names must be str, got {}", type_name(&k))))?.to_string();
        if !names.contains(&name.as_str()) {
            return Err(PyKeyError::new_err(format!("unknown draw '{name}'; expected: {}", expected())));
        }
    }
    let get = |name: &str, kind: DrawKind, len: usize| -> PyResult<Vec<f64>> {
        let v = d.get_item(name)?.ok_or_else(|| PyKeyError::new_err(format!("missing draw '{name}'; expected: {}", expected())))?;
        let arr = as_array(&v)?;
        let k = arr.dtype().kind();
        if !matches!(k, b'b' | b'i' | b'u' | b'f') {
            return Err(PyTypeError::new_err(format!("draw '{name}' must be numeric, got dtype {}", dtype_str(&arr))));
        }
        if arr.len() != len {
            return Err(PyValueError::new_err(format!("draw '{name}' must have {len} element(s), got shape {:?}", arr.shape())));
        }
        let values = to_f64s(&arr)?;
        for (i, &x) in values.iter().enumerate() {
            let ok = match kind {
                DrawKind::Uniform => x.is_finite(),
                DrawKind::Integers { .. } => x.is_finite() && x.fract() == 0.0,
            };
            if !ok {
                let want = if matches!(kind, DrawKind::Uniform) { "a finite float" } else { "an integer" };
                return Err(PyValueError::new_err(format!("draw '{name}'[{i}] must be {want}, got {x}")));
            }
        }
        Ok(values)
    };
    let sticky = if with_sticky { get("sticky", DrawKind::Uniform, 1)?[0] } else { 0.0 };
    let values = decls.iter().map(|dd| get(dd.name, dd.kind, dd.len)).collect::<PyResult<Vec<_>>>()?;
    Ok((sticky, values))
}

/// Name and shape of every state field, wrapper fields included.
fn fields<G: MinAtarGame>() -> Vec<(&'static str, bool, Vec<usize>)> {
    G::FIELDS
        .iter()
        .map(|f| (f.name, f.is_bool, f.shape.to_vec()))
        .chain([("last_action", false, vec![]), ("time", false, vec![])])
        .collect()
}

fn state_dict<'py, G: MinAtarGame>(py: Python<'py>, env: &MinAtar<G>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for ((name, _, shape), value) in fields::<G>().into_iter().zip(env.get_state()) {
        let arr = match value {
            GameValue::Ints(v) => PyArray1::from_vec(py, v).reshape(numpy::IxDyn(&shape))?.into_any(),
            GameValue::Bools(v) => PyArray1::from_vec(py, v).reshape(numpy::IxDyn(&shape))?.into_any(),
        };
        d.set_item(name, arr)?;
    }
    Ok(d)
}

fn parse_state<G: MinAtarGame>(obj: &Bound<'_, PyAny>) -> PyResult<Vec<GameValue>> {
    let fs = fields::<G>();
    let expected = || fs.iter().map(|f| f.0).collect::<Vec<_>>().join(", ");
    let d = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!("state must be a dict with keys ({}), got {}", expected(), type_name(obj)))
    })?;
    for (k, _) in d.iter() {
        let name = k.cast::<PyString>().map_err(|_| PyKeyError::new_err(format!("state keys must be str, got {}", type_name(&k))))?.to_string();
        if !fs.iter().any(|f| f.0 == name) {
            return Err(PyKeyError::new_err(format!("unknown state key '{name}' for {}; expected keys: {}", G::NAME, expected())));
        }
    }
    let mut out = Vec::with_capacity(fs.len());
    for (name, is_bool, shape) in &fs {
        let v = d.get_item(name)?.ok_or_else(|| PyKeyError::new_err(format!("missing state key '{name}' for {}; expected keys: {}", G::NAME, expected())))?;
        let arr = as_array(&v)?;
        let kind = arr.dtype().kind();
        let ok = if *is_bool { kind == b'b' } else { kind == b'i' || kind == b'u' };
        if !ok {
            let want = if *is_bool { "bool" } else { "an integer dtype (int64)" };
            return Err(PyTypeError::new_err(format!("state field '{name}' must be {want}, got dtype {}", dtype_str(&arr))));
        }
        if arr.shape() != shape.as_slice() {
            return Err(PyValueError::new_err(format!("state field '{name}' must have shape {:?}, got {:?}", shape, arr.shape())));
        }
        out.push(if *is_bool { GameValue::Bools(to_bools(&arr)?) } else { GameValue::Ints(to_i64s(&arr)?) });
    }
    check_game_values(G::FIELDS, &out[..G::FIELDS.len()]).map_err(PyValueError::new_err)?;
    Ok(out)
}

fn obs_array<'py, G: MinAtarGame>(py: Python<'py>, env: &MinAtar<G>) -> PyResult<Bound<'py, PyArray3<bool>>> {
    let mut v = vec![false; obs_len::<G>()];
    env.game.write_obs(&mut v);
    PyArray1::from_vec(py, v).reshape([GRID, GRID, G::CHANNELS])
}

fn draw_names(decls: &[DrawDecl]) -> Vec<&'static str> {
    decls.iter().map(|d| d.name).collect()
}

/// Given draws that never panic: an integer outside the range the game asks
/// for is remembered (the first one) and answered with `low`; the caller then
/// discards the step and raises `ValueError` naming the draw. (`GivenDraws`
/// panics instead, which prints a backtrace before the bindings could catch it.)
struct CheckedDraws<'a> {
    decls: &'a [DrawDecl],
    values: &'a [Vec<f64>],
    error: Option<String>,
}

impl DrawSource for CheckedDraws<'_> {
    fn uniform(&mut self, draw: usize, i: usize) -> f64 {
        self.values[draw][i]
    }
    fn integer(&mut self, draw: usize, i: usize, low: i64, high: i64) -> i64 {
        let v = self.values[draw][i] as i64;
        if (low..high).contains(&v) {
            return v;
        }
        if self.error.is_none() {
            self.error = Some(format!("draw '{}'[{i}] = {v} is outside [{low}, {high})", self.decls[draw].name));
        }
        low
    }
}

/// A new env whose state is a placeholder until the first reset or set_state.
fn placeholder<G: MinAtarGame>(config: MinAtarConfig) -> MinAtar<G> {
    let mut scratch = Rng::new(0, 0);
    MinAtar::reset(config, &mut RngDraws(&mut scratch))
}

// ---------------------------------------------------------------------------
// single env core

pub(crate) struct SingleCore<G: MinAtarGame> {
    env: MinAtar<G>,
    rng: Rng,
    stream: u64,
    ready: bool,
    reset_record: Vec<Vec<f64>>,
    /// What the last `step()` drew: the sticky draw, then each of `G::STEP_DRAWS` (NaN: not drawn).
    step_record: (f64, Vec<Vec<f64>>),
}

impl<G: MinAtarGame> SingleCore<G> {
    fn new(seed: Option<u64>, stream: u64, config: MinAtarConfig) -> Self {
        let rng = seed.map_or_else(Rng::from_entropy, |s| Rng::new(s, stream));
        let step_record = (f64::NAN, G::STEP_DRAWS.iter().map(|d| vec![f64::NAN; d.len]).collect());
        SingleCore { env: placeholder(config), rng, stream, ready: false, reset_record: vec![], step_record }
    }

    fn check_ready(&self) -> PyResult<()> {
        if self.ready {
            Ok(())
        } else {
            Err(PyRuntimeError::new_err("call reset(), reset_det() or set_state() before step()"))
        }
    }

    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArray3<bool>>> {
        if let Some(s) = seed {
            self.rng = Rng::new(s, self.stream);
        }
        let mut record: Vec<Vec<f64>> = G::RESET_DRAWS.iter().map(|d| vec![f64::NAN; d.len]).collect();
        let config = self.env.config;
        self.env = MinAtar::reset(config, &mut RecordingDraws { inner: RngDraws(&mut self.rng), record: &mut record });
        self.reset_record = record;
        self.ready = true;
        obs_array(py, &self.env)
    }

    fn reset_det<'py>(&mut self, py: Python<'py>, draws: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray3<bool>>> {
        let (_, values) = parse_draws(draws, G::RESET_DRAWS, false)?;
        let config = self.env.config;
        let mut draws = CheckedDraws { decls: G::RESET_DRAWS, values: &values, error: None };
        let env = MinAtar::<G>::reset(config, &mut draws);
        if let Some(e) = draws.error {
            return Err(PyValueError::new_err(format!("bad reset draws: {e}")));
        }
        self.env = env;
        self.ready = true;
        obs_array(py, &self.env)
    }

    fn step<'py>(&mut self, py: Python<'py>, action: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArray3<bool>>, f64, bool, bool)> {
        self.check_ready()?;
        let a = parse_action(action, self.env.num_actions())?;
        let full = self.env.full_action(a).expect("range checked");
        let sticky = self.rng.next_f64();
        let (recorded_sticky, record) = &mut self.step_record;
        *recorded_sticky = sticky;
        record.iter_mut().for_each(|values| values.fill(f64::NAN));
        let (r, te, tr) = self.env.step(full, sticky, &mut RecordingDraws { inner: RngDraws(&mut self.rng), record });
        Ok((obs_array(py, &self.env)?, r as f64, te, tr))
    }

    fn step_det<'py>(
        &mut self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
        draws: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyArray3<bool>>, f64, bool, bool)> {
        self.check_ready()?;
        let a = parse_action(action, self.env.num_actions())?;
        let full = self.env.full_action(a).expect("range checked");
        let (sticky, values) = parse_draws(draws, G::STEP_DRAWS, true)?;
        let backup = self.env.clone();
        let mut given = CheckedDraws { decls: G::STEP_DRAWS, values: &values, error: None };
        let out = catch_unwind(AssertUnwindSafe(|| self.env.step(full, sticky, &mut given)));
        match (out, given.error) {
            (Ok((r, te, tr)), None) => Ok((obs_array(py, &self.env)?, r as f64, te, tr)),
            (Ok(_), Some(e)) => {
                self.env = backup;
                Err(PyValueError::new_err(format!("bad step draws: {e}")))
            }
            (Err(e), _) => {
                self.env = backup;
                Err(panic_to_err(e))
            }
        }
    }

    fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = parse_state::<G>(state)?;
        self.env.set_state(&values).map_err(PyValueError::new_err)?;
        self.ready = true;
        Ok(())
    }

    fn last_reset_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (decl, values) in G::RESET_DRAWS.iter().zip(&self.reset_record) {
            d.set_item(decl.name, PyArray1::from_slice(py, values))?;
        }
        Ok(d)
    }

    fn last_step_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("sticky", PyArray1::from_slice(py, &[self.step_record.0]))?;
        for (decl, values) in G::STEP_DRAWS.iter().zip(&self.step_record.1) {
            d.set_item(decl.name, PyArray1::from_slice(py, values))?;
        }
        Ok(d)
    }
}

// ---------------------------------------------------------------------------
// vector env core

type VecStepOut<'py> = (
    Bound<'py, PyArray4<bool>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray4<bool>>,
    Option<Bound<'py, PyArray1<bool>>>,
);

pub(crate) struct VecCore<G: MinAtarGame> {
    inner: MinAtarVec<G>,
    actions: Vec<u8>,
    obs: Py<PyArray4<bool>>,
    reward: Py<PyArray1<f64>>,
    terminated: Py<PyArray1<bool>>,
    truncated: Py<PyArray1<bool>>,
    final_obs: Py<PyArray4<bool>>,
    done: Py<PyArray1<bool>>,
}

/// Copy actions of one integer dtype, checking `0..k`.
macro_rules! copy_actions {
    ($obj:expr, $k:expr, $buf:expr, $($t:ty),*) => {{
        let mut done = false;
        $(
            if !done {
                if let Ok(a) = $obj.cast::<PyArrayDyn<$t>>() {
                    let ro = a.try_readonly().map_err(|e| PyRuntimeError::new_err(format!("cannot read actions: {e}")))?;
                    // a contiguous array is read as a slice: ndarray's n-dimensional iterator costs
                    // a few microseconds per step at batch 1024
                    let copied: Vec<$t>;
                    let vs = match ro.as_slice() {
                        Ok(vs) => vs,
                        Err(_) => {
                            copied = ro.as_array().iter().copied().collect();
                            &copied[..]
                        }
                    };
                    #[allow(unused_comparisons)]
                    let in_range = |v: $t| v >= 0 && (v as u64) < $k as u64;
                    // one pass without an early exit (vectorised), then the message from the first bad action
                    if !vs.iter().fold(true, |ok, &v| ok & in_range(v)) {
                        let (i, v) = vs.iter().enumerate().find(|&(_, &v)| !in_range(v)).expect("an action is out of range");
                        return Err(PyValueError::new_err(format!(
                            "actions[{i}] = {v} out of range for Discrete({}): must be in 0..{}", $k, $k
                        )));
                    }
                    $buf.extend(vs.iter().map(|&v| v as u8));
                    done = true;
                }
            }
        )*
        done
    }};
}

impl<G: MinAtarGame> VecCore<G> {
    fn new(py: Python<'_>, num_envs: usize, seed: Option<u64>, num_threads: Option<usize>, config: MinAtarConfig) -> PyResult<Self> {
        let seed = seed.unwrap_or_else(Rng::entropy_seed);
        let inner = MinAtarVec::<G>::new(num_envs, seed, num_threads, config).map_err(PyValueError::new_err)?;
        let shape = [num_envs, GRID, GRID, G::CHANNELS];
        Ok(VecCore {
            inner,
            actions: Vec::with_capacity(num_envs),
            obs: PyArray4::<bool>::zeros(py, shape, false).unbind(),
            reward: PyArray1::<f64>::zeros(py, [num_envs], false).unbind(),
            terminated: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
            truncated: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
            final_obs: PyArray4::<bool>::zeros(py, shape, false).unbind(),
            done: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
        })
    }

    fn index(&self, i: i64) -> PyResult<usize> {
        let n = self.inner.num_envs() as i64;
        let j = if i < 0 { i + n } else { i };
        if (0..n).contains(&j) {
            Ok(j as usize)
        } else {
            Err(PyIndexError::new_err(format!("env index {i} out of range for {n} envs")))
        }
    }

    fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArray4<bool>>> {
        let obs = self.obs.bind(py).clone();
        {
            let mut o = obs.try_readwrite().map_err(|e| borrow_err("obs", e))?;
            let o = o.as_slice_mut().map_err(|e| borrow_err("obs", e))?;
            let inner = &mut self.inner;
            py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.reset(seed, o)))).map_err(panic_to_err)?;
        }
        Ok(obs)
    }

    fn parse_actions(&mut self, actions: &Bound<'_, PyAny>) -> PyResult<()> {
        let n = self.inner.num_envs();
        let k = self.inner.num_actions();
        let arr = actions.cast::<PyUntypedArray>().map_err(|_| {
            PyTypeError::new_err(format!("actions must be a numpy integer array of shape ({n},), got {}", type_name(actions)))
        })?;
        if arr.shape() != [n] {
            return Err(PyValueError::new_err(format!("actions must have shape ({n},) for {n} envs, got {:?}", arr.shape())));
        }
        self.actions.clear();
        let buf = &mut self.actions;
        if !copy_actions!(actions, k, buf, i64, i32, i16, i8, u64, u32, u16, u8) {
            return Err(PyTypeError::new_err(format!("actions must have an integer dtype (int64 or int32), got {}", dtype_str(arr))));
        }
        Ok(())
    }

    fn step<'py>(&mut self, py: Python<'py>, actions: &Bound<'py, PyAny>) -> PyResult<VecStepOut<'py>> {
        if self.inner.needs_reset() {
            return Err(PyRuntimeError::new_err("call reset() before step()"));
        }
        self.parse_actions(actions)?;
        let obs = self.obs.bind(py).clone();
        let reward = self.reward.bind(py).clone();
        let terminated = self.terminated.bind(py).clone();
        let truncated = self.truncated.bind(py).clone();
        let final_obs = self.final_obs.bind(py).clone();
        let any = {
            let mut o = obs.try_readwrite().map_err(|e| borrow_err("obs", e))?;
            let mut r = reward.try_readwrite().map_err(|e| borrow_err("reward", e))?;
            let mut te = terminated.try_readwrite().map_err(|e| borrow_err("terminated", e))?;
            let mut tr = truncated.try_readwrite().map_err(|e| borrow_err("truncated", e))?;
            let mut f = final_obs.try_readwrite().map_err(|e| borrow_err("final_obs", e))?;
            let bufs = MinAtarBuffers {
                obs: o.as_slice_mut().map_err(|e| borrow_err("obs", e))?,
                reward: r.as_slice_mut().map_err(|e| borrow_err("reward", e))?,
                terminated: te.as_slice_mut().map_err(|e| borrow_err("terminated", e))?,
                truncated: tr.as_slice_mut().map_err(|e| borrow_err("truncated", e))?,
                final_obs: f.as_slice_mut().map_err(|e| borrow_err("final_obs", e))?,
            };
            let inner = &mut self.inner;
            let acts = &self.actions[..];
            py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.step(acts, bufs)))).map_err(panic_to_err)?;
            let (te, tr) = (te.as_slice().map_err(|e| borrow_err("terminated", e))?, tr.as_slice().map_err(|e| borrow_err("truncated", e))?);
            finished(self.done.bind(py), te, tr)?
        };
        Ok((obs, reward, terminated, truncated, final_obs, any))
    }

    fn get_state<'py>(&self, py: Python<'py>, i: i64) -> PyResult<Bound<'py, PyDict>> {
        let i = self.index(i)?;
        state_dict(py, self.inner.env(i).expect("index checked"))
    }

    fn set_state(&mut self, py: Python<'_>, i: i64, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let i = self.index(i)?;
        let values = parse_state::<G>(state)?;
        self.inner.env_mut(i).expect("index checked").set_state(&values).map_err(PyValueError::new_err)?;
        // keep row i of the obs buffer consistent with the new state
        if let Ok(mut o) = self.obs.bind(py).try_readwrite() {
            if let Ok(o) = o.as_slice_mut() {
                let od = obs_len::<G>();
                self.inner.env(i).expect("index checked").game.write_obs(&mut o[i * od..(i + 1) * od]);
            }
        }
        Ok(())
    }
}

fn action_space_tuple(py: Python<'_>, n: usize) -> PyResult<Bound<'_, PyTuple>> {
    PyTuple::new(py, [PyString::new(py, "discrete").into_any(), PyInt::new(py, n).into_any()])
}

// ---------------------------------------------------------------------------
// Python classes

/// `#[pymethods] impl $class { $body ... }` with the getters both classes of
/// a game share appended (written here so that `#[pymethods]` sees them: it
/// does not expand macros inside its block).
macro_rules! pymethods_with_common {
    ($game:ty, $class:ident, { $($body:tt)* }) => {
        #[pymethods]
        impl $class {
            $($body)*
        /// The game's name in `minatar`.
        #[getter]
        fn game(&self) -> &'static str {
            <$game as MinAtarGame>::NAME
        }
        #[getter]
        fn channels(&self) -> usize {
            <$game as MinAtarGame>::CHANNELS
        }
        /// `(10, 10, C)`.
        #[getter]
        fn obs_shape(&self) -> (usize, usize, usize) {
            (GRID, GRID, <$game as MinAtarGame>::CHANNELS)
        }
        /// Elements of one observation (`10 * 10 * C`).
        #[getter]
        fn obs_dim(&self) -> usize {
            obs_len::<$game>()
        }
        #[getter]
        fn max_episode_steps(&self) -> i64 {
            <$game as MinAtarGame>::MAX_EPISODE_STEPS
        }
        /// State fields in `get_state` order (the game's, then `last_action`, `time`).
        #[getter]
        fn state_fields(&self) -> Vec<&'static str> {
            MinAtar::<$game>::field_names()
        }
        #[getter]
        fn reset_draws(&self) -> Vec<&'static str> {
            draw_names(<$game as MinAtarGame>::RESET_DRAWS)
        }
        /// `"sticky"`, then the game's own step draws.
        #[getter]
        fn step_draws(&self) -> Vec<&'static str> {
            std::iter::once("sticky").chain(draw_names(<$game as MinAtarGame>::STEP_DRAWS)).collect()
        }
        /// Total number of reset draw elements.
        #[getter]
        fn num_reset_draws(&self) -> usize {
            <$game as MinAtarGame>::RESET_DRAWS.iter().map(|d| d.len).sum()
        }
        /// Full-map indices of the minimal action set.
        #[getter]
        fn minimal_actions(&self) -> Vec<usize> {
            <$game as MinAtarGame>::MINIMAL_ACTIONS.to_vec()
        }
        }
    };
}

macro_rules! minatar_games {
    ($($game:ty => $single:ident, $vec:ident;)*) => {
        $(
            /// One MinAtar game with sticky actions, action sets and the time limit
            /// (see the `minatar_bindings` module docs).
            #[pyclass(module = "envport_rust")]
            pub struct $single {
                core: SingleCore<$game>,
            }

            pymethods_with_common!($game, $single, {
                /// `stream`: the generator is stream `stream` of `seed`, as env `stream` of
                /// a vector env seeded with `seed` (so the two can be compared draw for draw).
                #[new]
                #[pyo3(signature = (seed = None, sticky_action_prob = 0.1, difficulty_ramping = true, minimal_action_set = false, stream = 0))]
                fn new(seed: Option<u64>, sticky_action_prob: f64, difficulty_ramping: bool, minimal_action_set: bool, stream: u64) -> PyResult<Self> {
                    let config = make_config(sticky_action_prob, difficulty_ramping, minimal_action_set)?;
                    Ok($single { core: SingleCore::new(seed, stream, config) })
                }

                /// Reset with draws from the env's generator (re-seeded first when `seed` is given).
                #[pyo3(signature = (seed = None))]
                fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArray3<bool>>> {
                    guard(|| self.core.reset(py, seed))
                }

                /// Reset from given draws: a dict with one entry per name of `reset_draws`.
                fn reset_det<'py>(&mut self, py: Python<'py>, draws: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArray3<bool>>> {
                    guard(|| self.core.reset_det(py, draws))
                }

                /// One step with the env's own draws: `(obs, reward, terminated, truncated)`.
                fn step<'py>(&mut self, py: Python<'py>, action: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArray3<bool>>, f64, bool, bool)> {
                    guard(|| self.core.step(py, action))
                }

                /// One step with given draws: a dict with one entry per name of `step_draws`.
                fn step_det<'py>(&mut self, py: Python<'py>, action: &Bound<'py, PyAny>, draws: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArray3<bool>>, f64, bool, bool)> {
                    guard(|| self.core.step_det(py, action, draws))
                }

                /// The full state: a dict of numpy arrays (int64 / bool).
                fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                    guard(|| state_dict(py, &self.core.env))
                }

                /// Overwrite the full state (exactly the keys of `state_fields`).
                fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
                    guard(|| self.core.set_state(state))
                }

                /// The current observation, bool `(10, 10, C)`.
                fn observation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArray3<bool>>> {
                    guard(|| obs_array(py, &self.core.env))
                }

                /// What the last `reset()` drew from the env's generator (NaN: not drawn).
                fn last_reset_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                    guard(|| self.core.last_reset_draws(py))
                }

                /// What the last `step()` drew from the env's generator: `sticky`, then the game's
                /// step draws (NaN: not drawn in that step; `step_det` leaves this unchanged).
                fn last_step_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                    guard(|| self.core.last_step_draws(py))
                }

                #[getter]
                fn num_actions(&self) -> usize {
                    self.core.env.num_actions()
                }
                /// `("discrete", n)`.
                #[getter]
                fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                    action_space_tuple(py, self.core.env.num_actions())
                }
                #[getter]
                fn sticky_action_prob(&self) -> f64 {
                    self.core.env.config.sticky_action_prob
                }
                #[getter]
                fn difficulty_ramping(&self) -> bool {
                    self.core.env.config.difficulty_ramping
                }
                #[getter]
                fn minimal_action_set(&self) -> bool {
                    self.core.env.config.minimal_action_set
                }

                fn __repr__(&self) -> String {
                    let c = self.core.env.config;
                    format!(
                        "{}(sticky_action_prob={}, difficulty_ramping={}, minimal_action_set={})",
                        stringify!($single), c.sticky_action_prob, c.difficulty_ramping, c.minimal_action_set
                    )
                }
            });

            /// `num_envs` games stepped together with same-step auto-reset (see the
            /// `minatar_bindings` module docs). `reset`/`step` return the env's own
            /// buffers, overwritten by the next call: copy what you keep.
            #[pyclass(module = "envport_rust")]
            pub struct $vec {
                core: VecCore<$game>,
            }

            pymethods_with_common!($game, $vec, {
                #[new]
                #[pyo3(signature = (num_envs, seed = None, num_threads = None, sticky_action_prob = 0.1, difficulty_ramping = true, minimal_action_set = false))]
                fn new(
                    py: Python<'_>,
                    num_envs: usize,
                    seed: Option<u64>,
                    num_threads: Option<usize>,
                    sticky_action_prob: f64,
                    difficulty_ramping: bool,
                    minimal_action_set: bool,
                ) -> PyResult<Self> {
                    guard(|| {
                        let config = make_config(sticky_action_prob, difficulty_ramping, minimal_action_set)?;
                        Ok($vec { core: VecCore::new(py, num_envs, seed, num_threads, config)? })
                    })
                }

                /// Reset every env (re-seeding env i from `(seed, i)` when `seed` is given);
                /// returns the obs buffer `(num_envs, 10, 10, C)` bool.
                #[pyo3(signature = (seed = None))]
                fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArray4<bool>>> {
                    guard(|| self.core.reset(py, seed))
                }

                /// Step every env: the `(obs, reward, terminated, truncated, final_obs)` buffers and the
                /// `done` buffer (`terminated | truncated`), or `None` where no env finished.
                fn step<'py>(&mut self, py: Python<'py>, actions: &Bound<'py, PyAny>) -> PyResult<VecStepOut<'py>> {
                    guard(|| self.core.step(py, actions))
                }

                /// State of env `i`.
                fn get_state<'py>(&self, py: Python<'py>, i: i64) -> PyResult<Bound<'py, PyDict>> {
                    guard(|| self.core.get_state(py, i))
                }

                /// Overwrite the state of env `i` (and row `i` of the obs buffer).
                fn set_state(&mut self, py: Python<'_>, i: i64, state: &Bound<'_, PyAny>) -> PyResult<()> {
                    guard(|| self.core.set_state(py, i, state))
                }

                #[getter]
                fn num_envs(&self) -> usize {
                    self.core.inner.num_envs()
                }
                #[getter]
                fn num_threads(&self) -> usize {
                    self.core.inner.num_threads()
                }
                #[getter]
                fn num_actions(&self) -> usize {
                    self.core.inner.num_actions()
                }
                #[getter]
                fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                    action_space_tuple(py, self.core.inner.num_actions())
                }
                #[getter]
                fn sticky_action_prob(&self) -> f64 {
                    self.core.inner.config().sticky_action_prob
                }
                #[getter]
                fn difficulty_ramping(&self) -> bool {
                    self.core.inner.config().difficulty_ramping
                }
                #[getter]
                fn minimal_action_set(&self) -> bool {
                    self.core.inner.config().minimal_action_set
                }

                fn __len__(&self) -> usize {
                    self.core.inner.num_envs()
                }

                fn __repr__(&self) -> String {
                    format!("{}(num_envs={}, num_threads={})", stringify!($vec), self.core.inner.num_envs(), self.core.inner.num_threads())
                }
            });
        )*

        /// Add every game's classes to the module.
        pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $(
                m.add_class::<$single>()?;
                m.add_class::<$vec>()?;
            )*
            m.add("MINATAR_GAMES", vec![$(<$game as MinAtarGame>::NAME),*])?;
            Ok(())
        }
    };
}

for_each_game!(minatar_games);

