//! [`VecCore`]: the Python side of a [`VecEnv`] of any family, behind every
//! `...Vec` class.
//!
//! The vector env owns six numpy arrays allocated once (`obs`, `reward`,
//! `terminated`, `truncated`, `final_obs`, `done`), and a seventh, the
//! legal-action masks `(num_envs, n)` bool, for envs that have one
//! ([`Env::HAS_MASK`](crate::vector::Env::HAS_MASK); the `action_mask`
//! attribute); `reset`/`step` write into them with the GIL released and
//! return those same arrays (no allocation per step; the next call
//! overwrites them). Actions are copied into a
//! preallocated buffer, so an actions array may alias anything.
//!
//! The env writes its own arrays through [`own_buffer`], not rust-numpy's
//! `try_readwrite`: that borrow tracking takes a process-wide mutex and
//! allocates a hash map for every borrow, and the six borrows of a step were
//! about 40% of the CPU time of a `step` call on a 1-env CartPole batch
//! (perf; `docs/benchmarks.md`, *Rust through Python*).

use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::ndarray::Dimension;
use numpy::npyffi::{_PyArray_GET_ITEM_DATA, NPY_ARRAY_WRITEABLE};
use numpy::{Element, PyArray, PyArray1, PyArray2, PyArrayDyn, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use super::common::{borrow_err, panic_to_err, PyAction, PyEnv};
use crate::rng::Rng;
use crate::vector::{uniform_legal, StepBuffers, VecEnv};

pub(crate) struct VecCore<E: PyEnv> {
    pub(crate) inner: VecEnv<E>,
    actions: Vec<E::Action>,
    obs: Py<PyArrayDyn<E::Obs>>,
    reward: Py<PyArray1<f64>>,
    terminated: Py<PyArray1<bool>>,
    truncated: Py<PyArray1<bool>>,
    final_obs: Py<PyArrayDyn<E::Obs>>,
    done: Py<PyArray1<bool>>,
    /// `(num_envs, n)` legal-action masks of the current states (envs with a mask only).
    mask: Option<Py<PyArray2<bool>>>,
    /// What `step` returns, built once (a new 6-tuple per step, and the garbage
    /// collections its allocations set off, cost more than the tuple's content):
    /// `(obs, reward, terminated, truncated, final_obs, done)` where an env
    /// finished, and the same with `None` for `done` where none did.
    out_done: Py<PyTuple>,
    out_none: Py<PyTuple>,
}

/// One of a [`VecCore`]'s own arrays as a mutable slice, refused as rust-numpy's
/// `try_readwrite` would refuse it (not writeable: Python code set
/// `flags.writeable = False`; not C-contiguous) but without its borrow tracking
/// (see the module docs).
///
/// # Safety
/// `arr` must be one of the caller's `VecCore` buffers, which that `VecCore`
/// allocated (so they overlap neither each other nor anything Rust borrows), and
/// the caller must hold the `VecCore` mutably (PyO3's borrow of the pyclass), so
/// that no other slice of `arr` is alive. As with rust-numpy's borrows, which only
/// track borrows made by Rust code, Python code in another thread can still read
/// the array while the GIL is released.
unsafe fn own_buffer<'a, T: Element, D: Dimension>(arr: &'a Bound<'_, PyArray<T, D>>, what: &str) -> PyResult<&'a mut [T]> {
    // SAFETY: `arr` is a live numpy array object (bound, so the GIL is held).
    if unsafe { (*_PyArray_GET_ITEM_DATA(arr.as_array_ptr())).flags } & NPY_ARRAY_WRITEABLE == 0 {
        return Err(borrow_err(what, "the array is not writeable"));
    }
    if !arr.is_c_contiguous() {
        return Err(borrow_err(what, "the array is not C-contiguous"));
    }
    // SAFETY: see the function's contract.
    unsafe { arr.as_slice_mut() }.map_err(|e| borrow_err(what, e))
}

/// Write `done = terminated | truncated` (one vectorised pass) and return the
/// `done` buffer where an env finished in this step, `None` where none did: the
/// Gymnasium wrapper then needs no numpy call of its own (a `|` and a count
/// cost it 1-2 us a step, at any batch size).
fn finished(done: &mut [bool], terminated: &[bool], truncated: &[bool]) -> bool {
    let mut any = false;
    for ((d, &te), &tr) in done.iter_mut().zip(terminated).zip(truncated) {
        *d = te | tr;
        any |= te | tr;
    }
    any
}

impl<E: PyEnv> VecCore<E> {
    /// `num_envs` envs on seed `seed` (OS entropy when `None`); `ValueError` for bad arguments.
    pub(crate) fn new(
        py: Python<'_>,
        num_envs: usize,
        seed: Option<u64>,
        num_threads: Option<usize>,
        config: E::Config,
    ) -> PyResult<Self> {
        let seed = seed.unwrap_or_else(Rng::entropy_seed);
        let inner = VecEnv::<E>::with_config(num_envs, seed, num_threads, config).map_err(PyValueError::new_err)?;
        let shape: Vec<usize> = std::iter::once(num_envs).chain(E::OBS_SHAPE.iter().copied()).collect();
        let mask = E::HAS_MASK.then(|| PyArray2::<bool>::zeros(py, [num_envs, inner.mask_len()], false).unbind());
        let obs = PyArrayDyn::<E::Obs>::zeros(py, &shape[..], false);
        let reward = PyArray1::<f64>::zeros(py, [num_envs], false);
        let terminated = PyArray1::<bool>::zeros(py, [num_envs], false);
        let truncated = PyArray1::<bool>::zeros(py, [num_envs], false);
        let final_obs = PyArrayDyn::<E::Obs>::zeros(py, &shape[..], false);
        let done = PyArray1::<bool>::zeros(py, [num_envs], false);
        let out = |last: Bound<'_, PyAny>| {
            let items = [obs.as_any(), reward.as_any(), terminated.as_any(), truncated.as_any(), final_obs.as_any(), &last];
            PyTuple::new(py, items).map(Bound::unbind)
        };
        Ok(VecCore {
            inner,
            actions: Vec::with_capacity(num_envs),
            out_done: out(done.clone().into_any())?,
            out_none: out(py.None().into_bound(py))?,
            obs: obs.unbind(),
            reward: reward.unbind(),
            terminated: terminated.unbind(),
            truncated: truncated.unbind(),
            final_obs: final_obs.unbind(),
            done: done.unbind(),
            mask,
        })
    }

    /// Env index `i`, negative counting from the end; `IndexError` outside.
    pub(crate) fn index(&self, i: i64) -> PyResult<usize> {
        let n = self.inner.num_envs() as i64;
        let j = if i < 0 { i + n } else { i };
        if (0..n).contains(&j) {
            Ok(j as usize)
        } else {
            Err(PyIndexError::new_err(format!("env index {i} out of range for {n} envs")))
        }
    }

    pub(crate) fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArrayDyn<E::Obs>>> {
        let obs = self.obs.bind(py).clone();
        {
            // SAFETY: the env's own buffer, and `&mut self`.
            let o = unsafe { own_buffer(&obs, "obs") }?;
            let inner = &mut self.inner;
            if E::FINAL_OBS_EVERY_ROW {
                // final_obs is the true next observation of every row, from the start
                // SAFETY: the env's own buffer, and `&mut self`.
                let f = unsafe { own_buffer(self.final_obs.bind(py), "final_obs") }?;
                py.detach(|| {
                    catch_unwind(AssertUnwindSafe(|| {
                        inner.reset(seed, o);
                        f.copy_from_slice(o);
                    }))
                })
                .map_err(panic_to_err)?;
            } else {
                py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.reset(seed, o)))).map_err(panic_to_err)?;
            }
        }
        self.refresh_masks(py)?;
        Ok(obs)
    }

    /// The mask buffer (`None` for an env without a mask): the same array every call.
    pub(crate) fn action_mask<'py>(&self, py: Python<'py>) -> Option<Bound<'py, PyArray2<bool>>> {
        self.mask.as_ref().map(|m| m.bind(py).clone())
    }

    /// `out[i]` = a uniformly random legal action of env `i` by the benchmarks' rule
    /// ([`uniform_legal`](crate::vector::uniform_legal)) from `u[i]` and the mask buffer;
    /// `ValueError` for an env without a mask or arrays of the wrong shape.
    pub(crate) fn sample_legal(&self, py: Python<'_>, u: &Bound<'_, PyAny>, out: &Bound<'_, PyAny>) -> PyResult<()> {
        let mask = self.mask.as_ref().ok_or_else(|| PyValueError::new_err("this environment has no action mask"))?;
        let n = self.inner.num_envs();
        let u = u
            .cast::<PyArray1<f64>>()
            .map_err(|_| PyTypeError::new_err(format!("u must be a float64 array of shape ({n},)")))?
            .try_readonly()
            .map_err(|e| borrow_err("u", e))?;
        let out = out
            .cast::<PyArray1<i64>>()
            .map_err(|_| PyTypeError::new_err(format!("out must be an int64 array of shape ({n},)")))?;
        let mut out = out.try_readwrite().map_err(|e| borrow_err("out", e))?;
        let (u, out) = (u.as_slice().map_err(|e| borrow_err("u", e))?, out.as_slice_mut().map_err(|e| borrow_err("out", e))?);
        if u.len() != n || out.len() != n {
            return Err(PyValueError::new_err(format!("u and out must have shape ({n},), got {} and {}", u.len(), out.len())));
        }
        let m = mask.bind(py).try_readonly().map_err(|e| borrow_err("action_mask", e))?;
        let m = m.as_slice().map_err(|e| borrow_err("action_mask", e))?;
        for ((row, &x), o) in m.chunks_exact(self.inner.mask_len()).zip(u).zip(out.iter_mut()) {
            *o = uniform_legal(row, x) as i64;
        }
        Ok(())
    }

    /// Write every env's current mask into the mask buffer (nothing without one).
    fn refresh_masks(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some(mask) = &self.mask {
            // SAFETY: the env's own buffer, and `&mut self`.
            let m = unsafe { own_buffer(mask.bind(py), "action_mask") }?;
            let inner = &self.inner;
            catch_unwind(AssertUnwindSafe(|| inner.write_masks(m))).map_err(panic_to_err)?;
        }
        Ok(())
    }

    /// Step every env; returns `(obs, reward, terminated, truncated, final_obs, done)`: the buffers, and
    /// `done` (`terminated | truncated`) or `None` where no env finished (the same two tuples every call).
    pub(crate) fn step<'py>(&mut self, py: Python<'py>, actions: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
        if self.inner.needs_reset() {
            return Err(PyRuntimeError::new_err("call reset() before step()"));
        }
        let n = self.inner.num_envs();
        E::Action::parse_batch(actions, n, self.inner.action_space(), E::OUT_OF_SPACE_ACTION, &mut self.actions)?;
        let (obs, reward, terminated, truncated, final_obs) =
            (self.obs.bind(py), self.reward.bind(py), self.terminated.bind(py), self.truncated.bind(py), self.final_obs.bind(py));
        // SAFETY (each `own_buffer`): the env's own buffers, and `&mut self`.
        let (o, r, te, tr, f, d) = unsafe {
            (
                own_buffer(obs, "obs")?,
                own_buffer(reward, "reward")?,
                own_buffer(terminated, "terminated")?,
                own_buffer(truncated, "truncated")?,
                own_buffer(final_obs, "final_obs")?,
                own_buffer(self.done.bind(py), "done")?,
            )
        };
        let mask_rows = match &self.mask {
            // SAFETY: the env's own buffer, and `&mut self`.
            Some(m) => unsafe { own_buffer(m.bind(py), "action_mask") }?,
            None => &mut [][..],
        };
        let bufs = StepBuffers { obs: o, reward: r, terminated: &mut *te, truncated: &mut *tr, final_obs: f, mask: mask_rows };
        let inner = &mut self.inner;
        let acts = &self.actions[..];
        py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.step(acts, bufs)))).map_err(panic_to_err)?;
        let out = if finished(d, te, tr) { &self.out_done } else { &self.out_none };
        Ok(out.bind(py).clone())
    }

    pub(crate) fn get_state<'py>(&self, py: Python<'py>, i: i64) -> PyResult<Bound<'py, PyDict>> {
        let i = self.index(i)?;
        let state = self.inner.get_state(i).map_err(PyIndexError::new_err)?;
        E::state_to_py(py, &state)
    }

    /// Overwrite the state of env `i`, and row `i` of the obs (and mask) buffer with it.
    pub(crate) fn set_state(&mut self, py: Python<'_>, i: i64, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let i = self.index(i)?;
        let values = E::state_from_py(state)?;
        self.inner.set_state(i, &values).map_err(PyValueError::new_err)?;
        // SAFETY (each `own_buffer`): the env's own buffers, and `&mut self`.
        if let Ok(o) = unsafe { own_buffer(self.obs.bind(py), "obs") } {
            let od = E::OBS_LEN;
            self.inner.env(i).expect("index checked").write_obs(&mut o[i * od..(i + 1) * od]);
        }
        if let Some(mask) = &self.mask {
            if let Ok(m) = unsafe { own_buffer(mask.bind(py), "action_mask") } {
                let k = self.inner.mask_len();
                self.inner.env(i).expect("index checked").write_mask(&mut m[i * k..(i + 1) * k]);
            }
        }
        Ok(())
    }
}
