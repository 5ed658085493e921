//! MountainCarContinuous-v0 (gymnasium/envs/classic_control/continuous_mountain_car.py),
//! TimeLimit 999.
//!
//! The reference mixes numpy float32 and Python floats, and numpy 2's
//! promotion rules (NEP 50: Python scalars are "weak") decide where float32
//! arithmetic happens. Its state is a float64 array right after `reset()` and a
//! float32 array after every `step()`; `state_f32` records which. With `D` the
//! state dtype and `a0 = np.float32(action[0])`:
//!
//! * `force = min(max(a0, -1.0), 1.0)` is the float32 `a0` unless `a0` lies
//!   strictly outside `[-1, 1]`, in which case it is the Python float `±1.0`;
//! * `force * power - 0.0025 * math.cos(3 * position)`: `3 * position` in `D`,
//!   the cosine in float64; with a float32 force the difference is computed in
//!   float32 (`0.0015` and the cosine term rounded to float32 first), with a
//!   Python-float force in float64;
//! * `velocity += x`, the clamps and `position += velocity` are evaluated in
//!   `D` (a clamp assigns the Python float `±0.07` / `0.6` / `-1.2`);
//! * comparisons against the Python-float constants happen in `D`
//!   (e.g. `np.float32(p) >= 0.45` compares against `float32(0.45)`);
//! * reward `= (100.0 if terminated else 0) - math.pow(a0, 2) * 0.1` with the
//!   *unclipped* action;
//! * the new state is `np.array([position, velocity], dtype=np.float32)`.

use super::{check_state_values, check_time, ActionSpace, ClassicEnv, Field, StateValue};

const MIN_ACTION: f32 = -1.0;
const MAX_ACTION: f32 = 1.0;
const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.45;
const POWER: f64 = 0.0015;

#[derive(Clone, Debug, PartialEq)]
pub struct MountainCarContinuous {
    pub position: f64,
    pub velocity: f64,
    /// false: the reference state is a float64 array (right after reset);
    /// true: a float32 array (after any step). When true, `position` and
    /// `velocity` hold float32-representable values.
    pub state_f32: bool,
    pub time: i64,
}

impl MountainCarContinuous {
    /// Reference arithmetic with a float64 state.
    #[inline]
    #[allow(clippy::manual_clamp)] // the reference's two `if`s, kept verbatim
    fn step_f64_state(&self, a0: f32, force_py: Option<f64>) -> (f64, f64, bool) {
        let mut position = self.position;
        let mut velocity = self.velocity;
        let c = (3.0 * position).cos();
        let x = match force_py {
            None => (a0 * (POWER as f32) - (0.0025 * c) as f32) as f64,
            Some(force) => force * POWER - 0.0025 * c,
        };
        velocity += x;
        if velocity > MAX_SPEED {
            velocity = MAX_SPEED;
        }
        if velocity < -MAX_SPEED {
            velocity = -MAX_SPEED;
        }
        position += velocity;
        if position > MAX_POSITION {
            position = MAX_POSITION;
        }
        if position < MIN_POSITION {
            position = MIN_POSITION;
        }
        if position == MIN_POSITION && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = position >= GOAL_POSITION && velocity >= 0.0;
        (position, velocity, terminated)
    }

    /// Reference arithmetic with a float32 state. Values are kept in f64
    /// variables holding either float32 values or the Python-float constants
    /// a clamp assigns; every comparison is made in float32, which agrees with
    /// the reference in both cases (the clamp constants are far from the
    /// thresholds they are later compared with).
    #[inline]
    fn step_f32_state(&self, a0: f32, force_py: Option<f64>) -> (f64, f64, bool) {
        let p32 = self.position as f32;
        let v32 = self.velocity as f32;
        let c = ((3.0f32 * p32) as f64).cos();
        let mut velocity: f64 = match force_py {
            None => (v32 + (a0 * (POWER as f32) - (0.0025 * c) as f32)) as f64,
            Some(force) => (v32 + (force * POWER - 0.0025 * c) as f32) as f64,
        };
        if (velocity as f32) > MAX_SPEED as f32 {
            velocity = MAX_SPEED;
        }
        if (velocity as f32) < -MAX_SPEED as f32 {
            velocity = -MAX_SPEED;
        }
        let mut position: f64 = (p32 + velocity as f32) as f64;
        if (position as f32) > MAX_POSITION as f32 {
            position = MAX_POSITION;
        }
        if (position as f32) < MIN_POSITION as f32 {
            position = MIN_POSITION;
        }
        if (position as f32) == MIN_POSITION as f32 && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = (position as f32) >= GOAL_POSITION as f32 && velocity >= 0.0;
        (position, velocity, terminated)
    }
}

impl ClassicEnv for MountainCarContinuous {
    const ID: &'static str = "MountainCarContinuous-v0";
    const OBS_DIM: usize = 2;
    const NUM_RESET_DRAWS: usize = 1;
    const MAX_EPISODE_STEPS: i64 = 999;
    const ACTION_SPACE: ActionSpace = ActionSpace::Box {
        low: MIN_ACTION,
        high: MAX_ACTION,
        dim: 1,
    };
    const FIELDS: &'static [Field] = &[
        Field::float("position"),
        Field::float("velocity"),
        Field::boolean("state_f32"),
        Field::int("time"),
    ];
    type Action = f32;

    fn new() -> Self {
        MountainCarContinuous {
            position: 0.0,
            velocity: 0.0,
            state_f32: false,
            time: 0,
        }
    }

    fn reset_det(&mut self, draws: &[f64]) {
        let (low, high) = (-0.6f64, -0.4f64);
        self.position = low + (high - low) * draws[0];
        self.velocity = 0.0;
        self.state_f32 = false;
        self.time = 0;
    }

    #[inline]
    fn step(&mut self, a0: f32) -> (f64, bool, bool) {
        // Python min(max(a0, -1.0), 1.0): builtins keep the first argument
        // unless the other compares strictly greater / smaller.
        let force_py = if a0 < MIN_ACTION {
            Some(MIN_ACTION as f64)
        } else if a0 > MAX_ACTION {
            Some(MAX_ACTION as f64)
        } else {
            None // float32 a0 itself (also for NaN)
        };
        let (position, velocity, terminated) = if self.state_f32 {
            self.step_f32_state(a0, force_py)
        } else {
            self.step_f64_state(a0, force_py)
        };
        let base = if terminated { 100.0 } else { 0.0 };
        // math.pow(a0, 2): the square of a float32 is exact in float64
        let a = a0 as f64;
        let reward = base - a * a * 0.1;
        self.position = position as f32 as f64;
        self.velocity = velocity as f32 as f64;
        self.state_f32 = true;
        self.time += 1;
        (reward, terminated, self.time >= Self::MAX_EPISODE_STEPS)
    }

    #[inline]
    fn write_obs(&self, out: &mut [f32]) {
        let out = &mut out[..2];
        out[0] = self.position as f32;
        out[1] = self.velocity as f32;
    }

    fn get_state(&self) -> Vec<StateValue> {
        vec![
            StateValue::Float(self.position),
            StateValue::Float(self.velocity),
            StateValue::Bool(self.state_f32),
            StateValue::Int(self.time),
        ]
    }

    fn set_state(&mut self, v: &[StateValue]) -> Result<(), String> {
        check_state_values(Self::FIELDS, v)?;
        let state_f32 = super::as_bool(&v[2]);
        let time = check_time(super::as_i64(&v[3]))?;
        let (mut position, mut velocity) = (super::as_f64(&v[0]), super::as_f64(&v[1]));
        if state_f32 {
            // a float32 state array can only hold float32 values
            position = position as f32 as f64;
            velocity = velocity as f32 as f64;
        }
        *self = MountainCarContinuous {
            position,
            velocity,
            state_f32,
            time,
        };
        Ok(())
    }

    fn time(&self) -> i64 {
        self.time
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classic_control::test_util::generic_checks;

    fn env(position: f64, velocity: f64, state_f32: bool) -> MountainCarContinuous {
        MountainCarContinuous {
            position,
            velocity,
            state_f32,
            time: 0,
        }
    }

    #[test]
    fn generic() {
        generic_checks::<MountainCarContinuous>(0.5);
    }

    #[test]
    fn step_makes_state_f32() {
        let mut e = MountainCarContinuous::new();
        e.reset_det(&[0.3]);
        assert!(!e.state_f32);
        assert_eq!(e.position, -0.6 + (-0.4 - -0.6) * 0.3);
        e.step(0.25);
        assert!(e.state_f32);
        assert_eq!(e.position, e.position as f32 as f64);
        assert_eq!(e.velocity, e.velocity as f32 as f64);
    }

    #[test]
    fn first_step_from_f64_state_by_hand() {
        let mut e = env(-0.5, 0.0, false);
        let (r, te, _) = e.step(0.5);
        let c = (3.0f64 * -0.5).cos();
        let x = (0.5f32 * 0.0015f32 - (0.0025 * c) as f32) as f64; // float32 difference
        let v = 0.0 + x;
        assert_eq!(e.velocity, v as f32 as f64);
        assert_eq!(e.position, (-0.5 + v) as f32 as f64);
        assert!(!te);
        assert_eq!(r, -(0.25 * 0.1));
    }

    #[test]
    fn out_of_range_action_uses_python_float_force_and_unclipped_penalty() {
        let mut a = env(-0.5, 0.0, false);
        let mut b = env(-0.5, 0.0, false);
        let (ra, _, _) = a.step(3.0);
        b.step(1.0);
        let c = (3.0f64 * -0.5).cos();
        let x = 1.0 * 0.0015 - 0.0025 * c; // float64 path
        assert_eq!(a.velocity, x as f32 as f64);
        // float32 path with force 1.0f32 gives a different rounding than the float64 path
        assert_eq!(
            b.velocity,
            (1.0f32 * 0.0015f32 - (0.0025 * c) as f32) as f64 as f32 as f64
        );
        assert_eq!(ra, -(9.0 * 0.1), "penalty uses the unclipped action");
    }

    #[test]
    fn float32_goal_comparison() {
        // float32(0.45) is below 0.45: a float32 state landing exactly on it
        // terminates (numpy compares in float32), a float64 one would not.
        let goal32 = 0.45f32;
        assert!((goal32 as f64) < 0.45);
        let p32 = 0.40f32;
        let mut v32 = 0.0505f32;
        let mut hit = None;
        for _ in 0..2_000_000 {
            let e = env(p32 as f64, v32 as f64, true);
            let (pos, vel, te) = e.step_f32_state(0.0, None);
            if pos as f32 == goal32 {
                hit = Some((pos, vel, te));
                break;
            }
            assert!((pos as f32) < goal32, "overshot: scan is too coarse");
            v32 = f32::from_bits(v32.to_bits() + 1);
        }
        let (pos, vel, te) = hit.expect("no velocity lands exactly on float32(0.45)");
        assert!(vel > 0.0);
        assert!(te, "float32 comparison must terminate");
        assert!(pos < 0.45, "a float64 comparison would not terminate");
        let mut e = env(p32 as f64, v32 as f64, true);
        let (r, te, _) = e.step(0.0);
        assert!(te);
        assert_eq!(r, 100.0);
    }

    #[test]
    fn clamps() {
        // at -pi/6 the slope term vanishes: 0.0699 + 0.0015 is clamped to 0.07
        let mut e = env(-std::f64::consts::FRAC_PI_6, 0.0699, true);
        e.step(1.0);
        assert_eq!(e.velocity, 0.07f32 as f64);
        let mut e = env(-std::f64::consts::FRAC_PI_6, -0.0699, false);
        e.step(-1.5);
        assert_eq!(e.velocity, -0.07f32 as f64);
        let mut e = env(-1.19, -0.0699, true);
        e.step(-1.0);
        assert_eq!(e.position, -1.2f32 as f64);
        assert_eq!(e.velocity, 0.0, "left wall zeroes the velocity");
        let mut e = env(0.59, 0.0699, false);
        let (r, te, _) = e.step(1.0);
        assert!(te);
        assert_eq!(e.position, 0.6f32 as f64);
        assert_eq!(r, 100.0 - 0.1);
    }

    #[test]
    fn full_throttle_right_from_the_valley_does_not_make_it_but_rocking_does() {
        let mut e = env(-0.5, 0.0, false);
        for _ in 0..200 {
            let (_, te, _) = e.step(1.0);
            assert!(!te, "car is too weak to drive straight up");
        }
        let mut e = env(-0.5, 0.0, false);
        let mut reached = false;
        for _ in 0..999 {
            let a = if e.velocity >= 0.0 { 1.0 } else { -1.0 };
            let (r, te, tr) = e.step(a);
            if te {
                assert_eq!(r, 100.0 - 0.1);
                reached = true;
                break;
            }
            assert!(!tr);
        }
        assert!(reached);
    }
}
