//! What every family's Python classes share: panics as exceptions, the
//! [`PyEnv`] trait (a family's Python-facing facts and state dicts), batch
//! action parsing, observations as numpy arrays.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::{
    Element, IntoPyArray, PyArray1, PyArrayDyn, PyArrayMethods,
    PyUntypedArray, PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyFloat, PyInt, PyString, PyTuple};

use crate::vector::{outside_action, ActionSpace, Env};

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
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "?".into())
}

pub(crate) fn dtype_name(arr: &Bound<'_, PyUntypedArray>) -> String {
    arr.dtype().str().map(|s| s.to_string()).unwrap_or_else(|_| "?".into())
}

pub(crate) fn borrow_err(what: &str, e: impl std::fmt::Display) -> PyErr {
    PyRuntimeError::new_err(format!(
        "cannot write the internal {what} buffer ({e}); was it made read-only or is a view of it borrowed elsewhere?"
    ))
}

// ---------------------------------------------------------------------------
// a family's Python side

/// What the Python classes need from an [`Env`] beyond the core: facts shown
/// as attributes, and the state as a Python dict. Each family implements it
/// once, generically over its own trait (`src/bindings/<family>.rs`).
pub(crate) trait PyEnv: Env<Obs: Element, Action: PyAction> {
    /// The time limit (`TimeLimit`'s `max_episode_steps`).
    const MAX_EPISODE_STEPS: i64;
    /// State fields, in `get_state` order.
    fn state_fields() -> Vec<&'static str>;
    /// Number of reset draws (elements, for arrays of draws).
    fn num_reset_draws() -> usize;
    /// The state as the dict `get_state()` returns.
    fn state_to_py<'py>(py: Python<'py>, state: &Self::State) -> PyResult<Bound<'py, PyDict>>;
    /// The state from the dict `set_state(d)` takes (values checked as far as
    /// Python types go; the env checks the rest).
    fn state_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Self::State>;
}

/// The current observation of `env` as a new numpy array of shape `OBS_SHAPE`.
pub(crate) fn obs_to_py<'py, E: PyEnv>(py: Python<'py>, env: &E) -> PyResult<Bound<'py, PyArrayDyn<E::Obs>>> {
    let mut v = vec![E::Obs::default(); E::OBS_LEN];
    env.write_obs(&mut v);
    if E::OBS_SHAPE.len() == 1 {
        return Ok(PyArray1::from_vec(py, v).to_dyn().clone());
    }
    v.into_pyarray(py).reshape(E::OBS_SHAPE)
}

/// `("discrete", n)` or `("box", low, high, dim)`.
pub(crate) fn action_space_tuple(py: Python<'_>, space: ActionSpace) -> PyResult<Bound<'_, PyTuple>> {
    match space {
        ActionSpace::Discrete(n) => {
            PyTuple::new(py, [PyString::new(py, "discrete").into_any(), PyInt::new(py, n).into_any()])
        }
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

// ---------------------------------------------------------------------------
// batch actions

/// A batch of Python actions (a numpy array) copied into the core's action buffer.
pub(crate) trait PyAction: Copy + Send + Sync + Sized + 'static {
    /// Validate the `n` actions of `obj` against `space` and copy them into
    /// `buf` (cleared first). `outside`: the action a discrete integer outside
    /// the space stands for ([`Env::OUT_OF_SPACE_ACTION`](crate::vector::Env::OUT_OF_SPACE_ACTION)),
    /// `None`: such an action is refused with `ValueError`.
    fn parse_batch(obj: &Bound<'_, PyAny>, n: usize, space: ActionSpace, outside: Option<u32>, buf: &mut Vec<Self>) -> PyResult<()>;
}

/// A discrete action index as the core stores it.
pub(crate) trait DiscreteIndex: Copy + Send + Sync + 'static {
    /// How the message of a non-array batch names the expected array.
    const ARRAY_DESC: &'static str;
    fn from_index(i: u64) -> Self;
}

impl DiscreteIndex for u32 {
    const ARRAY_DESC: &'static str = "a numpy int64/int32 array";
    #[inline]
    fn from_index(i: u64) -> Self {
        i as u32
    }
}

impl DiscreteIndex for u8 {
    const ARRAY_DESC: &'static str = "a numpy integer array";
    #[inline]
    fn from_index(i: u64) -> Self {
        i as u8
    }
}

/// Copy actions of one integer dtype, checking `0..k`; evaluates to `false`
/// when the array's dtype is none of the listed ones.
macro_rules! copy_actions {
    ($obj:expr, $space:expr, $outside:expr, $buf:expr, $($t:ty),*) => {{
        let k = match $space {
            ActionSpace::Discrete(k) => k as u64,
            ActionSpace::Box { .. } => unreachable!("discrete actions for a Box space"),
        };
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
                    let in_range = |v: $t| v >= 0 && (v as u64) < k;
                    // one pass without an early exit (vectorised), then the message from the first bad action
                    if !vs.iter().fold(true, |ok, &v| ok & in_range(v)) {
                        // the env's rules may give integers outside the space a meaning (Brinewatch: END_TURN;
                        // UNO: the id itself, `crate::vector::OUT_OF_SPACE_ID`)
                        match vs.iter().enumerate().find(|&(_, &v)| !in_range(v) && outside_action(v as i128, $outside).is_none()) {
                            None => $buf.extend(vs.iter().map(|&v| T::from_index(if in_range(v) {
                                v as u64
                            } else {
                                u64::from(outside_action(v as i128, $outside).expect("checked just above"))
                            }))),
                            Some((i, v)) => {
                                return Err(PyValueError::new_err($space.outside_message(&format!("actions[{i}] ="), v)));
                            }
                        }
                    } else {
                        $buf.extend(vs.iter().map(|&v| T::from_index(v as u64)));
                    }
                    done = true;
                }
            }
        )*
        done
    }};
}

fn parse_discrete_batch<T: DiscreteIndex>(
    obj: &Bound<'_, PyAny>,
    n: usize,
    space: ActionSpace,
    outside: Option<u32>,
    buf: &mut Vec<T>,
) -> PyResult<()> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!("actions must be {} of shape ({n},), got {}", T::ARRAY_DESC, type_name(obj)))
    })?;
    if arr.shape() != [n] {
        return Err(PyValueError::new_err(format!(
            "actions must have shape ({n},) for {n} envs, got {:?}",
            arr.shape()
        )));
    }
    buf.clear();
    if !copy_actions!(obj, space, outside, buf, i64, i32, i16, i8, u64, u32, u16, u8) {
        return Err(PyTypeError::new_err(format!(
            "actions must have an integer dtype (int64 or int32), got {}",
            dtype_name(arr)
        )));
    }
    Ok(())
}

impl PyAction for u32 {
    fn parse_batch(obj: &Bound<'_, PyAny>, n: usize, space: ActionSpace, outside: Option<u32>, buf: &mut Vec<Self>) -> PyResult<()> {
        parse_discrete_batch(obj, n, space, outside, buf)
    }
}

impl PyAction for u8 {
    fn parse_batch(obj: &Bound<'_, PyAny>, n: usize, space: ActionSpace, outside: Option<u32>, buf: &mut Vec<Self>) -> PyResult<()> {
        parse_discrete_batch(obj, n, space, outside, buf)
    }
}

impl PyAction for f32 {
    fn parse_batch(obj: &Bound<'_, PyAny>, n: usize, _space: ActionSpace, _outside: Option<u32>, buf: &mut Vec<Self>) -> PyResult<()> {
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
            PyTypeError::new_err(format!("actions must have dtype float32, got {}", dtype_name(arr)))
        })?;
        let ro = a.try_readonly().map_err(|e| PyRuntimeError::new_err(format!("cannot read actions: {e}")))?;
        buf.clear();
        match ro.as_slice() {
            Ok(sl) => buf.extend_from_slice(sl),
            Err(_) => buf.extend(ro.as_array().iter().copied()),
        }
        Ok(())
    }
}
