//! The classic-control family: plain-Rust ports of the five Gymnasium
//! classic-control environments (`CartPole-v1`, `Acrobot-v1`,
//! `MountainCar-v0`, `MountainCarContinuous-v0`, `Pendulum-v1`).
//!
//! Nothing in this module knows about Python. Every environment implements
//! [`ClassicEnv`]: it is reset from explicit uniform draws in `[0, 1)`
//! ([`ClassicEnv::reset_det`]), stepped without auto-reset
//! ([`ClassicEnv::step`]), and its full state (including the elapsed-step
//! counter used for the `TimeLimit` truncation) can be read and written as a
//! small fixed list of named values. [`Classic<E>`] makes any of them an
//! [`Env`] of the shared vector core (float32 observations, reset draws from
//! the env's own generator, every `final_obs` row written).
//!
//! All arithmetic follows the order of operations of the Gymnasium Python
//! sources in float64 (and float32 where numpy's promotion rules make the
//! reference compute in float32), so trajectories match the reference bit for
//! bit on the same machine (same libm).

pub mod acrobot;
pub mod cartpole;
pub mod mountain_car;
pub mod mountain_car_continuous;
pub mod pendulum;

pub use acrobot::Acrobot;
pub use cartpole::CartPole;
pub use mountain_car::MountainCar;
pub use mountain_car_continuous::MountainCarContinuous;
pub use pendulum::Pendulum;

pub use crate::vector::ActionSpace;
use crate::rng::Rng;
use crate::vector::{wrong_count, Action, Env};

/// Largest `NUM_RESET_DRAWS` of any environment (lets callers use a stack buffer).
pub const MAX_RESET_DRAWS: usize = 4;

/// Kind of one state field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    Float,
    Int,
    Bool,
}

/// Name and kind of one state field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub kind: FieldKind,
    /// The reference allows Python `None` here; it is stored as a sentinel
    /// (NaN for floats, -1 for ints).
    pub nullable: bool,
}

impl Field {
    pub const fn float(name: &'static str) -> Self {
        Field {
            name,
            kind: FieldKind::Float,
            nullable: false,
        }
    }
    pub const fn int(name: &'static str) -> Self {
        Field {
            name,
            kind: FieldKind::Int,
            nullable: false,
        }
    }
    pub const fn boolean(name: &'static str) -> Self {
        Field {
            name,
            kind: FieldKind::Bool,
            nullable: false,
        }
    }
    /// Float field whose `None` is stored as NaN.
    pub const fn nullable_float(name: &'static str) -> Self {
        Field {
            name,
            kind: FieldKind::Float,
            nullable: true,
        }
    }
    /// Int field whose `None` is stored as -1.
    pub const fn nullable_int(name: &'static str) -> Self {
        Field {
            name,
            kind: FieldKind::Int,
            nullable: true,
        }
    }
    /// The value standing for Python `None` (only for nullable fields).
    pub fn none_value(&self) -> Option<StateValue> {
        match (self.nullable, self.kind) {
            (true, FieldKind::Float) => Some(StateValue::Float(f64::NAN)),
            (true, FieldKind::Int) => Some(StateValue::Int(-1)),
            _ => None,
        }
    }
}

/// Value of one state field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StateValue {
    Float(f64),
    Int(i64),
    Bool(bool),
}

impl StateValue {
    pub(crate) fn kind_name(&self) -> &'static str {
        match self {
            StateValue::Float(_) => "float",
            StateValue::Int(_) => "int",
            StateValue::Bool(_) => "bool",
        }
    }
}

/// Common interface of the five classic-control environments.
pub trait ClassicEnv: Clone + Send + Sync + 'static {
    /// Gymnasium id, e.g. `"CartPole-v1"`.
    const ID: &'static str;
    /// Length of the float32 observation.
    const OBS_DIM: usize;
    /// Number of uniform `[0, 1)` draws [`reset_det`](Self::reset_det) consumes.
    const NUM_RESET_DRAWS: usize;
    /// `max_episode_steps` of the Gymnasium registration (TimeLimit).
    const MAX_EPISODE_STEPS: i64;
    const ACTION_SPACE: ActionSpace;
    /// State fields, in the order of [`get_state`](Self::get_state).
    const FIELDS: &'static [Field];

    /// `u32` for discrete envs, `f32` for the continuous ones.
    type Action: Action;

    /// A new environment (all state zero). Call `reset_det` before stepping.
    fn new() -> Self;

    /// Reset from explicit uniform draws (`draws.len() == NUM_RESET_DRAWS`),
    /// exactly as the reference's `reset()` would with a generator that
    /// returned these draws. Sets the step counter to 0.
    fn reset_det(&mut self, draws: &[f64]);

    /// One step, no auto-reset. Returns `(reward, terminated, truncated)`;
    /// `truncated` is the `TimeLimit` rule `time >= MAX_EPISODE_STEPS` after
    /// incrementing `time`, so it can be true together with `terminated`.
    fn step(&mut self, action: Self::Action) -> (f64, bool, bool);

    /// Write the float32 observation of the current state (`out.len() == OBS_DIM`).
    fn write_obs(&self, out: &mut [f32]);

    /// Current state, one value per entry of `FIELDS`, same order.
    fn get_state(&self) -> Vec<StateValue>;

    /// Overwrite the state from values in `FIELDS` order. On error the
    /// environment is left unchanged.
    fn set_state(&mut self, values: &[StateValue]) -> Result<(), String>;

    /// Steps since the last reset.
    fn time(&self) -> i64;
}

/// A classic-control environment as an [`Env`] of the vector core
/// (`VecEnv<Classic<CartPole>>`); derefs to the environment.
#[derive(Clone, Debug, PartialEq)]
#[repr(transparent)]
pub struct Classic<E: ClassicEnv>(pub E);

impl<E: ClassicEnv> std::ops::Deref for Classic<E> {
    type Target = E;
    fn deref(&self) -> &E {
        &self.0
    }
}

impl<E: ClassicEnv> std::ops::DerefMut for Classic<E> {
    fn deref_mut(&mut self) -> &mut E {
        &mut self.0
    }
}

impl<E: ClassicEnv> Env for Classic<E> {
    type Obs = f32;
    const OBS_SHAPE: &'static [usize] = &[E::OBS_DIM];
    type Action = E::Action;
    type Config = ();
    type State = Vec<StateValue>;
    const FINAL_OBS_EVERY_ROW: bool = true;

    fn action_space(_config: &()) -> ActionSpace {
        E::ACTION_SPACE
    }
    fn create(_config: &(), _rng: &mut Rng) -> Self {
        Classic(E::new())
    }
    #[inline]
    fn reset(&mut self, rng: &mut Rng) {
        let mut draws = [0.0f64; MAX_RESET_DRAWS];
        let draws = &mut draws[..E::NUM_RESET_DRAWS];
        rng.fill_f64(draws);
        self.0.reset_det(draws);
    }
    #[inline]
    fn step(&mut self, action: E::Action, _rng: &mut Rng) -> (f64, bool, bool) {
        self.0.step(action)
    }
    #[inline]
    fn write_obs(&self, out: &mut [f32]) {
        self.0.write_obs(out)
    }
    fn get_state(&self) -> Vec<StateValue> {
        self.0.get_state()
    }
    fn set_state(&mut self, state: &Vec<StateValue>) -> Result<(), String> {
        self.0.set_state(state)
    }
}

/// Helpers for `set_state` implementations: check count and kinds.
pub(crate) fn check_state_values(fields: &[Field], values: &[StateValue]) -> Result<(), String> {
    if values.len() != fields.len() {
        return Err(wrong_count(&fields.iter().map(|f| f.name).collect::<Vec<_>>(), values.len()));
    }
    for (f, v) in fields.iter().zip(values) {
        let ok = matches!(
            (f.kind, v),
            (FieldKind::Float, StateValue::Float(_))
                | (FieldKind::Int, StateValue::Int(_))
                | (FieldKind::Bool, StateValue::Bool(_))
        );
        if !ok {
            return Err(format!(
                "state field '{}' must be {:?}, got {}",
                f.name,
                f.kind,
                v.kind_name()
            ));
        }
    }
    Ok(())
}

pub(crate) fn as_f64(v: &StateValue) -> f64 {
    match *v {
        StateValue::Float(x) => x,
        StateValue::Int(i) => i as f64,
        StateValue::Bool(b) => b as i64 as f64,
    }
}

pub(crate) fn as_i64(v: &StateValue) -> i64 {
    match *v {
        StateValue::Int(i) => i,
        StateValue::Float(x) => x as i64,
        StateValue::Bool(b) => b as i64,
    }
}

pub(crate) fn as_bool(v: &StateValue) -> bool {
    match *v {
        StateValue::Bool(b) => b,
        StateValue::Int(i) => i != 0,
        StateValue::Float(x) => x != 0.0,
    }
}

pub(crate) fn check_time(t: i64) -> Result<i64, String> {
    if t < 0 {
        Err(format!("state field 'time' must be >= 0, got {t}"))
    } else {
        Ok(t)
    }
}

/// `pow(x, 2.0)` from the C math library.
///
/// Python's `x ** 2` on a float / numpy float64 scalar calls libm `pow`, which
/// on glibc is *not* always equal to the correctly rounded `x * x` (about 1 in
/// 1200 random arguments differ by one ulp). The exponent goes through
/// `black_box` so LLVM cannot rewrite `pow(x, 2.0)` into `x * x`.
#[inline]
pub fn py_pow2(x: f64) -> f64 {
    extern "C" {
        fn pow(x: f64, y: f64) -> f64;
    }
    // SAFETY: plain libm function, no preconditions.
    unsafe { pow(x, std::hint::black_box(2.0)) }
}

/// `powf(x, 2.0f)` from the C math library: numpy's `np.float32(x) ** 2`.
#[inline]
pub fn py_pow2_f32(x: f32) -> f32 {
    extern "C" {
        fn powf(x: f32, y: f32) -> f32;
    }
    // SAFETY: plain libm function, no preconditions.
    unsafe { powf(x, std::hint::black_box(2.0f32)) }
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// Run `steps` steps with `action(i)` and return the trajectory of
    /// (obs, reward, terminated, truncated).
    pub fn rollout<E: ClassicEnv>(
        env: &mut E,
        steps: usize,
        mut action: impl FnMut(usize) -> E::Action,
    ) -> Vec<(Vec<f32>, f64, bool, bool)> {
        let mut out = Vec::new();
        for i in 0..steps {
            let (r, te, tr) = env.step(action(i));
            let mut o = vec![0.0; E::OBS_DIM];
            env.write_obs(&mut o);
            out.push((o, r, te, tr));
        }
        out
    }

    /// State equality treating NaN (Python None) as equal to itself.
    pub fn same_state(a: &[StateValue], b: &[StateValue]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| match (x, y) {
                (StateValue::Float(p), StateValue::Float(q)) => p.to_bits() == q.to_bits(),
                _ => x == y,
            })
    }

    /// Generic checks every env must pass.
    pub fn generic_checks<E: ClassicEnv + std::fmt::Debug>(act: E::Action) {
        let mut e = E::new();
        let draws = vec![0.5; E::NUM_RESET_DRAWS];
        e.reset_det(&draws);
        assert_eq!(e.time(), 0);
        let s = e.get_state();
        assert_eq!(s.len(), E::FIELDS.len());
        // set_state(get_state()) round-trips
        let mut e2 = E::new();
        e2.set_state(&s).unwrap();
        assert!(same_state(&e2.get_state(), &s));
        // stepping both gives identical results
        let a = rollout(&mut e, 5, |_| act);
        let b = rollout(&mut e2, 5, |_| act);
        assert_eq!(a, b);
        assert_eq!(e.time(), 5);
        // wrong number of values / wrong kinds are rejected and leave state unchanged
        let before = e.get_state();
        assert!(e.set_state(&before[..before.len() - 1]).is_err());
        let mut bad = before.clone();
        let last = bad.len() - 1; // 'time' is always last and an int
        bad[last] = StateValue::Float(1.0);
        assert!(e.set_state(&bad).is_err());
        bad[last] = StateValue::Int(-3);
        assert!(e.set_state(&bad).is_err());
        assert!(same_state(&e.get_state(), &before));
        // the time limit truncates exactly at MAX_EPISODE_STEPS
        let mut st = e.get_state();
        st[last] = StateValue::Int(E::MAX_EPISODE_STEPS - 2);
        e.set_state(&st).unwrap();
        let (_, _, tr) = e.step(act);
        assert!(!tr, "truncated one step early");
        let (_, _, tr) = e.step(act);
        assert!(tr, "not truncated at the limit");
        assert_eq!(e.time(), E::MAX_EPISODE_STEPS);
    }
}
