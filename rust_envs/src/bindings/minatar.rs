//! PyO3 classes of the MinAtar games, generic over [`MinAtarGame`].
//!
//! # Adding a game
//!
//! Write `src/minatar/<game>.rs` (a type implementing `MinAtarGame`), add its
//! `pub mod` and `pub use` lines to `src/minatar/mod.rs`, and add ONE line to
//! the list in `src/bindings/mod.rs`:
//!
//! ```text
//! minatar <Type> => MinAtar<Title>, MinAtar<Title>Vec;
//! ```
//!
//! `<Title>` is the game's name in `envs/minatar/reference.py`'s `GAME_IDS`
//! (`Breakout`, `SpaceInvaders`, ...); the port names the classes in its
//! metadata (`Port.rust_classes`, set by `envs/minatar/port.py` for
//! `rust=True`), which is how `envs/rust_backend.py` finds them.
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
//! [`MinAtarVec`](crate::minatar::MinAtarVec) (same-step auto-reset) through the
//! shared [`VecCore`](super::vector::VecCore), stepping into numpy buffers
//! allocated once, with the GIL released. Actions `0..num_actions`. Rows of
//! `final_obs` are written only for envs that finished in the step.
//!
//! Errors: `TypeError` (types, dtypes), `ValueError` (shapes, ranges, bad
//! draws, bad state values), `KeyError` (dict keys), `IndexError` (env index),
//! `RuntimeError` (stepping before a reset, any Rust panic).

use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::{PyArray1, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt, PyString};

use super::common::{obs_to_py, panic_to_err, type_name, PyEnv};
use crate::draws::{as_permutation, as_permutation_row};
use crate::minatar::{
    check_game_values, DrawDecl, DrawKind, DrawSource, GameValue, MinAtar, MinAtarConfig, MinAtarGame,
    RecordingDraws, RngDraws,
};
use crate::rng::Rng;
use crate::vector::{integers_in_words, ActionSpace, Env};

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

pub(crate) fn make_config(sticky_action_prob: f64, difficulty_ramping: bool, minimal_action_set: bool) -> PyResult<MinAtarConfig> {
    if !(0.0..=1.0).contains(&sticky_action_prob) {
        return Err(PyValueError::new_err(format!("sticky_action_prob must be in [0, 1], got {sticky_action_prob}")));
    }
    Ok(MinAtarConfig { sticky_action_prob, difficulty_ramping, minimal_action_set })
}

/// The message of a single action outside `-n..n`: the space's valid actions, and the negative ones the
/// reference also accepts.
fn outside(v: impl std::fmt::Display, n: usize) -> String {
    format!(
        "{}, or {} counting from the end (Python list indexing, as the reference)",
        ActionSpace::Discrete(n as u32).outside_message("action", v),
        integers_in_words(-(n as i64), -1)
    )
}

/// A single action as an int, with Python's list indexing checked against `n`.
pub(crate) fn parse_action(obj: &Bound<'_, PyAny>, n: usize) -> PyResult<i64> {
    let v: i64 = if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("action must be an int, got bool"));
    } else if obj.is_instance_of::<PyInt>() {
        obj.extract().map_err(|_| PyValueError::new_err(outside(obj, n)))?
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
    if !(-(n as i64)..n as i64).contains(&v) {
        return Err(PyValueError::new_err(outside(v, n)));
    }
    Ok(v)
}

/// Draw values from a dict: `sticky` (when asked for) and one entry per decl.
pub(crate) fn parse_draws(obj: &Bound<'_, PyAny>, decls: &[DrawDecl], with_sticky: bool) -> PyResult<(f64, Vec<Vec<f64>>)> {
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

fn state_dict<'py, G: MinAtarGame>(py: Python<'py>, values: &[GameValue]) -> PyResult<Bound<'py, PyDict>> {
    values_to_dict(py, &fields::<G>(), values)
}

fn parse_state<G: MinAtarGame>(obj: &Bound<'_, PyAny>) -> PyResult<Vec<GameValue>> {
    let out = dict_to_values(obj, &fields::<G>(), G::NAME)?;
    check_game_values(G::FIELDS, &out[..G::FIELDS.len()]).map_err(PyValueError::new_err)?;
    Ok(out)
}

/// Name, kind (bool or int) and shape of one state field.
pub(crate) type FieldInfo = (&'static str, bool, Vec<usize>);

/// State values as a dict of numpy arrays (`int64` or `bool`, each field's shape).
pub(crate) fn values_to_dict<'py>(py: Python<'py>, fields: &[FieldInfo], values: &[GameValue]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for ((name, _, shape), value) in fields.iter().zip(values) {
        let arr = match value {
            GameValue::Ints(v) => PyArray1::from_slice(py, v).reshape(numpy::IxDyn(shape))?.into_any(),
            GameValue::Bools(v) => PyArray1::from_slice(py, v).reshape(numpy::IxDyn(shape))?.into_any(),
        };
        d.set_item(*name, arr)?;
    }
    Ok(d)
}

/// State values from a dict with exactly the keys of `fields` (kinds and shapes checked; `owner` names
/// the environment in messages).
pub(crate) fn dict_to_values(obj: &Bound<'_, PyAny>, fs: &[FieldInfo], owner: &str) -> PyResult<Vec<GameValue>> {
    let expected = || fs.iter().map(|f| f.0).collect::<Vec<_>>().join(", ");
    let d = obj.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!("state must be a dict with keys ({}), got {}", expected(), type_name(obj)))
    })?;
    for (k, _) in d.iter() {
        let name = k.cast::<PyString>().map_err(|_| PyKeyError::new_err(format!("state keys must be str, got {}", type_name(&k))))?.to_string();
        if !fs.iter().any(|f| f.0 == name) {
            return Err(PyKeyError::new_err(format!("unknown state key '{name}' for {owner}; expected keys: {}", expected())));
        }
    }
    let mut out = Vec::with_capacity(fs.len());
    for (name, is_bool, shape) in fs {
        let v = d.get_item(name)?.ok_or_else(|| PyKeyError::new_err(format!("missing state key '{name}' for {owner}; expected keys: {}", expected())))?;
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
    Ok(out)
}

pub(crate) fn draw_names(decls: &[DrawDecl]) -> Vec<&'static str> {
    decls.iter().map(|d| d.name).collect()
}

/// Given draws that never panic: an integer outside the range the game asks
/// for is remembered (the first one) and answered with `low`; the caller then
/// discards the step and raises `ValueError` naming the draw. (`GivenDraws`
/// panics instead, which prints a backtrace before the bindings could catch it.)
pub(crate) struct CheckedDraws<'a> {
    pub(crate) decls: &'a [DrawDecl],
    pub(crate) values: &'a [Vec<f64>],
    pub(crate) error: Option<String>,
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
    fn permutation(&mut self, draw: usize, out: &mut [usize]) {
        if let Err(e) = as_permutation(&self.values[draw], out) {
            if self.error.is_none() {
                self.error = Some(format!("draw '{}' {e}", self.decls[draw].name));
            }
            out.iter_mut().enumerate().for_each(|(i, v)| *v = i);
        }
    }
    fn permutation_row(&mut self, draw: usize, row: usize, out: &mut [usize]) {
        if let Err(e) = as_permutation_row(&self.values[draw], row, out) {
            if self.error.is_none() {
                self.error = Some(format!("draw '{}' {e}", self.decls[draw].name));
            }
            out.iter_mut().enumerate().for_each(|(i, v)| *v = i);
        }
    }
}

/// A new env whose state is a placeholder until the first reset or set_state.
fn placeholder<G: MinAtarGame>(config: MinAtarConfig) -> MinAtar<G> {
    let mut scratch = Rng::new(0, 0);
    MinAtar::reset(config, &mut RngDraws(&mut scratch))
}

// ---------------------------------------------------------------------------
// the family's Python side

impl<G: MinAtarGame> PyEnv for MinAtar<G> {
    const MAX_EPISODE_STEPS: i64 = G::MAX_EPISODE_STEPS;
    fn state_fields() -> Vec<&'static str> {
        MinAtar::<G>::field_names()
    }
    fn num_reset_draws() -> usize {
        G::RESET_DRAWS.iter().map(|d| d.len).sum()
    }
    fn state_to_py<'py>(py: Python<'py>, state: &Vec<GameValue>) -> PyResult<Bound<'py, PyDict>> {
        state_dict::<G>(py, state)
    }
    fn state_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<GameValue>> {
        parse_state::<G>(obj)
    }
}

// ---------------------------------------------------------------------------
// single env core

pub(crate) struct MinAtarSingle<G: MinAtarGame> {
    pub(crate) env: MinAtar<G>,
    rng: Rng,
    stream: u64,
    ready: bool,
    reset_record: Vec<Vec<f64>>,
    /// What the last `step()` drew: the sticky draw, then each of `G::STEP_DRAWS` (NaN: not drawn).
    step_record: (f64, Vec<Vec<f64>>),
}

impl<G: MinAtarGame> MinAtarSingle<G> {
    pub(crate) fn new(seed: Option<u64>, stream: u64, config: MinAtarConfig) -> Self {
        let rng = seed.map_or_else(Rng::from_entropy, |s| Rng::new(s, stream));
        let step_record = (f64::NAN, G::STEP_DRAWS.iter().map(|d| vec![f64::NAN; d.len]).collect());
        MinAtarSingle { env: placeholder(config), rng, stream, ready: false, reset_record: vec![], step_record }
    }

    pub(crate) fn action_space(&self) -> ActionSpace {
        <MinAtar<G> as Env>::action_space(&self.env.config)
    }

    pub(crate) fn observation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<bool>>> {
        obs_to_py(py, &self.env)
    }

    pub(crate) fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        state_dict::<G>(py, &self.env.get_state())
    }

    fn check_ready(&self) -> PyResult<()> {
        if self.ready {
            Ok(())
        } else {
            Err(PyRuntimeError::new_err("call reset(), reset_det() or set_state() before step()"))
        }
    }

    pub(crate) fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArrayDyn<bool>>> {
        if let Some(s) = seed {
            self.rng = Rng::new(s, self.stream);
        }
        let mut record: Vec<Vec<f64>> = G::RESET_DRAWS.iter().map(|d| vec![f64::NAN; d.len]).collect();
        let config = self.env.config;
        self.env = MinAtar::reset(config, &mut RecordingDraws { inner: RngDraws(&mut self.rng), record: &mut record });
        self.reset_record = record;
        self.ready = true;
        obs_to_py(py, &self.env)
    }

    pub(crate) fn reset_det<'py>(&mut self, py: Python<'py>, draws: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<bool>>> {
        let (_, values) = parse_draws(draws, G::RESET_DRAWS, false)?;
        let config = self.env.config;
        let mut draws = CheckedDraws { decls: G::RESET_DRAWS, values: &values, error: None };
        let env = MinAtar::<G>::reset(config, &mut draws);
        if let Some(e) = draws.error {
            return Err(PyValueError::new_err(format!("bad reset draws: {e}")));
        }
        self.env = env;
        self.ready = true;
        obs_to_py(py, &self.env)
    }

    pub(crate) fn step<'py>(&mut self, py: Python<'py>, action: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArrayDyn<bool>>, f64, bool, bool)> {
        self.check_ready()?;
        let a = parse_action(action, self.env.num_actions())?;
        let full = self.env.full_action(a).expect("range checked");
        let sticky = self.rng.next_f64();
        let (recorded_sticky, record) = &mut self.step_record;
        *recorded_sticky = sticky;
        record.iter_mut().for_each(|values| values.fill(f64::NAN));
        let (r, te, tr) = self.env.step(full, sticky, &mut RecordingDraws { inner: RngDraws(&mut self.rng), record });
        Ok((obs_to_py(py, &self.env)?, r as f64, te, tr))
    }

    pub(crate) fn step_det<'py>(
        &mut self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
        draws: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyArrayDyn<bool>>, f64, bool, bool)> {
        self.check_ready()?;
        let a = parse_action(action, self.env.num_actions())?;
        let full = self.env.full_action(a).expect("range checked");
        let (sticky, values) = parse_draws(draws, G::STEP_DRAWS, true)?;
        let backup = self.env.clone();
        let mut given = CheckedDraws { decls: G::STEP_DRAWS, values: &values, error: None };
        let out = catch_unwind(AssertUnwindSafe(|| self.env.step(full, sticky, &mut given)));
        match (out, given.error) {
            (Ok((r, te, tr)), None) => Ok((obs_to_py(py, &self.env)?, r as f64, te, tr)),
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

    pub(crate) fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = parse_state::<G>(state)?;
        self.env.set_state(&values).map_err(PyValueError::new_err)?;
        self.ready = true;
        Ok(())
    }

    pub(crate) fn last_reset_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (decl, values) in G::RESET_DRAWS.iter().zip(&self.reset_record) {
            d.set_item(decl.name, PyArray1::from_slice(py, values))?;
        }
        Ok(d)
    }

    pub(crate) fn last_step_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("sticky", PyArray1::from_slice(py, &[self.step_record.0]))?;
        for (decl, values) in G::STEP_DRAWS.iter().zip(&self.step_record.1) {
            d.set_item(decl.name, PyArray1::from_slice(py, values))?;
        }
        Ok(d)
    }
}

// ---------------------------------------------------------------------------
// the classes of one game

/// `minatar!(Breakout, MinAtarBreakout, MinAtarBreakoutVec)`: the classes of
/// the game `crate::minatar::Breakout` (a `MinAtarGame`) with the shared
/// wrapper, named `MinAtarBreakout` and `MinAtarBreakoutVec` in Python.
macro_rules! minatar {
    ($ty:ident, $single:ident, $vec:ident) => {
        // the getters both classes of a game have, pasted into both (see `env_classes!`)
        minatar!(@classes $crate::minatar::$ty, $single, $vec, {
            /// The game's name in `minatar`.
            #[getter]
            fn game(&self) -> &'static str {
                <$crate::minatar::$ty as $crate::minatar::MinAtarGame>::NAME
            }
            #[getter]
            fn channels(&self) -> usize {
                <$crate::minatar::$ty as $crate::minatar::MinAtarGame>::CHANNELS
            }
            /// `(10, 10, C)`.
            #[getter]
            fn obs_shape(&self) -> (usize, usize, usize) {
                ($crate::minatar::GRID, $crate::minatar::GRID, <$crate::minatar::$ty as $crate::minatar::MinAtarGame>::CHANNELS)
            }
            #[getter]
            fn reset_draws(&self) -> Vec<&'static str> {
                $crate::bindings::minatar::draw_names(<$crate::minatar::$ty as $crate::minatar::MinAtarGame>::RESET_DRAWS)
            }
            /// `"sticky"`, then the game's own step draws.
            #[getter]
            fn step_draws(&self) -> Vec<&'static str> {
                std::iter::once("sticky")
                    .chain($crate::bindings::minatar::draw_names(<$crate::minatar::$ty as $crate::minatar::MinAtarGame>::STEP_DRAWS))
                    .collect()
            }
            /// Full-map indices of the minimal action set.
            #[getter]
            fn minimal_actions(&self) -> Vec<usize> {
                <$crate::minatar::$ty as $crate::minatar::MinAtarGame>::MINIMAL_ACTIONS.to_vec()
            }
        });
    };
    (@classes $game:ty, $single:ident, $vec:ident, { $($game_getters:tt)* }) => {
        env_classes! {
            env: $crate::minatar::MinAtar<$game>,
            single:
                /// One MinAtar game with sticky actions, action sets and the time limit
                /// (see the `bindings::minatar` module docs).
                $single($crate::bindings::minatar::MinAtarSingle<$game>) {
                    /// `stream`: the generator is stream `stream` of `seed`, as env `stream` of
                    /// a vector env seeded with `seed` (so the two can be compared draw for draw).
                    #[new]
                    #[pyo3(signature = (seed = None, sticky_action_prob = 0.1, difficulty_ramping = true, minimal_action_set = false, stream = 0))]
                    fn new(seed: Option<u64>, sticky_action_prob: f64, difficulty_ramping: bool, minimal_action_set: bool, stream: u64) -> ::pyo3::PyResult<Self> {
                        let config = $crate::bindings::minatar::make_config(sticky_action_prob, difficulty_ramping, minimal_action_set)?;
                        Ok($single { core: $crate::bindings::minatar::MinAtarSingle::new(seed, stream, config) })
                    }

                    /// Reset from given draws: a dict with one entry per name of `reset_draws`.
                    fn reset_det<'py>(&mut self, py: ::pyo3::Python<'py>, draws: &::pyo3::Bound<'py, ::pyo3::PyAny>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<bool>>> {
                        $crate::bindings::common::guard(|| self.core.reset_det(py, draws))
                    }

                    /// One step with given draws: a dict with one entry per name of `step_draws`.
                    fn step_det<'py>(
                        &mut self,
                        py: ::pyo3::Python<'py>,
                        action: &::pyo3::Bound<'py, ::pyo3::PyAny>,
                        draws: &::pyo3::Bound<'py, ::pyo3::PyAny>,
                    ) -> ::pyo3::PyResult<(::pyo3::Bound<'py, ::numpy::PyArrayDyn<bool>>, f64, bool, bool)> {
                        $crate::bindings::common::guard(|| self.core.step_det(py, action, draws))
                    }

                    /// What the last `reset()` drew from the env's generator (NaN: not drawn).
                    fn last_reset_draws<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                        $crate::bindings::common::guard(|| self.core.last_reset_draws(py))
                    }

                    /// What the last `step()` drew from the env's generator: `sticky`, then the game's
                    /// step draws (NaN: not drawn in that step; `step_det` leaves this unchanged).
                    fn last_step_draws<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                        $crate::bindings::common::guard(|| self.core.last_step_draws(py))
                    }

                    #[getter]
                    fn num_actions(&self) -> usize {
                        self.core.env.num_actions()
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

                    $($game_getters)*
                },
            vec:
                /// `num_envs` games stepped together with same-step auto-reset (see the
                /// `bindings::minatar` module docs). `reset`/`step` return the env's own
                /// buffers, overwritten by the next call: copy what you keep.
                $vec {
                    #[new]
                    #[pyo3(signature = (num_envs, seed = None, num_threads = None, sticky_action_prob = 0.1, difficulty_ramping = true, minimal_action_set = false))]
                    fn new(
                        py: ::pyo3::Python<'_>,
                        num_envs: usize,
                        seed: Option<u64>,
                        num_threads: Option<usize>,
                        sticky_action_prob: f64,
                        difficulty_ramping: bool,
                        minimal_action_set: bool,
                    ) -> ::pyo3::PyResult<Self> {
                        $crate::bindings::common::guard(|| {
                            let config = $crate::bindings::minatar::make_config(sticky_action_prob, difficulty_ramping, minimal_action_set)?;
                            Ok($vec { core: $crate::bindings::vector::VecCore::new(py, num_envs, seed, num_threads, config)? })
                        })
                    }

                    #[getter]
                    fn num_actions(&self) -> usize {
                        self.core.inner.num_actions()
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

                    $($game_getters)*
                },
        }
    };
}
