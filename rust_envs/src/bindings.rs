//! Thin PyO3 layer over the plain-Rust core (built with the `python` feature).
//!
//! * Every error is a Python exception: `TypeError` for wrong types/dtypes,
//!   `ValueError` for wrong shapes and out-of-range actions, `KeyError` for
//!   bad state-dict keys, `IndexError` for env indices, `RuntimeError` for
//!   stepping before a reset and for any Rust panic (caught with
//!   `catch_unwind`, so a bug can never abort the interpreter).
//! * Vector envs own five numpy arrays allocated once; `reset`/`step` write
//!   into them with the GIL released and return those same arrays (no
//!   allocation per step, the next call overwrites them).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::{
    PyArray1, PyArray2, PyArrayDescrMethods, PyArrayDyn, PyArrayMethods, PyUntypedArray,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyIndexError, PyKeyError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};

use crate::envs::{
    Acrobot, ActionSpace, CartPole, ClassicEnv, FieldKind, MountainCar, MountainCarContinuous,
    Pendulum, StateValue, MAX_RESET_DRAWS,
};
use crate::rng::Rng;
use crate::vector::{StepBuffers, VecEnv, PAR_THRESHOLD};

// ---------------------------------------------------------------------------
// panics -> Python exceptions

pub(crate) fn panic_message(e: &(dyn Any + Send)) -> String {
    if let Some(s) = e.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = e.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}

pub(crate) fn panic_to_err(e: Box<dyn Any + Send>) -> PyErr {
    PyRuntimeError::new_err(format!(
        "envport_rust internal error (Rust panic): {}",
        panic_message(&*e)
    ))
}

/// Run `f`, turning a Rust panic into a Python `RuntimeError`.
pub(crate) fn guard<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(e) => Err(panic_to_err(e)),
    }
}

pub(crate) fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

fn dtype_name(arr: &Bound<'_, PyUntypedArray>) -> String {
    arr.dtype()
        .str()
        .map(|s| s.to_string())
        .unwrap_or_else(|_| "?".into())
}

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
// actions

/// Conversion of Python actions into an env's action type.
trait PyAction: Copy + Send + Sync + Sized + 'static {
    fn parse_single(obj: &Bound<'_, PyAny>, space: ActionSpace) -> PyResult<Self>;
    /// Validate and copy a batch of `n` actions into `buf` (cleared first).
    fn parse_batch(
        obj: &Bound<'_, PyAny>,
        n: usize,
        space: ActionSpace,
        buf: &mut Vec<Self>,
    ) -> PyResult<()>;
}

fn discrete_n(space: ActionSpace) -> u32 {
    match space {
        ActionSpace::Discrete(n) => n,
        _ => unreachable!("discrete action type with a Box space"),
    }
}

fn check_discrete(v: i128, n: u32, what: &str) -> PyResult<u32> {
    if v < 0 || v >= n as i128 {
        Err(PyValueError::new_err(format!(
            "{what} = {v} out of range for Discrete({n}): must be in 0..{n}"
        )))
    } else {
        Ok(v as u32)
    }
}

/// Copy a discrete-action numpy array of any integer dtype into `buf`,
/// checking the range. Evaluates to `false` if the dtype is not one of the
/// listed integer types.
macro_rules! copy_int_array {
    ($obj:expr, $n:expr, $buf:expr, $($t:ty),*) => {{
        let mut done = false;
        $(
            if !done {
                if let Ok(a) = $obj.cast::<PyArrayDyn<$t>>() {
                    let ro = a.try_readonly().map_err(|e| PyRuntimeError::new_err(format!("cannot read actions: {e}")))?;
                    let mut push = |i: usize, v: $t| -> PyResult<()> {
                        let w = v as i128;
                        if w < 0 || w >= $n as i128 {
                            return Err(check_discrete(w, $n, &format!("actions[{i}]")).unwrap_err());
                        }
                        $buf.push(w as u32);
                        Ok(())
                    };
                    match ro.as_slice() {
                        Ok(sl) => {
                            for (i, &v) in sl.iter().enumerate() {
                                push(i, v)?;
                            }
                        }
                        Err(_) => {
                            for (i, &v) in ro.as_array().iter().enumerate() {
                                push(i, v)?;
                            }
                        }
                    }
                    done = true;
                }
            }
        )*
        done
    }};
}

impl PyAction for u32 {
    fn parse_single(obj: &Bound<'_, PyAny>, space: ActionSpace) -> PyResult<Self> {
        let n = discrete_n(space);
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
            return check_discrete(v, n, "action");
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
        check_discrete(v, n, "action")
    }

    fn parse_batch(
        obj: &Bound<'_, PyAny>,
        n: usize,
        space: ActionSpace,
        buf: &mut Vec<Self>,
    ) -> PyResult<()> {
        let k = discrete_n(space);
        let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
            PyTypeError::new_err(format!(
                "actions must be a numpy int64/int32 array of shape ({n},), got {}",
                type_name(obj)
            ))
        })?;
        if arr.shape() != [n] {
            return Err(PyValueError::new_err(format!(
                "actions must have shape ({n},) for {n} envs, got {:?}",
                arr.shape()
            )));
        }
        buf.clear();
        let ok = copy_int_array!(obj, k, buf, i64, i32, i16, i8, u64, u32, u16, u8);
        if !ok {
            return Err(PyTypeError::new_err(format!(
                "actions must have an integer dtype (int64 or int32), got {}",
                dtype_name(arr)
            )));
        }
        Ok(())
    }
}

impl PyAction for f32 {
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

    fn parse_batch(
        obj: &Bound<'_, PyAny>,
        n: usize,
        _space: ActionSpace,
        buf: &mut Vec<Self>,
    ) -> PyResult<()> {
        let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
            PyTypeError::new_err(format!(
                "actions must be a numpy float32 array of shape ({n}, 1), got {}",
                type_name(obj)
            ))
        })?;
        let shape = arr.shape();
        if !(shape == [n, 1] || shape == [n]) {
            return Err(PyValueError::new_err(format!(
                "actions must have shape ({n}, 1) (or ({n},)) for {n} envs, got {shape:?}"
            )));
        }
        let a = obj.cast::<PyArrayDyn<f32>>().map_err(|_| {
            PyTypeError::new_err(format!(
                "actions must have dtype float32, got {}",
                dtype_name(arr)
            ))
        })?;
        let ro = a
            .try_readonly()
            .map_err(|e| PyRuntimeError::new_err(format!("cannot read actions: {e}")))?;
        buf.clear();
        match ro.as_slice() {
            Ok(sl) => buf.extend_from_slice(sl),
            Err(_) => buf.extend(ro.as_array().iter().copied()),
        }
        Ok(())
    }
}

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

fn action_space_tuple<'py>(py: Python<'py>, space: ActionSpace) -> PyResult<Bound<'py, PyTuple>> {
    match space {
        ActionSpace::Discrete(n) => PyTuple::new(
            py,
            [
                PyString::new(py, "discrete").into_any(),
                PyInt::new(py, n).into_any(),
            ],
        ),
        ActionSpace::Box { low, high, dim } => PyTuple::new(
            py,
            [
                PyString::new(py, "box").into_any(),
                PyFloat::new(py, low as f64).into_any(),
                PyFloat::new(py, high as f64).into_any(),
                PyInt::new(py, dim).into_any(),
            ],
        ),
    }
}

fn field_names<E: ClassicEnv>() -> Vec<&'static str> {
    E::FIELDS.iter().map(|f| f.name).collect()
}

// ---------------------------------------------------------------------------
// single env core

struct Single<E: ClassicEnv> {
    env: E,
    rng: Rng,
    ready: bool,
}

impl<E: ClassicEnv> Single<E>
where
    E::Action: PyAction,
{
    fn new(seed: Option<u64>) -> Self {
        let rng = match seed {
            Some(s) => Rng::new(s, 0),
            None => Rng::from_entropy(),
        };
        Single {
            env: E::new(),
            rng,
            ready: false,
        }
    }

    fn obs<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
        let mut o = [0.0f32; 8];
        self.env.write_obs(&mut o[..E::OBS_DIM]);
        PyArray1::from_slice(py, &o[..E::OBS_DIM])
    }

    fn reset_det<'py>(
        &mut self,
        py: Python<'py>,
        draws: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        let d = parse_draws::<E>(draws)?;
        self.env.reset_det(&d[..E::NUM_RESET_DRAWS]);
        self.ready = true;
        Ok(self.obs(py))
    }

    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seed: Option<u64>,
    ) -> PyResult<Bound<'py, PyArray1<f32>>> {
        if let Some(s) = seed {
            self.rng = Rng::new(s, 0);
        }
        let mut d = [0.0f64; MAX_RESET_DRAWS];
        self.rng.fill_f64(&mut d[..E::NUM_RESET_DRAWS]);
        self.env.reset_det(&d[..E::NUM_RESET_DRAWS]);
        self.ready = true;
        Ok(self.obs(py))
    }

    fn step<'py>(
        &mut self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyArray1<f32>>, f64, bool, bool)> {
        if !self.ready {
            return Err(PyRuntimeError::new_err(
                "call reset(), reset_det() or set_state() before step()",
            ));
        }
        let a = E::Action::parse_single(action, E::ACTION_SPACE)?;
        let (r, te, tr) = self.env.step(a);
        Ok((self.obs(py), r, te, tr))
    }

    fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        state_to_dict::<E>(py, &self.env.get_state())
    }

    fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = dict_to_state::<E>(state)?;
        self.env.set_state(&v).map_err(PyValueError::new_err)?;
        self.ready = true;
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// vector env core

struct VecCore<E: ClassicEnv> {
    inner: VecEnv<E>,
    actions: Vec<E::Action>,
    obs: Py<PyArray2<f32>>,
    reward: Py<PyArray1<f64>>,
    terminated: Py<PyArray1<bool>>,
    truncated: Py<PyArray1<bool>>,
    final_obs: Py<PyArray2<f32>>,
    done: Py<PyArray1<bool>>,
}

type VecStepOut<'py> = (
    Bound<'py, PyArray2<f32>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray2<f32>>,
    Option<Bound<'py, PyArray1<bool>>>,
);

/// Write `done = terminated | truncated` (one vectorised pass) and return the
/// `done` buffer where an env finished in this step, `None` where none did: the
/// Gymnasium wrapper then needs no numpy call of its own (a `|` and a count
/// cost it 1-2 us a step, at any batch size).
pub(crate) fn finished<'py>(
    done: &Bound<'py, PyArray1<bool>>,
    terminated: &[bool],
    truncated: &[bool],
) -> PyResult<Option<Bound<'py, PyArray1<bool>>>> {
    let mut guard = done.try_readwrite().map_err(|e| borrow_err("done", e))?;
    let mut any = false;
    for ((d, &te), &tr) in guard.as_slice_mut().map_err(|e| borrow_err("done", e))?.iter_mut().zip(terminated).zip(truncated) {
        *d = te | tr;
        any |= te | tr;
    }
    drop(guard);
    Ok(any.then(|| done.clone()))
}

pub(crate) fn borrow_err(what: &str, e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(format!(
        "cannot write the internal {what} buffer ({e}); was it made read-only or is a view of it borrowed elsewhere?"
    ))
}

impl<E: ClassicEnv> VecCore<E>
where
    E::Action: PyAction,
{
    fn new(
        py: Python<'_>,
        num_envs: usize,
        seed: Option<u64>,
        num_threads: Option<usize>,
    ) -> PyResult<Self> {
        let seed = seed.unwrap_or_else(Rng::entropy_seed);
        let inner = VecEnv::<E>::new(num_envs, seed, num_threads).map_err(PyValueError::new_err)?;
        let od = E::OBS_DIM;
        Ok(VecCore {
            inner,
            actions: Vec::with_capacity(num_envs),
            obs: PyArray2::<f32>::zeros(py, [num_envs, od], false).unbind(),
            reward: PyArray1::<f64>::zeros(py, [num_envs], false).unbind(),
            terminated: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
            truncated: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
            final_obs: PyArray2::<f32>::zeros(py, [num_envs, od], false).unbind(),
            done: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
        })
    }

    fn index(&self, i: i64) -> PyResult<usize> {
        let n = self.inner.num_envs() as i64;
        let j = if i < 0 { i + n } else { i };
        if j < 0 || j >= n {
            Err(PyIndexError::new_err(format!(
                "env index {i} out of range for {n} envs"
            )))
        } else {
            Ok(j as usize)
        }
    }

    fn reset<'py>(
        &mut self,
        py: Python<'py>,
        seed: Option<u64>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let obs = self.obs.bind(py).clone();
        let fobs = self.final_obs.bind(py).clone();
        {
            let mut o = obs.try_readwrite().map_err(|e| borrow_err("obs", e))?;
            let mut f = fobs
                .try_readwrite()
                .map_err(|e| borrow_err("final_obs", e))?;
            let o = o.as_slice_mut().map_err(|e| borrow_err("obs", e))?;
            let f = f.as_slice_mut().map_err(|e| borrow_err("final_obs", e))?;
            let inner = &mut self.inner;
            py.detach(|| {
                catch_unwind(AssertUnwindSafe(|| {
                    inner.reset(seed, o);
                    f.copy_from_slice(o);
                }))
            })
            .map_err(panic_to_err)?;
        }
        Ok(obs)
    }

    fn step<'py>(
        &mut self,
        py: Python<'py>,
        actions: &Bound<'py, PyAny>,
    ) -> PyResult<VecStepOut<'py>> {
        if self.inner.needs_reset() {
            return Err(PyRuntimeError::new_err("call reset() before step()"));
        }
        let n = self.inner.num_envs();
        E::Action::parse_batch(actions, n, E::ACTION_SPACE, &mut self.actions)?;
        let obs = self.obs.bind(py).clone();
        let reward = self.reward.bind(py).clone();
        let terminated = self.terminated.bind(py).clone();
        let truncated = self.truncated.bind(py).clone();
        let final_obs = self.final_obs.bind(py).clone();
        let any = {
            let mut o = obs.try_readwrite().map_err(|e| borrow_err("obs", e))?;
            let mut r = reward
                .try_readwrite()
                .map_err(|e| borrow_err("reward", e))?;
            let mut te = terminated
                .try_readwrite()
                .map_err(|e| borrow_err("terminated", e))?;
            let mut tr = truncated
                .try_readwrite()
                .map_err(|e| borrow_err("truncated", e))?;
            let mut f = final_obs
                .try_readwrite()
                .map_err(|e| borrow_err("final_obs", e))?;
            let bufs = StepBuffers {
                obs: o.as_slice_mut().map_err(|e| borrow_err("obs", e))?,
                reward: r.as_slice_mut().map_err(|e| borrow_err("reward", e))?,
                terminated: te.as_slice_mut().map_err(|e| borrow_err("terminated", e))?,
                truncated: tr.as_slice_mut().map_err(|e| borrow_err("truncated", e))?,
                final_obs: f.as_slice_mut().map_err(|e| borrow_err("final_obs", e))?,
            };
            let inner = &mut self.inner;
            let acts = &self.actions[..];
            py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.step(acts, bufs))))
                .map_err(panic_to_err)?;
            let (te, tr) = (te.as_slice().map_err(|e| borrow_err("terminated", e))?, tr.as_slice().map_err(|e| borrow_err("truncated", e))?);
            finished(self.done.bind(py), te, tr)?
        };
        Ok((obs, reward, terminated, truncated, final_obs, any))
    }

    fn get_state<'py>(&self, py: Python<'py>, i: i64) -> PyResult<Bound<'py, PyDict>> {
        let i = self.index(i)?;
        let v = self.inner.get_state(i).map_err(PyIndexError::new_err)?;
        state_to_dict::<E>(py, &v)
    }

    fn set_state(&mut self, py: Python<'_>, i: i64, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let i = self.index(i)?;
        let v = dict_to_state::<E>(state)?;
        self.inner.set_state(i, &v).map_err(PyValueError::new_err)?;
        // keep the obs buffer consistent with the new state
        let obs = self.obs.bind(py);
        if let Ok(mut o) = obs.try_readwrite() {
            if let Ok(o) = o.as_slice_mut() {
                let od = E::OBS_DIM;
                if let Some(env) = self.inner.env(i) {
                    env.write_obs(&mut o[i * od..(i + 1) * od]);
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Python classes

macro_rules! py_envs {
    ($env:ty, $single:ident, $single_name:literal, $vec:ident, $vec_name:literal) => {
        /// Single environment, an exact port of the Gymnasium environment of the same
        /// name including its TimeLimit (`truncated` is returned by `step`). No auto-reset.
        ///
        /// `reset_det(draws)` resets from explicit uniform draws in [0, 1) (float64 array of
        /// `num_reset_draws` values); `reset(seed=None)` draws them from the env's own RNG.
        /// `step(action)` returns `(obs, reward, terminated, truncated)`.
        /// `get_state()` / `set_state(d)` read / overwrite the full state as a dict.
        #[pyclass(module = "envport_rust", name = $single_name)]
        pub struct $single {
            core: Single<$env>,
        }

        #[pymethods]
        impl $single {
            #[new]
            #[pyo3(signature = (seed = None))]
            fn new(seed: Option<u64>) -> Self {
                $single {
                    core: Single::new(seed),
                }
            }

            /// Reset from explicit uniform draws; returns the first observation (float32).
            fn reset_det<'py>(
                &mut self,
                py: Python<'py>,
                draws: &Bound<'py, PyAny>,
            ) -> PyResult<Bound<'py, PyArray1<f32>>> {
                guard(|| self.core.reset_det(py, draws))
            }

            /// Reset with draws from the env's RNG (re-seeded first when `seed` is given).
            #[pyo3(signature = (seed = None))]
            fn reset<'py>(
                &mut self,
                py: Python<'py>,
                seed: Option<u64>,
            ) -> PyResult<Bound<'py, PyArray1<f32>>> {
                guard(|| self.core.reset(py, seed))
            }

            /// One step: returns `(obs, reward, terminated, truncated)`.
            fn step<'py>(
                &mut self,
                py: Python<'py>,
                action: &Bound<'py, PyAny>,
            ) -> PyResult<(Bound<'py, PyArray1<f32>>, f64, bool, bool)> {
                guard(|| self.core.step(py, action))
            }

            /// Full state as a dict (see `state_fields`).
            fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
                guard(|| self.core.get_state(py))
            }

            /// Overwrite the full state from a dict with exactly the keys of `state_fields`.
            fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
                guard(|| self.core.set_state(state))
            }

            /// Current observation (float32).
            fn observation<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<f32>> {
                self.core.obs(py)
            }

            #[getter]
            fn max_episode_steps(&self) -> i64 {
                <$env as ClassicEnv>::MAX_EPISODE_STEPS
            }
            #[getter]
            fn obs_dim(&self) -> usize {
                <$env as ClassicEnv>::OBS_DIM
            }
            #[getter]
            fn num_reset_draws(&self) -> usize {
                <$env as ClassicEnv>::NUM_RESET_DRAWS
            }
            #[getter]
            fn env_id(&self) -> &'static str {
                <$env as ClassicEnv>::ID
            }
            #[getter]
            fn state_fields(&self) -> Vec<&'static str> {
                field_names::<$env>()
            }
            /// `("discrete", n)` or `("box", low, high, dim)`.
            #[getter]
            fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                action_space_tuple(py, <$env as ClassicEnv>::ACTION_SPACE)
            }

            fn __repr__(&self) -> String {
                format!("{}()", $single_name)
            }
        }

        /// Batched vector environment of `num_envs` independent envs with
        /// same-step auto-reset (Gymnasium `AutoresetMode.SAME_STEP`).
        ///
        /// `reset(seed=None)` returns obs `(num_envs, obs_dim)` float32;
        /// `step(actions)` returns `(obs, reward, terminated, truncated, final_obs)`.
        /// The returned arrays are the env's internal buffers (the same objects every
        /// call, overwritten by the next `reset`/`step`): copy them to keep them.
        /// Rows of envs that finished hold the new episode's first obs in `obs` and the
        /// finished episode's last obs in `final_obs`; for other rows `final_obs == obs`.
        #[pyclass(module = "envport_rust", name = $vec_name)]
        pub struct $vec {
            core: VecCore<$env>,
        }

        #[pymethods]
        impl $vec {
            #[new]
            #[pyo3(signature = (num_envs, seed = None, num_threads = None))]
            fn new(
                py: Python<'_>,
                num_envs: usize,
                seed: Option<u64>,
                num_threads: Option<usize>,
            ) -> PyResult<Self> {
                guard(|| {
                    Ok($vec {
                        core: VecCore::new(py, num_envs, seed, num_threads)?,
                    })
                })
            }

            /// Reset every env (re-seeding env i from `(seed, i)` when `seed` is given).
            #[pyo3(signature = (seed = None))]
            fn reset<'py>(
                &mut self,
                py: Python<'py>,
                seed: Option<u64>,
            ) -> PyResult<Bound<'py, PyArray2<f32>>> {
                guard(|| self.core.reset(py, seed))
            }

            /// Step all envs; returns the internal `(obs, reward, terminated, truncated, final_obs)` buffers
            /// and the `done` buffer (`terminated | truncated`), or `None` where no env finished.
            fn step<'py>(
                &mut self,
                py: Python<'py>,
                actions: &Bound<'py, PyAny>,
            ) -> PyResult<VecStepOut<'py>> {
                guard(|| self.core.step(py, actions))
            }

            /// State of env `i` as a dict.
            fn get_state<'py>(&self, py: Python<'py>, i: i64) -> PyResult<Bound<'py, PyDict>> {
                guard(|| self.core.get_state(py, i))
            }

            /// Overwrite the state of env `i` (also refreshes row `i` of the obs buffer).
            fn set_state(
                &mut self,
                py: Python<'_>,
                i: i64,
                state: &Bound<'_, PyAny>,
            ) -> PyResult<()> {
                guard(|| self.core.set_state(py, i, state))
            }

            #[getter]
            fn num_envs(&self) -> usize {
                self.core.inner.num_envs()
            }
            /// Threads used for batches of at least `PAR_THRESHOLD` envs (1 = serial).
            #[getter]
            fn num_threads(&self) -> usize {
                self.core.inner.num_threads()
            }
            #[getter]
            fn obs_dim(&self) -> usize {
                <$env as ClassicEnv>::OBS_DIM
            }
            #[getter]
            fn max_episode_steps(&self) -> i64 {
                <$env as ClassicEnv>::MAX_EPISODE_STEPS
            }
            #[getter]
            fn num_reset_draws(&self) -> usize {
                <$env as ClassicEnv>::NUM_RESET_DRAWS
            }
            #[getter]
            fn env_id(&self) -> &'static str {
                <$env as ClassicEnv>::ID
            }
            #[getter]
            fn state_fields(&self) -> Vec<&'static str> {
                field_names::<$env>()
            }
            #[getter]
            fn action_space<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
                action_space_tuple(py, <$env as ClassicEnv>::ACTION_SPACE)
            }

            fn __len__(&self) -> usize {
                self.core.inner.num_envs()
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}(num_envs={}, num_threads={})",
                    $vec_name,
                    self.core.inner.num_envs(),
                    self.core.inner.num_threads()
                )
            }
        }
    };
}

py_envs!(
    CartPole,
    PyCartPole,
    "CartPole",
    PyCartPoleVec,
    "CartPoleVec"
);
py_envs!(Acrobot, PyAcrobot, "Acrobot", PyAcrobotVec, "AcrobotVec");
py_envs!(
    MountainCar,
    PyMountainCar,
    "MountainCar",
    PyMountainCarVec,
    "MountainCarVec"
);
py_envs!(
    MountainCarContinuous,
    PyMountainCarContinuous,
    "MountainCarContinuous",
    PyMountainCarContinuousVec,
    "MountainCarContinuousVec"
);
py_envs!(
    Pendulum,
    PyPendulum,
    "Pendulum",
    PyPendulumVec,
    "PendulumVec"
);

/// Test hook: panic inside Rust (with the GIL held, or released when
/// `detached`); the panic must surface as a `RuntimeError`.
#[pyfunction]
#[pyo3(signature = (detached = false))]
fn _debug_panic(py: Python<'_>, detached: bool) -> PyResult<()> {
    guard(|| {
        if detached {
            py.detach(|| catch_unwind(|| -> () { panic!("debug panic (GIL released)") }))
                .map_err(panic_to_err)?;
        } else {
            panic!("debug panic");
        }
        Ok(())
    })
}

#[pymodule]
fn envport_rust(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    m.add_class::<PyCartPole>()?;
    m.add_class::<PyAcrobot>()?;
    m.add_class::<PyMountainCar>()?;
    m.add_class::<PyMountainCarContinuous>()?;
    m.add_class::<PyPendulum>()?;
    m.add_class::<PyCartPoleVec>()?;
    m.add_class::<PyAcrobotVec>()?;
    m.add_class::<PyMountainCarVec>()?;
    m.add_class::<PyMountainCarContinuousVec>()?;
    m.add_class::<PyPendulumVec>()?;
    crate::minatar_bindings::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PAR_THRESHOLD", PAR_THRESHOLD)?;
    m.add("AUTORESET_MODE", "same_step")?;
    Ok(())
}
