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

use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::{PyArray1, PyArray2, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::common::{borrow_err, panic_to_err, PyAction, PyEnv};
use crate::rng::Rng;
use crate::vector::{uniform_legal, StepBuffers, VecEnv};

/// `(obs, reward, terminated, truncated, final_obs, done)`: the buffers, and
/// `done` (`terminated | truncated`) or `None` where no env finished.
pub(crate) type VecStepOut<'py, O> = (
    Bound<'py, PyArrayDyn<O>>,
    Bound<'py, PyArray1<f64>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArray1<bool>>,
    Bound<'py, PyArrayDyn<O>>,
    Option<Bound<'py, PyArray1<bool>>>,
);

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
}

/// Write `done = terminated | truncated` (one vectorised pass) and return the
/// `done` buffer where an env finished in this step, `None` where none did: the
/// Gymnasium wrapper then needs no numpy call of its own (a `|` and a count
/// cost it 1-2 us a step, at any batch size).
fn finished<'py>(
    done: &Bound<'py, PyArray1<bool>>,
    terminated: &[bool],
    truncated: &[bool],
) -> PyResult<Option<Bound<'py, PyArray1<bool>>>> {
    let mut guard = done.try_readwrite().map_err(|e| borrow_err("done", e))?;
    let mut any = false;
    let rows = guard.as_slice_mut().map_err(|e| borrow_err("done", e))?.iter_mut().zip(terminated).zip(truncated);
    for ((d, &te), &tr) in rows {
        *d = te | tr;
        any |= te | tr;
    }
    drop(guard);
    Ok(any.then(|| done.clone()))
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
        Ok(VecCore {
            inner,
            actions: Vec::with_capacity(num_envs),
            obs: PyArrayDyn::<E::Obs>::zeros(py, &shape[..], false).unbind(),
            reward: PyArray1::<f64>::zeros(py, [num_envs], false).unbind(),
            terminated: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
            truncated: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
            final_obs: PyArrayDyn::<E::Obs>::zeros(py, &shape[..], false).unbind(),
            done: PyArray1::<bool>::zeros(py, [num_envs], false).unbind(),
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
            let mut o = obs.try_readwrite().map_err(|e| borrow_err("obs", e))?;
            let o = o.as_slice_mut().map_err(|e| borrow_err("obs", e))?;
            let inner = &mut self.inner;
            if E::FINAL_OBS_EVERY_ROW {
                // final_obs is the true next observation of every row, from the start
                let fobs = self.final_obs.bind(py);
                let mut f = fobs.try_readwrite().map_err(|e| borrow_err("final_obs", e))?;
                let f = f.as_slice_mut().map_err(|e| borrow_err("final_obs", e))?;
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
    fn refresh_masks(&self, py: Python<'_>) -> PyResult<()> {
        if let Some(mask) = &self.mask {
            let mut m = mask.bind(py).try_readwrite().map_err(|e| borrow_err("action_mask", e))?;
            let m = m.as_slice_mut().map_err(|e| borrow_err("action_mask", e))?;
            let inner = &self.inner;
            catch_unwind(AssertUnwindSafe(|| inner.write_masks(m))).map_err(panic_to_err)?;
        }
        Ok(())
    }

    pub(crate) fn step<'py>(&mut self, py: Python<'py>, actions: &Bound<'py, PyAny>) -> PyResult<VecStepOut<'py, E::Obs>> {
        if self.inner.needs_reset() {
            return Err(PyRuntimeError::new_err("call reset() before step()"));
        }
        let n = self.inner.num_envs();
        E::Action::parse_batch(actions, n, self.inner.action_space(), E::OUT_OF_SPACE_ACTION, &mut self.actions)?;
        let obs = self.obs.bind(py).clone();
        let reward = self.reward.bind(py).clone();
        let terminated = self.terminated.bind(py).clone();
        let truncated = self.truncated.bind(py).clone();
        let final_obs = self.final_obs.bind(py).clone();
        let mask = self.mask.as_ref().map(|m| m.bind(py).clone());
        let mut no_mask: [bool; 0] = [];
        let any = {
            let mut o = obs.try_readwrite().map_err(|e| borrow_err("obs", e))?;
            let mut r = reward.try_readwrite().map_err(|e| borrow_err("reward", e))?;
            let mut te = terminated.try_readwrite().map_err(|e| borrow_err("terminated", e))?;
            let mut tr = truncated.try_readwrite().map_err(|e| borrow_err("truncated", e))?;
            let mut f = final_obs.try_readwrite().map_err(|e| borrow_err("final_obs", e))?;
            let mut m = mask.as_ref().map(|m| m.try_readwrite()).transpose().map_err(|e| borrow_err("action_mask", e))?;
            let mask_rows = match m.as_mut() {
                Some(m) => m.as_slice_mut().map_err(|e| borrow_err("action_mask", e))?,
                None => &mut no_mask[..],
            };
            let bufs = StepBuffers {
                obs: o.as_slice_mut().map_err(|e| borrow_err("obs", e))?,
                reward: r.as_slice_mut().map_err(|e| borrow_err("reward", e))?,
                terminated: te.as_slice_mut().map_err(|e| borrow_err("terminated", e))?,
                truncated: tr.as_slice_mut().map_err(|e| borrow_err("truncated", e))?,
                final_obs: f.as_slice_mut().map_err(|e| borrow_err("final_obs", e))?,
                mask: mask_rows,
            };
            let inner = &mut self.inner;
            let acts = &self.actions[..];
            py.detach(|| catch_unwind(AssertUnwindSafe(|| inner.step(acts, bufs)))).map_err(panic_to_err)?;
            let te = te.as_slice().map_err(|e| borrow_err("terminated", e))?;
            let tr = tr.as_slice().map_err(|e| borrow_err("truncated", e))?;
            finished(self.done.bind(py), te, tr)?
        };
        Ok((obs, reward, terminated, truncated, final_obs, any))
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
        if let Ok(mut o) = self.obs.bind(py).try_readwrite() {
            if let Ok(o) = o.as_slice_mut() {
                let od = E::OBS_LEN;
                self.inner.env(i).expect("index checked").write_obs(&mut o[i * od..(i + 1) * od]);
            }
        }
        if let Some(mask) = &self.mask {
            if let Ok(mut m) = mask.bind(py).try_readwrite() {
                if let Ok(m) = m.as_slice_mut() {
                    let k = self.inner.mask_len();
                    self.inner.env(i).expect("index checked").write_mask(&mut m[i * k..(i + 1) * k]);
                }
            }
        }
        Ok(())
    }
}
