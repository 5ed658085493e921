//! The classic-control family's Python classes: `CartPole`, `CartPoleVec`, ...
//!
//! * Single env: an exact port of the Gymnasium environment of the same name
//!   including its TimeLimit (`truncated` is returned by `step`), no
//!   auto-reset. `reset_det(draws)` resets from explicit uniform draws in
//!   [0, 1) (a float64 array or list of `num_reset_draws` values);
//!   `reset(seed=None)` draws them from the env's own generator.
//!   `get_state()` / `set_state(d)`: a dict of Python floats, ints and bools
//!   (`None` for the nullable fields).
//! * Vector env: [`VecCore`](super::vector::VecCore) over `Classic<E>`;
//!   float32 observations `(num_envs, obs_dim)`, every `final_obs` row written.
//! * Actions: Python ints (or integer arrays of size 1) for discrete envs,
//!   float32 arrays of shape `(1,)` or Python floats for continuous ones;
//!   batches: integer arrays `(N,)`, float32 arrays `(N, 1)` (or `(N,)`).

use numpy::{
    PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use super::common::{dtype_name, obs_to_py, type_name, PyAction, PyEnv};
use crate::classic_control::{Classic, ClassicEnv, FieldKind, StateValue, MAX_RESET_DRAWS};
use crate::rng::Rng;
use crate::vector::{ActionSpace, Env};

// ---------------------------------------------------------------------------
// state dicts

fn state_to_dict<'py, E: ClassicEnv>(
    py: Python<'py>,
    values: &[StateValue],
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (f, v) in E::FIELDS.iter().zip(values) {
        match *v {
            StateValue::Float(x) => d.set_item(f.name, PyFloat::new(py, x))?,
            StateValue::Int(i) => d.set_item(f.name, PyInt::new(py, i))?,
            StateValue::Bool(b) => d.set_item(f.name, PyBool::new(py, b))?,
        }
    }
    Ok(d)
}

fn expected_keys<E: ClassicEnv>() -> String {
    E::FIELDS
        .iter()
        .map(|f| f.name)
        .collect::<Vec<_>>()
        .join(", ")
}

fn dict_to_state<E: ClassicEnv>(state: &Bound<'_, PyAny>) -> PyResult<Vec<StateValue>> {
    let d = state.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!(
            "state must be a dict with keys ({}), got {}",
            expected_keys::<E>(),
            type_name(state)
        ))
    })?;
    for (k, _) in d.iter() {
        let name: String = k
            .cast::<PyString>()
            .map_err(|_| {
                PyKeyError::new_err(format!("state keys must be str, got {}", type_name(&k)))
            })?
            .to_string();
        if !E::FIELDS.iter().any(|f| f.name == name) {
            return Err(PyKeyError::new_err(format!(
                "unknown state key '{name}' for {}; expected keys: {}",
                E::ID,
                expected_keys::<E>()
            )));
        }
    }
    let mut out = Vec::with_capacity(E::FIELDS.len());
    for f in E::FIELDS {
        let v = d.get_item(f.name)?.ok_or_else(|| {
            PyKeyError::new_err(format!(
                "missing state key '{}' for {}; expected keys: {}",
                f.name,
                E::ID,
                expected_keys::<E>()
            ))
        })?;
        if v.is_none() {
            out.push(f.none_value().ok_or_else(|| {
                PyTypeError::new_err(format!("state field '{}' cannot be None", f.name))
            })?);
            continue;
        }
        let bad = |what: &str| {
            PyTypeError::new_err(format!(
                "state field '{}' must be {what}, got {}",
                f.name,
                type_name(&v)
            ))
        };
        let sv = match f.kind {
            FieldKind::Float => StateValue::Float(v.extract::<f64>().map_err(|_| bad("a float"))?),
            FieldKind::Int => {
                if v.is_instance_of::<PyFloat>() {
                    return Err(bad("an int"));
                }
                StateValue::Int(v.extract::<i64>().map_err(|_| bad("an int"))?)
            }
            FieldKind::Bool => StateValue::Bool(v.extract::<bool>().map_err(|_| bad("a bool"))?),
        };
        out.push(sv);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// single actions

/// A single Python action converted into a classic env's action type.
pub(crate) trait ClassicAction: PyAction {
    fn parse_single(obj: &Bound<'_, PyAny>, space: ActionSpace) -> PyResult<Self>;
}

fn check_discrete(v: i128, space: ActionSpace) -> PyResult<u32> {
    let n = match space {
        ActionSpace::Discrete(n) => n,
        ActionSpace::Box { .. } => unreachable!("discrete action type with a Box space"),
    };
    if v < 0 || v >= n as i128 {
        Err(PyValueError::new_err(space.outside_message("action", v)))
    } else {
        Ok(v as u32)
    }
}

impl ClassicAction for u32 {
    fn parse_single(obj: &Bound<'_, PyAny>, space: ActionSpace) -> PyResult<Self> {
        if let Ok(arr) = obj.cast::<PyUntypedArray>() {
            let kind = arr.dtype().kind();
            if kind != b'i' && kind != b'u' {
                return Err(PyTypeError::new_err(format!(
                    "discrete action must be an int (or an integer array of size 1), got array of dtype {}",
                    dtype_name(arr)
                )));
            }
            if arr.len() != 1 || arr.ndim() > 1 {
                return Err(PyValueError::new_err(format!(
                    "discrete action array must have shape () or (1,), got {:?}",
                    arr.shape()
                )));
            }
            let v: i128 = obj.call_method0("item")?.extract()?;
            return check_discrete(v, space);
        }
        if obj.is_instance_of::<PyFloat>() {
            return Err(PyTypeError::new_err(format!(
                "discrete action must be an int, got float {obj}"
            )));
        }
        let v: i128 = obj.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "discrete action must be an int, got {}",
                type_name(obj)
            ))
        })?;
        check_discrete(v, space)
    }
}

impl ClassicAction for f32 {
    fn parse_single(obj: &Bound<'_, PyAny>, _space: ActionSpace) -> PyResult<Self> {
        if let Ok(arr) = obj.cast::<PyUntypedArray>() {
            let a = obj.cast::<PyArrayDyn<f32>>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "action array must have dtype float32, got {}",
                    dtype_name(arr)
                ))
            })?;
            if arr.len() != 1 || arr.ndim() > 1 {
                return Err(PyValueError::new_err(format!(
                    "action array must have shape (1,), got {:?}",
                    arr.shape()
                )));
            }
            let ro = a
                .try_readonly()
                .map_err(|e| PyRuntimeError::new_err(format!("cannot read action: {e}")))?;
            let v = *ro.as_array().iter().next().expect("size checked");
            return Ok(v);
        }
        if obj.is_instance_of::<PyBool>() {
            return Err(PyTypeError::new_err(
                "continuous action must be a float32 array of shape (1,) or a float, got bool",
            ));
        }
        let v: f64 = obj.extract().map_err(|_| {
            PyTypeError::new_err(format!(
                "continuous action must be a float32 array of shape (1,) or a float, got {}",
                type_name(obj)
            ))
        })?;
        Ok(v as f32)
    }
}

// ---------------------------------------------------------------------------
// reset draws

fn parse_draws<E: ClassicEnv>(draws: &Bound<'_, PyAny>) -> PyResult<[f64; MAX_RESET_DRAWS]> {
    let k = E::NUM_RESET_DRAWS;
    let mut out = [0.0f64; MAX_RESET_DRAWS];
    let vals: Vec<f64> = if let Ok(arr) = draws.cast::<PyUntypedArray>() {
        let a = draws.cast::<PyArrayDyn<f64>>().map_err(|_| {
            PyTypeError::new_err(format!(
                "draws must be a float64 array, got dtype {}",
                dtype_name(arr)
            ))
        })?;
        if arr.ndim() != 1 {
            return Err(PyValueError::new_err(format!(
                "draws must be a 1-d array of {k} uniforms, got shape {:?}",
                arr.shape()
            )));
        }
        let ro = a
            .try_readonly()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot read draws: {e}")))?;
        ro.as_array().iter().copied().collect()
    } else if draws.is_instance_of::<PyList>() || draws.is_instance_of::<PyTuple>() {
        draws
            .extract()
            .map_err(|_| PyTypeError::new_err("draws must be a sequence of floats"))?
    } else {
        return Err(PyTypeError::new_err(format!(
            "draws must be a float64 numpy array (or list) of {k} uniforms, got {}",
            type_name(draws)
        )));
    };
    if vals.len() != k {
        return Err(PyValueError::new_err(format!(
            "{} needs {k} reset draws, got {}",
            E::ID,
            vals.len()
        )));
    }
    out[..k].copy_from_slice(&vals);
    Ok(out)
}

// ---------------------------------------------------------------------------
// the family's Python side

impl<E: ClassicEnv> PyEnv for Classic<E>
where
    E::Action: ClassicAction,
{
    const MAX_EPISODE_STEPS: i64 = E::MAX_EPISODE_STEPS;
    fn state_fields() -> Vec<&'static str> {
        E::FIELDS.iter().map(|f| f.name).collect()
    }
    fn num_reset_draws() -> usize {
        E::NUM_RESET_DRAWS
    }
    fn state_to_py<'py>(py: Python<'py>, state: &Vec<StateValue>) -> PyResult<Bound<'py, PyDict>> {
        state_to_dict::<E>(py, state)
    }
    fn state_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<StateValue>> {
        dict_to_state::<E>(obj)
    }
}

/// The single env behind `CartPole`, ...: the env, its own generator (stream 0
/// of the seed, as env 0 of a vector env), and whether it was reset.
pub(crate) struct ClassicSingle<E: ClassicEnv> {
    env: Classic<E>,
    rng: Rng,
    ready: bool,
}

impl<E: ClassicEnv> ClassicSingle<E>
where
    E::Action: ClassicAction,
{
    pub(crate) fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => Rng::new(s, 0),
            None => Rng::from_entropy(),
        };
        ClassicSingle { env: Classic(E::new()), rng, ready: false }
    }

    pub(crate) fn action_space(&self) -> ActionSpace {
        E::ACTION_SPACE
    }

    pub(crate) fn observation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        obs_to_py(py, &self.env)
    }

    pub(crate) fn reset_det<'py>(&mut self, py: Python<'py>, draws: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        let d = parse_draws::<E>(draws)?;
        self.env.reset_det(&d[..E::NUM_RESET_DRAWS]);
        self.ready = true;
        self.observation(py)
    }

    pub(crate) fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArrayDyn<f32>>> {
        if let Some(s) = seed {
            self.rng = Rng::new(s, 0);
        }
        Env::reset(&mut self.env, &mut self.rng);
        self.ready = true;
        self.observation(py)
    }

    pub(crate) fn step<'py>(&mut self, py: Python<'py>, action: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArrayDyn<f32>>, f64, bool, bool)> {
        if !self.ready {
            return Err(PyRuntimeError::new_err("call reset(), reset_det() or set_state() before step()"));
        }
        let a = E::Action::parse_single(action, E::ACTION_SPACE)?;
        let (r, te, tr) = self.env.0.step(a);
        Ok((self.observation(py)?, r, te, tr))
    }

    pub(crate) fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        state_to_dict::<E>(py, &self.env.0.get_state())
    }

    pub(crate) fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = dict_to_state::<E>(state)?;
        self.env.0.set_state(&v).map_err(PyValueError::new_err)?;
        self.ready = true;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// the classes of one environment

/// `classic_control!(CartPole, CartPole, CartPoleVec)`: the classes of
/// `crate::classic_control::CartPole` (a `ClassicEnv`), named `CartPole` and
/// `CartPoleVec` in Python.
macro_rules! classic_control {
    ($ty:ident, $single:ident, $vec:ident) => {
        env_classes! {
            env: $crate::classic_control::Classic<$crate::classic_control::$ty>,
            single:
                /// Single environment, an exact port of the Gymnasium environment of the same
                /// name including its TimeLimit (`truncated` is returned by `step`). No auto-reset.
                ///
                /// `reset_det(draws)` resets from explicit uniform draws in [0, 1) (float64 array of
                /// `num_reset_draws` values); `reset(seed=None)` draws them from the env's own RNG.
                /// `step(action)` returns `(obs, reward, terminated, truncated)`.
                /// `get_state()` / `set_state(d)` read / overwrite the full state as a dict.
                $single($crate::bindings::classic_control::ClassicSingle<$crate::classic_control::$ty>) {
                    #[new]
                    #[pyo3(signature = (seed = None))]
                    fn new(seed: Option<u64>) -> Self {
                        $single { core: $crate::bindings::classic_control::ClassicSingle::new(seed) }
                    }

                    /// Reset from explicit uniform draws; returns the first observation (float32).
                    fn reset_det<'py>(
                        &mut self,
                        py: ::pyo3::Python<'py>,
                        draws: &::pyo3::Bound<'py, ::pyo3::PyAny>,
                    ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<f32>>> {
                        $crate::bindings::common::guard(|| self.core.reset_det(py, draws))
                    }

                    /// The Gymnasium id, e.g. `"CartPole-v1"`.
                    #[getter]
                    fn env_id(&self) -> &'static str {
                        <$crate::classic_control::$ty as $crate::classic_control::ClassicEnv>::ID
                    }

                    fn __repr__(&self) -> String {
                        format!("{}()", stringify!($single))
                    }
                },
            vec:
                /// Batched vector environment of `num_envs` independent envs with
                /// same-step auto-reset (Gymnasium `AutoresetMode.SAME_STEP`).
                ///
                /// `reset(seed=None)` returns obs `(num_envs, obs_dim)` float32;
                /// `step(actions)` returns `(obs, reward, terminated, truncated, final_obs, done)`.
                /// The returned arrays are the env's internal buffers (the same objects every
                /// call, overwritten by the next `reset`/`step`): copy them to keep them.
                /// Rows of envs that finished hold the new episode's first obs in `obs` and the
                /// finished episode's last obs in `final_obs`; for other rows `final_obs == obs`.
                $vec {
                    #[new]
                    #[pyo3(signature = (num_envs, seed = None, num_threads = None))]
                    fn new(
                        py: ::pyo3::Python<'_>,
                        num_envs: usize,
                        seed: Option<u64>,
                        num_threads: Option<usize>,
                    ) -> ::pyo3::PyResult<Self> {
                        $crate::bindings::common::guard(|| {
                            Ok($vec { core: $crate::bindings::vector::VecCore::new(py, num_envs, seed, num_threads, ())? })
                        })
                    }

                    /// The Gymnasium id, e.g. `"CartPole-v1"`.
                    #[getter]
                    fn env_id(&self) -> &'static str {
                        <$crate::classic_control::$ty as $crate::classic_control::ClassicEnv>::ID
                    }
                },
        }
    };
}
