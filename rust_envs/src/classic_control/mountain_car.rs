//! MountainCar-v0 (gymnasium/envs/classic_control/mountain_car.py), TimeLimit 200.

use super::{check_state_values, check_time, ActionSpace, ClassicEnv, Field, StateValue};

const MIN_POSITION: f64 = -1.2;
const MAX_POSITION: f64 = 0.6;
const MAX_SPEED: f64 = 0.07;
const GOAL_POSITION: f64 = 0.5;
const GOAL_VELOCITY: f64 = 0.0;
const FORCE: f64 = 0.001;
const GRAVITY: f64 = 0.0025;

#[derive(Clone, Debug, PartialEq)]
pub struct MountainCar {
    pub position: f64,
    pub velocity: f64,
    pub time: i64,
}

/// `np.clip(x, lo, hi)` for a float64 scalar (NaN propagates).
#[inline]
pub(crate) fn np_clip(x: f64, lo: f64, hi: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let y = if x > lo { x } else { lo };
    if y < hi {
        y
    } else {
        hi
    }
}

impl ClassicEnv for MountainCar {
    const ID: &'static str = "MountainCar-v0";
    const OBS_DIM: usize = 2;
    const NUM_RESET_DRAWS: usize = 1;
    const MAX_EPISODE_STEPS: i64 = 200;
    const ACTION_SPACE: ActionSpace = ActionSpace::Discrete(3);
    const FIELDS: &'static [Field] = &[
        Field::float("position"),
        Field::float("velocity"),
        Field::int("time"),
    ];
    type Action = u32;

    fn new() -> Self {
        MountainCar {
            position: 0.0,
            velocity: 0.0,
            time: 0,
        }
    }

    fn reset_det(&mut self, draws: &[f64]) {
        let (low, high) = (-0.6f64, -0.4f64);
        self.position = low + (high - low) * draws[0];
        self.velocity = 0.0;
        self.time = 0;
    }

    #[inline]
    fn step(&mut self, action: u32) -> (f64, bool, bool) {
        let mut position = self.position;
        let mut velocity = self.velocity;
        // `velocity += rhs` evaluates the whole right-hand side first
        velocity += (action as i64 - 1) as f64 * FORCE + (3.0 * position).cos() * (-GRAVITY);
        velocity = np_clip(velocity, -MAX_SPEED, MAX_SPEED);
        position += velocity;
        position = np_clip(position, MIN_POSITION, MAX_POSITION);
        if position == MIN_POSITION && velocity < 0.0 {
            velocity = 0.0;
        }
        let terminated = position >= GOAL_POSITION && velocity >= GOAL_VELOCITY;
        self.position = position;
        self.velocity = velocity;
        self.time += 1;
        (-1.0, terminated, self.time >= Self::MAX_EPISODE_STEPS)
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
            StateValue::Int(self.time),
        ]
    }

    fn set_state(&mut self, v: &[StateValue]) -> Result<(), String> {
        check_state_values(Self::FIELDS, v)?;
        let time = check_time(super::as_i64(&v[2]))?;
        *self = MountainCar {
            position: super::as_f64(&v[0]),
            velocity: super::as_f64(&v[1]),
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
    use crate::classic_control::test_util::{generic_checks, rollout};

    #[test]
    fn generic() {
        generic_checks::<MountainCar>(2);
    }

    #[test]
    fn reset_range() {
        let mut e = MountainCar::new();
        e.reset_det(&[0.0]);
        assert_eq!((e.position, e.velocity), (-0.6, 0.0));
        e.reset_det(&[0.5]);
        assert_eq!(e.position, -0.6 + (-0.4 - -0.6) * 0.5);
    }

    #[test]
    fn one_step_by_hand() {
        let mut e = MountainCar {
            position: -0.5,
            velocity: 0.01,
            time: 0,
        };
        let (r, te, tr) = e.step(2);
        let v = 0.01 + (1.0 * 0.001 + (3.0f64 * -0.5).cos() * -0.0025);
        assert_eq!(e.velocity, v);
        assert_eq!(e.position, -0.5 + v);
        assert_eq!((r, te, tr), (-1.0, false, false));
    }

    #[test]
    fn velocity_clipped_and_left_wall_stops_car() {
        let mut e = MountainCar {
            position: -1.19,
            velocity: -0.069,
            time: 0,
        };
        e.step(0);
        assert_eq!(e.position, MIN_POSITION);
        assert_eq!(e.velocity, 0.0, "hitting the left wall zeroes the velocity");
        let mut e = MountainCar {
            position: 0.0,
            velocity: 0.0699,
            time: 0,
        };
        e.step(2);
        assert!(e.velocity <= MAX_SPEED);
        let mut e = MountainCar {
            position: -0.5,
            velocity: 0.5,
            time: 0,
        };
        e.step(1);
        assert_eq!(e.velocity, MAX_SPEED);
    }

    #[test]
    fn doing_nothing_never_reaches_goal_and_truncates_at_200() {
        let mut e = MountainCar::new();
        e.reset_det(&[0.5]);
        let traj = rollout(&mut e, 200, |_| 1);
        assert!(traj.iter().all(|t| !t.2 && t.1 == -1.0));
        assert!(traj[..199].iter().all(|t| !t.3));
        assert!(traj[199].3);
    }

    #[test]
    fn bang_bang_policy_reaches_goal() {
        let mut e = MountainCar::new();
        e.reset_det(&[0.5]);
        let mut reached = false;
        for _ in 0..200 {
            let a = if e.velocity >= 0.0 { 2 } else { 0 };
            let (_, te, tr) = e.step(a);
            if te {
                assert!(e.position >= GOAL_POSITION);
                reached = true;
                break;
            }
            assert!(!tr);
        }
        assert!(reached);
    }
}
