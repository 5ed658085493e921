//! `env_classes!`: the pair of Python classes of one environment (a single
//! env and its vector env), with the methods every family shares; a family's
//! macro (`classic_control!`, `minatar!`) adds its constructors and its own
//! methods as tokens (`#[pymethods]` does not expand macros inside its block,
//! so they are pasted in here).
//!
//! Shared by the single class: `reset(seed=None)`, `step(action)`,
//! `get_state()`, `set_state(d)`, `observation()`, and the attributes
//! `max_episode_steps`, `obs_dim`, `num_reset_draws`, `state_fields`,
//! `action_space`. Its `core` (the family's single-env core) provides
//! `reset`, `step`, `get_state`, `set_state`, `observation` and
//! `action_space` with those meanings.
//!
//! Shared by the vector class ([`VecCore`](super::vector::VecCore)):
//! `reset(seed=None)`, `step(actions)`, `get_state(i)`, `set_state(i, d)`,
//! `len()`, `repr()`, and the attributes `num_envs`, `num_threads`,
//! `obs_dim`, `max_episode_steps`, `num_reset_draws`, `state_fields`,
//! `action_space`, `action_mask` (the mask buffer, `None` without a mask).

/// `env_classes! { env: T, single: #[doc] Single(Core) { methods }, vec: #[doc] Vec { methods } }`.
macro_rules! env_classes {
    (
        env: $env:ty,
        single: $(#[$sattr:meta])* $single:ident ($score:ty) { $($smethods:tt)* },
        vec: $(#[$vattr:meta])* $vec:ident { $($vmethods:tt)* } $(,)?
    ) => {
        $(#[$sattr])*
        #[::pyo3::pyclass(module = "envport_rust")]
        pub struct $single {
            core: $score,
        }

        #[::pyo3::pymethods]
        impl $single {
            $($smethods)*

            /// Reset with draws from the env's own generator (re-seeded first when `seed` is
            /// given); returns the first observation.
            #[pyo3(signature = (seed = None))]
            fn reset<'py>(
                &mut self,
                py: ::pyo3::Python<'py>,
                seed: Option<u64>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$env as $crate::vector::Env>::Obs>>> {
                $crate::bindings::common::guard(|| self.core.reset(py, seed))
            }

            /// One step with the env's own draws: returns `(obs, reward, terminated, truncated)`
            /// (no auto-reset).
            fn step<'py>(
                &mut self,
                py: ::pyo3::Python<'py>,
                action: &::pyo3::Bound<'py, ::pyo3::PyAny>,
            ) -> ::pyo3::PyResult<(::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$env as $crate::vector::Env>::Obs>>, f64, bool, bool)> {
                $crate::bindings::common::guard(|| self.core.step(py, action))
            }

            /// Full state as a dict (see `state_fields`).
            fn get_state<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                $crate::bindings::common::guard(|| self.core.get_state(py))
            }

            /// Overwrite the full state from a dict with exactly the keys of `state_fields`.
            fn set_state(&mut self, state: &::pyo3::Bound<'_, ::pyo3::PyAny>) -> ::pyo3::PyResult<()> {
                $crate::bindings::common::guard(|| self.core.set_state(state))
            }

            /// The current observation.
            fn observation<'py>(
                &self,
                py: ::pyo3::Python<'py>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$env as $crate::vector::Env>::Obs>>> {
                $crate::bindings::common::guard(|| self.core.observation(py))
            }

            #[getter]
            fn max_episode_steps(&self) -> i64 {
                <$env as $crate::bindings::common::PyEnv>::MAX_EPISODE_STEPS
            }
            /// Elements of one observation.
            #[getter]
            fn obs_dim(&self) -> usize {
                <$env as $crate::vector::Env>::OBS_LEN
            }
            #[getter]
            fn num_reset_draws(&self) -> usize {
                <$env as $crate::bindings::common::PyEnv>::num_reset_draws()
            }
            /// State fields in `get_state` order.
            #[getter]
            fn state_fields(&self) -> Vec<&'static str> {
                <$env as $crate::bindings::common::PyEnv>::state_fields()
            }
            /// `("discrete", n)` or `("box", low, high, dim)`.
            #[getter]
            fn action_space<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyTuple>> {
                $crate::bindings::common::action_space_tuple(py, self.core.action_space())
            }
        }

        vec_class! { env: $env, $(#[$vattr])* $vec { $($vmethods)* } }
    };
}

/// `vec_class! { env: T, #[doc] Vec { methods } }`: the vector class over `VecCore<T>`, with `methods` and the
/// methods every vector class shares (what `env_classes!` makes for its `vec:` part; `seated_games!` too).
macro_rules! vec_class {
    (env: $env:ty, $(#[$vattr:meta])* $vec:ident { $($vmethods:tt)* }) => {
        $(#[$vattr])*
        #[::pyo3::pyclass(module = "envport_rust")]
        pub struct $vec {
            core: $crate::bindings::vector::VecCore<$env>,
        }

        #[::pyo3::pymethods]
        impl $vec {
            $($vmethods)*

            /// Reset every env (re-seeding env i from `(seed, i)` when `seed` is given); returns
            /// the obs buffer `(num_envs, *obs_shape)`.
            #[pyo3(signature = (seed = None))]
            fn reset<'py>(
                &mut self,
                py: ::pyo3::Python<'py>,
                seed: Option<u64>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$env as $crate::vector::Env>::Obs>>> {
                $crate::bindings::common::guard(|| self.core.reset(py, seed))
            }

            /// Step all envs; returns the internal `(obs, reward, terminated, truncated, final_obs)`
            /// buffers and the `done` buffer (`terminated | truncated`), or `None` where no env finished.
            fn step<'py>(
                &mut self,
                py: ::pyo3::Python<'py>,
                actions: &::pyo3::Bound<'py, ::pyo3::PyAny>,
            ) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyTuple>> {
                $crate::bindings::common::guard(|| self.core.step(py, actions))
            }

            /// State of env `i` as a dict (negative `i` counts from the end).
            fn get_state<'py>(&self, py: ::pyo3::Python<'py>, i: i64) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                $crate::bindings::common::guard(|| self.core.get_state(py, i))
            }

            /// Overwrite the state of env `i` (also refreshes row `i` of the obs buffer).
            fn set_state(
                &mut self,
                py: ::pyo3::Python<'_>,
                i: i64,
                state: &::pyo3::Bound<'_, ::pyo3::PyAny>,
            ) -> ::pyo3::PyResult<()> {
                $crate::bindings::common::guard(|| self.core.set_state(py, i, state))
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
            /// Elements of one observation.
            #[getter]
            fn obs_dim(&self) -> usize {
                <$env as $crate::vector::Env>::OBS_LEN
            }
            #[getter]
            fn max_episode_steps(&self) -> i64 {
                <$env as $crate::bindings::common::PyEnv>::MAX_EPISODE_STEPS
            }
            #[getter]
            fn num_reset_draws(&self) -> usize {
                <$env as $crate::bindings::common::PyEnv>::num_reset_draws()
            }
            /// State fields in `get_state` order.
            #[getter]
            fn state_fields(&self) -> Vec<&'static str> {
                <$env as $crate::bindings::common::PyEnv>::state_fields()
            }
            /// `("discrete", n)` or `("box", low, high, dim)`.
            #[getter]
            fn action_space<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyTuple>> {
                $crate::bindings::common::action_space_tuple(py, self.core.inner.action_space())
            }

            /// The legal-action masks `(num_envs, n)` bool of the current states (after an
            /// auto-reset: the new episode's), the same buffer every call; `None` for an env
            /// without a mask.
            #[getter]
            fn action_mask<'py>(&self, py: ::pyo3::Python<'py>) -> Option<::pyo3::Bound<'py, ::numpy::PyArray2<bool>>> {
                self.core.action_mask(py)
            }

            /// Benchmarks: `out[i]` (int64) = the `floor(u[i] * c)`-th of env `i`'s `c` legal actions
            /// (`u` float64 in [0, 1)), from the mask buffer; `ValueError` without a mask.
            fn sample_legal(
                &self,
                py: ::pyo3::Python<'_>,
                u: &::pyo3::Bound<'_, ::pyo3::PyAny>,
                out: &::pyo3::Bound<'_, ::pyo3::PyAny>,
            ) -> ::pyo3::PyResult<()> {
                $crate::bindings::common::guard(|| self.core.sample_legal(py, u, out))
            }

            fn __len__(&self) -> usize {
                self.core.inner.num_envs()
            }

            fn __repr__(&self) -> String {
                format!(
                    "{}(num_envs={}, num_threads={})",
                    stringify!($vec),
                    self.core.inner.num_envs(),
                    self.core.inner.num_threads()
                )
            }
        }
    };
}
