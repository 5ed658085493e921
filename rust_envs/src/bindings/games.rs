//! PyO3 classes of the `games` family, generic over [`Game`].
//!
//! `<Single>(seed=None, stream=0)`: one game.
//! * `reset(seed=None)`, `step(action)`: draws from the env's own generator;
//!   `step` returns `(obs, reward, terminated, truncated)`, no auto-reset.
//! * `reset_det(draws)`, `step_det(action, draws)`: draws given as a dict, one
//!   entry per declared draw (`reset_draws` / `step_draws`), numbers or arrays
//!   with the declared number of elements; the game uses only those its events
//!   ask for. An integer draw outside the range the game asks for raises
//!   `ValueError` naming it and leaves the env as it was.
//! * `get_state()` / `set_state(d)`: a dict of numpy arrays (`int64` or `bool`,
//!   the field's shape, 0-d for scalars; a turn-based game's derived `rewards`, float64).
//! * `action_mask()`: the legal actions of the current state (bool `(n,)`), or
//!   `None` for a game without a mask.
//! * Actions are integers in `0..n`; an integer outside it is refused with
//!   `ValueError`, unless the game's rules give it a meaning
//!   (`Env::OUT_OF_SPACE_ACTION`: Brinewatch's makes it END_TURN), in
//!   the single and the vector classes alike.
//!
//! `<Vec>(num_envs, seed=None, num_threads=None)`: the batch through the
//! shared [`VecCore`](super::vector::VecCore) (same-step auto-reset, buffers
//! allocated once, the mask buffer as `action_mask` for a masked game).

use std::panic::{catch_unwind, AssertUnwindSafe};

use numpy::{IntoPyArray, PyArray1, PyArrayDyn, PyArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyInt};

use super::common::{obs_to_py, panic_to_err, type_name, PyEnv};
use super::minatar::{dict_to_values, parse_draws, values_to_dict, CheckedDraws, FieldInfo};
use crate::draws::RecordingDraws;
use crate::games::{check_game_values, placeholder, Game, RngDraws};
use crate::rng::Rng;
use crate::vector::{outside_action, ActionSpace};

fn fields<G: Game>() -> Vec<FieldInfo> {
    G::FIELDS.iter().map(|f| (f.name, f.is_bool, f.shape.to_vec())).collect()
}

/// The field a turn-based game (`Game::NUM_PLAYERS` > 1) adds to its state dict: every player's rewards of the last
/// step, float64, derived from the rest of the state (`Game::rewards`) and ignored on write, as the reference's
/// `envs.rlcard.gym_face.port_state` does.
const REWARDS: &str = "rewards";

fn parse_state<G: Game>(obj: &Bound<'_, PyAny>) -> PyResult<Vec<crate::games::GameValue>> {
    let obj = without_rewards::<G>(obj)?;
    let values = dict_to_values(&obj, &fields::<G>(), G::NAME)?;
    check_game_values(G::FIELDS, &values).map_err(PyValueError::new_err)?;
    Ok(values)
}

/// A turn-based game's state dict without its derived `rewards` (a copy; the caller's dict is left alone).
fn without_rewards<'py, G: Game>(obj: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    if G::NUM_PLAYERS > 1 {
        if let Ok(d) = obj.cast::<PyDict>() {
            if d.contains(REWARDS)? {
                let copy = d.copy()?;
                copy.del_item(REWARDS)?;
                return Ok(copy.into_any());
            }
        }
    }
    Ok(obj.clone())
}

/// The state as a dict of numpy arrays, with a turn-based game's `rewards`.
fn state_dict<'py, G: Game>(py: Python<'py>, state: &Vec<crate::games::GameValue>) -> PyResult<Bound<'py, PyDict>> {
    let d = values_to_dict(py, &fields::<G>(), state)?;
    if G::NUM_PLAYERS > 1 {
        let mut game: G = placeholder();
        game.set_state(state).map_err(PyValueError::new_err)?;
        d.set_item(REWARDS, PyArray1::from_vec(py, game.rewards()))?;
    }
    Ok(d)
}

/// A single action: an int (or numpy integer) in `0..n`; one outside it is the game's `OUT_OF_SPACE_ACTION` where
/// its rules give it one (Brinewatch's ), else refused with `ValueError`.
fn parse_action(obj: &Bound<'_, PyAny>, space: ActionSpace, outside: Option<u32>) -> PyResult<u32> {
    let n = match space {
        ActionSpace::Discrete(n) => n as i64,
        ActionSpace::Box { .. } => unreachable!("games have discrete actions"),
    };
    if obj.is_instance_of::<PyBool>() {
        return Err(PyTypeError::new_err("action must be an int, got bool"));
    }
    let v: i64 = match obj.extract() {
        Ok(v) => v,
        // an int beyond i64 is outside the space too (and beyond what OUT_OF_SPACE_ID passes on)
        Err(_) if outside.is_some() && obj.is_instance_of::<PyInt>() => {
            return outside_action(i128::MAX, outside)
                .ok_or_else(|| PyValueError::new_err(space.outside_message("action", "beyond int64")))
        }
        Err(_) => return Err(PyTypeError::new_err(format!("action must be an int, got {}", type_name(obj)))),
    };
    if !(0..n).contains(&v) {
        return outside_action(v as i128, outside).ok_or_else(|| PyValueError::new_err(space.outside_message("action", v)));
    }
    Ok(v as u32)
}

impl<G: Game> PyEnv for G
where
    G::Obs: numpy::Element,
{
    const MAX_EPISODE_STEPS: i64 = G::MAX_EPISODE_STEPS;
    fn state_fields() -> Vec<&'static str> {
        let rewards = if G::NUM_PLAYERS > 1 { Some(REWARDS) } else { None };
        G::FIELDS.iter().map(|f| f.name).chain(rewards).collect()
    }
    fn num_reset_draws() -> usize {
        G::RESET_DRAWS.iter().map(|d| d.len).sum()
    }
    fn state_to_py<'py>(py: Python<'py>, state: &Vec<crate::games::GameValue>) -> PyResult<Bound<'py, PyDict>> {
        state_dict::<G>(py, state)
    }
    fn state_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<crate::games::GameValue>> {
        parse_state::<G>(obj)
    }
}

/// A seated game's state is its game's ([`crate::games::Seated`]).
impl<G: Game> PyEnv for crate::games::Seated<G>
where
    G::Obs: numpy::Element,
{
    const MAX_EPISODE_STEPS: i64 = G::MAX_EPISODE_STEPS;
    fn state_fields() -> Vec<&'static str> {
        <G as PyEnv>::state_fields()
    }
    fn num_reset_draws() -> usize {
        <G as PyEnv>::num_reset_draws()
    }
    fn state_to_py<'py>(py: Python<'py>, state: &Vec<crate::games::GameValue>) -> PyResult<Bound<'py, PyDict>> {
        state_dict::<G>(py, state)
    }
    fn state_from_py(obj: &Bound<'_, PyAny>) -> PyResult<Vec<crate::games::GameValue>> {
        parse_state::<G>(obj)
    }
}

/// The single-env core of a game's class.
pub(crate) struct GameSingle<G: Game> {
    pub(crate) env: G,
    rng: Rng,
    stream: u64,
    ready: bool,
    /// What the last `reset()` / `step()` drew from the generator, per declared draw (NaN: not drawn).
    reset_record: Vec<Vec<f64>>,
    step_record: Vec<Vec<f64>>,
}

fn empty_record(decls: &[crate::games::DrawDecl]) -> Vec<Vec<f64>> {
    decls.iter().map(|d| vec![f64::NAN; d.len]).collect()
}

fn record_to_dict<'py>(py: Python<'py>, decls: &[crate::games::DrawDecl], record: &[Vec<f64>]) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (decl, values) in decls.iter().zip(record) {
        d.set_item(decl.name, PyArray1::from_slice(py, values))?;
    }
    Ok(d)
}

impl<G: Game> GameSingle<G>
where
    G::Obs: numpy::Element,
{
    pub(crate) fn new(seed: Option<u64>, stream: u64) -> Self {
        let rng = seed.map_or_else(Rng::from_entropy, |s| Rng::new(s, stream));
        GameSingle {
            env: placeholder(),
            rng,
            stream,
            ready: false,
            reset_record: empty_record(G::RESET_DRAWS),
            step_record: empty_record(G::STEP_DRAWS),
        }
    }

    pub(crate) fn action_space(&self) -> ActionSpace {
        G::action_space(&())
    }

    pub(crate) fn observation<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<G::Obs>>> {
        obs_to_py(py, &self.env)
    }

    /// Every seat's observation stacked, `(NUM_PLAYERS, *OBS_SHAPE)` (`Game::write_obs_of`).
    pub(crate) fn observe_all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyArrayDyn<G::Obs>>> {
        let len: usize = G::OBS_SHAPE.iter().product();
        let mut v = vec![G::Obs::default(); G::NUM_PLAYERS * len];
        for (player, out) in v.chunks_mut(len).enumerate() {
            self.env.write_obs_of(player, out);
        }
        let shape: Vec<usize> = std::iter::once(G::NUM_PLAYERS).chain(G::OBS_SHAPE.iter().copied()).collect();
        v.into_pyarray(py).reshape(shape)
    }

    pub(crate) fn get_state<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        state_dict::<G>(py, &self.env.get_state())
    }

    pub(crate) fn set_state(&mut self, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let values = parse_state::<G>(state)?;
        self.env.set_state(&values).map_err(PyValueError::new_err)?;
        self.ready = true;
        Ok(())
    }

    /// The legal-action mask of the current state, `None` for a game without one.
    pub(crate) fn action_mask<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyArray1<bool>>>> {
        if !G::HAS_MASK {
            return Ok(None);
        }
        let n = match self.action_space() {
            ActionSpace::Discrete(n) => n as usize,
            ActionSpace::Box { .. } => 0,
        };
        let mut mask = vec![false; n];
        self.env.write_mask(&mut mask);
        Ok(Some(PyArray1::from_vec(py, mask)))
    }

    fn check_ready(&self) -> PyResult<()> {
        if self.ready {
            Ok(())
        } else {
            Err(PyRuntimeError::new_err("call reset(), reset_det() or set_state() before step()"))
        }
    }

    pub(crate) fn reset<'py>(&mut self, py: Python<'py>, seed: Option<u64>) -> PyResult<Bound<'py, PyArrayDyn<G::Obs>>> {
        if let Some(s) = seed {
            self.rng = Rng::new(s, self.stream);
        }
        let mut record = empty_record(G::RESET_DRAWS);
        self.env.reset_with(&mut RecordingDraws { inner: RngDraws(&mut self.rng), record: &mut record });
        self.reset_record = record;
        self.ready = true;
        obs_to_py(py, &self.env)
    }

    pub(crate) fn reset_det<'py>(&mut self, py: Python<'py>, draws: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyArrayDyn<G::Obs>>> {
        let (_, values) = parse_draws(draws, G::RESET_DRAWS, false)?;
        let mut env = self.env.clone();
        let mut given = CheckedDraws { decls: G::RESET_DRAWS, values: &values, error: None };
        catch_unwind(AssertUnwindSafe(|| env.reset_with(&mut given))).map_err(panic_to_err)?;
        if let Some(e) = given.error {
            return Err(PyValueError::new_err(format!("bad reset draws: {e}")));
        }
        self.env = env;
        self.ready = true;
        obs_to_py(py, &self.env)
    }

    pub(crate) fn step<'py>(&mut self, py: Python<'py>, action: &Bound<'py, PyAny>) -> PyResult<(Bound<'py, PyArrayDyn<G::Obs>>, f64, bool, bool)> {
        self.check_ready()?;
        let a = parse_action(action, self.action_space(), G::OUT_OF_SPACE_ACTION)?;
        self.step_record.iter_mut().for_each(|values| values.fill(f64::NAN));
        let record = &mut self.step_record;
        let (r, te, tr) = self.env.step_with(a, &mut RecordingDraws { inner: RngDraws(&mut self.rng), record });
        Ok((obs_to_py(py, &self.env)?, r, te, tr))
    }

    /// What the last `reset()` drew from the env's generator (NaN: not drawn), for level D.
    pub(crate) fn last_reset_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        record_to_dict(py, G::RESET_DRAWS, &self.reset_record)
    }

    /// What the last `step()` drew from the env's generator (NaN: not drawn), for level D.
    pub(crate) fn last_step_draws<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        record_to_dict(py, G::STEP_DRAWS, &self.step_record)
    }

    pub(crate) fn step_det<'py>(
        &mut self,
        py: Python<'py>,
        action: &Bound<'py, PyAny>,
        draws: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyArrayDyn<G::Obs>>, f64, bool, bool)> {
        self.check_ready()?;
        let a = parse_action(action, self.action_space(), G::OUT_OF_SPACE_ACTION)?;
        let (_, values) = parse_draws(draws, G::STEP_DRAWS, false)?;
        let mut env = self.env.clone();
        let mut given = CheckedDraws { decls: G::STEP_DRAWS, values: &values, error: None };
        let (r, te, tr) = catch_unwind(AssertUnwindSafe(|| env.step_with(a, &mut given))).map_err(panic_to_err)?;
        if let Some(e) = given.error {
            return Err(PyValueError::new_err(format!("bad step draws: {e}")));
        }
        self.env = env;
        Ok((obs_to_py(py, &self.env)?, r, te, tr))
    }
}

/// `games!(Dial, Dial, DialVec)`: the classes of the game `crate::games::Dial`.
macro_rules! games {
    ($ty:ident, $single:ident, $vec:ident) => {
        env_classes! {
            env: $crate::games::$ty,
            single:
                /// One game of the `games` family (see the `bindings::games` module docs).
                $single($crate::bindings::games::GameSingle<$crate::games::$ty>) {
                    /// `stream`: the generator is stream `stream` of `seed`, as env `stream` of a
                    /// vector env seeded with `seed`.
                    #[new]
                    #[pyo3(signature = (seed = None, stream = 0))]
                    fn new(seed: Option<u64>, stream: u64) -> Self {
                        $single { core: $crate::bindings::games::GameSingle::new(seed, stream) }
                    }

                    /// Reset from given draws: a dict with one entry per name of `reset_draws`.
                    fn reset_det<'py>(&mut self, py: ::pyo3::Python<'py>, draws: &::pyo3::Bound<'py, ::pyo3::PyAny>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$crate::games::$ty as $crate::vector::Env>::Obs>>> {
                        $crate::bindings::common::guard(|| self.core.reset_det(py, draws))
                    }

                    /// One step with given draws: a dict with one entry per name of `step_draws`.
                    fn step_det<'py>(
                        &mut self,
                        py: ::pyo3::Python<'py>,
                        action: &::pyo3::Bound<'py, ::pyo3::PyAny>,
                        draws: &::pyo3::Bound<'py, ::pyo3::PyAny>,
                    ) -> ::pyo3::PyResult<(::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$crate::games::$ty as $crate::vector::Env>::Obs>>, f64, bool, bool)> {
                        $crate::bindings::common::guard(|| self.core.step_det(py, action, draws))
                    }

                    /// What the last `reset()` drew from the env's generator (NaN: not drawn).
                    fn last_reset_draws<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                        $crate::bindings::common::guard(|| self.core.last_reset_draws(py))
                    }

                    /// What the last `step()` drew from the env's generator, per step draw (NaN: not
                    /// drawn in that step; `step_det` leaves this unchanged).
                    fn last_step_draws<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::pyo3::types::PyDict>> {
                        $crate::bindings::common::guard(|| self.core.last_step_draws(py))
                    }

                    /// The legal actions of the current state (bool `(n,)`), `None` without a mask.
                    fn action_mask<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<Option<::pyo3::Bound<'py, ::numpy::PyArray1<bool>>>> {
                        $crate::bindings::common::guard(|| self.core.action_mask(py))
                    }

                    /// Every seat's observation of the current state, stacked in seat order
                    /// (`(num_players, *obs_shape)`; one row for a single-agent game).
                    fn observe_all<'py>(&self, py: ::pyo3::Python<'py>) -> ::pyo3::PyResult<::pyo3::Bound<'py, ::numpy::PyArrayDyn<<$crate::games::$ty as $crate::vector::Env>::Obs>>> {
                        $crate::bindings::common::guard(|| self.core.observe_all(py))
                    }

                    #[getter]
                    fn reset_draws(&self) -> Vec<&'static str> {
                        $crate::bindings::minatar::draw_names(<$crate::games::$ty as $crate::games::Game>::RESET_DRAWS)
                    }
                    #[getter]
                    fn step_draws(&self) -> Vec<&'static str> {
                        $crate::bindings::minatar::draw_names(<$crate::games::$ty as $crate::games::Game>::STEP_DRAWS)
                    }
                    #[getter]
                    fn game(&self) -> &'static str {
                        <$crate::games::$ty as $crate::games::Game>::NAME
                    }
                },
            vec:
                /// `num_envs` games stepped together with same-step auto-reset; `reset`/`step` (and
                /// `action_mask`) return the env's own buffers, overwritten by the next call.
                $vec {
                    #[new]
                    #[pyo3(signature = (num_envs, seed = None, num_threads = None))]
                    fn new(py: ::pyo3::Python<'_>, num_envs: usize, seed: Option<u64>, num_threads: Option<usize>) -> ::pyo3::PyResult<Self> {
                        $crate::bindings::common::guard(|| {
                            Ok($vec { core: $crate::bindings::vector::VecCore::new(py, num_envs, seed, num_threads, ())? })
                        })
                    }

                    #[getter]
                    fn num_actions(&self) -> usize {
                        self.core.inner.num_actions()
                    }
                    #[getter]
                    fn game(&self) -> &'static str {
                        <$crate::games::$ty as $crate::games::Game>::NAME
                    }
                },
        }
    };
}

/// `seated_games!(RlcardUno, RlcardUnoSeatedVec)`: the vector class of `crate::games::Seated<RlcardUno>` (seat 0
/// learns, the other seats play uniformly random legal actions inside `step`). Its constructor and `game` getter
/// are the `games!` vector class's, written out again: `#[pymethods]` reads its impl block before macros in it
/// expand, so a shared helper macro there would add no Python methods.
macro_rules! seated_games {
    ($($ty:ident => $vec:ident;)*) => {
        $(
            vec_class! {
                env: $crate::games::Seated<$crate::games::$ty>,
                /// `num_envs` games seen from seat 0, the other seats uniformly random legal (stepped inside
                /// `step`), with same-step auto-reset; a step's reward is seat 0's payoff when the game ends, else 0.
                $vec {
                    #[new]
                    #[pyo3(signature = (num_envs, seed = None, num_threads = None))]
                    fn new(py: ::pyo3::Python<'_>, num_envs: usize, seed: Option<u64>, num_threads: Option<usize>) -> ::pyo3::PyResult<Self> {
                        $crate::bindings::common::guard(|| {
                            Ok($vec { core: $crate::bindings::vector::VecCore::new(py, num_envs, seed, num_threads, ())? })
                        })
                    }
                    #[getter]
                    fn game(&self) -> &'static str {
                        <$crate::games::$ty as $crate::games::Game>::NAME
                    }
                    #[getter]
                    fn seat(&self) -> usize {
                        $crate::games::seated::SEAT
                    }
                }
            }
        )*

        fn register_seated(m: &::pyo3::Bound<'_, ::pyo3::types::PyModule>) -> ::pyo3::PyResult<()> {
            use ::pyo3::types::PyModuleMethods;
            $( m.add_class::<$vec>()?; )*
            Ok(())
        }
    };
}
