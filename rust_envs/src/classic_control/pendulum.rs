//! Pendulum-v1 (gymnasium/envs/classic_control/pendulum.py), g = 10, TimeLimit 200.
//!
//! The action is float32; numpy's promotion makes some terms float32:
//! `u = np.clip(action, -2, 2)[0]` is a float32 scalar, `0.001 * (u**2)` and
//! `3.0 * u` are computed in float32 (`u**2` with libm `powf`) and then
//! promoted to float64 when added to the float64 terms. `x**2` on the float64
//! terms is libm `pow(x, 2)`.

use super::{
    check_state_values, check_time, py_pow2, py_pow2_f32, ActionSpace, ClassicEnv, Field,
    StateValue,
};
use crate::classic_control::mountain_car::np_clip;
use std::f64::consts::PI;

const MAX_SPEED: f64 = 8.0;
const MAX_TORQUE: f32 = 2.0;
const DT: f64 = 0.05;
const G: f64 = 10.0;
const M: f64 = 1.0;
const L: f64 = 1.0;

#[derive(Clone, Debug, PartialEq)]
pub struct Pendulum {
    pub theta: f64,
    pub theta_dot: f64,
    /// last clipped action (float32); NaN stands for Python's `None`
    pub last_u: f32,
    pub time: i64,
}

/// Python / numpy float modulo (result has the sign of `b`).
#[inline]
pub fn py_mod(a: f64, b: f64) -> f64 {
    let mut m = a % b; // C fmod
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) {
            m += b;
        }
    } else {
        m = 0.0f64.copysign(b);
    }
    m
}

/// `((x + np.pi) % (2 * np.pi)) - np.pi`
#[inline]
pub fn angle_normalize(x: f64) -> f64 {
    py_mod(x + PI, 2.0 * PI) - PI
}

/// `np.clip` on a float32 scalar (NaN propagates).
#[inline]
fn clip_f32(x: f32, lo: f32, hi: f32) -> f32 {
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

impl ClassicEnv for Pendulum {
    const ID: &'static str = "Pendulum-v1";
    const OBS_DIM: usize = 3;
    const NUM_RESET_DRAWS: usize = 2;
    const MAX_EPISODE_STEPS: i64 = 200;
    const ACTION_SPACE: ActionSpace = ActionSpace::Box {
        low: -MAX_TORQUE,
        high: MAX_TORQUE,
        dim: 1,
    };
    const FIELDS: &'static [Field] = &[
        Field::float("theta"),
        Field::float("theta_dot"),
        Field::nullable_float("last_u"),
        Field::int("time"),
    ];
    type Action = f32;

    fn new() -> Self {
        Pendulum {
            theta: 0.0,
            theta_dot: 0.0,
            last_u: f32::NAN,
            time: 0,
        }
    }

    fn reset_det(&mut self, draws: &[f64]) {
        // high = [pi, 1.0], low = -high; uniform: low + (high - low) * u
        let (hx, hy) = (PI, 1.0f64);
        self.theta = -hx + (hx - -hx) * draws[0];
        self.theta_dot = -hy + (hy - -hy) * draws[1];
        self.last_u = f32::NAN;
        self.time = 0;
    }

    #[inline]
    fn step(&mut self, action: f32) -> (f64, bool, bool) {
        let th = self.theta;
        let thdot = self.theta_dot;
        let u = clip_f32(action, -MAX_TORQUE, MAX_TORQUE);
        self.last_u = u;
        let u_cost = (0.001f64 as f32) * py_pow2_f32(u); // float32
        let costs = py_pow2(angle_normalize(th)) + 0.1 * py_pow2(thdot) + u_cost as f64;
        let c_sin = 3.0 * G / (2.0 * L); // 15.0
        let c_u = (3.0 / (M * (L * L))) as f32; // 3.0, multiplies the float32 u
        let newthdot = thdot + (c_sin * th.sin() + (c_u * u) as f64) * DT;
        let newthdot = np_clip(newthdot, -MAX_SPEED, MAX_SPEED);
        let newth = th + newthdot * DT;
        self.theta = newth;
        self.theta_dot = newthdot;
        self.time += 1;
        (-costs, false, self.time >= Self::MAX_EPISODE_STEPS)
    }

    #[inline]
    fn write_obs(&self, out: &mut [f32]) {
        let out = &mut out[..3];
        out[0] = self.theta.cos() as f32;
        out[1] = self.theta.sin() as f32;
        out[2] = self.theta_dot as f32;
    }

    fn get_state(&self) -> Vec<StateValue> {
        vec![
            StateValue::Float(self.theta),
            StateValue::Float(self.theta_dot),
            StateValue::Float(self.last_u as f64),
            StateValue::Int(self.time),
        ]
    }

    fn set_state(&mut self, v: &[StateValue]) -> Result<(), String> {
        check_state_values(Self::FIELDS, v)?;
        let time = check_time(super::as_i64(&v[3]))?;
        *self = Pendulum {
            theta: super::as_f64(&v[0]),
            theta_dot: super::as_f64(&v[1]),
            last_u: super::as_f64(&v[2]) as f32,
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
        generic_checks::<Pendulum>(0.5);
    }

    #[test]
    fn python_modulo() {
        assert_eq!(py_mod(-1.0, 3.0), 2.0);
        assert_eq!(py_mod(1.0, -3.0), -2.0);
        assert_eq!(py_mod(7.0, 3.0), 1.0);
        assert!(py_mod(-3.0, 3.0) == 0.0 && py_mod(-3.0, 3.0).is_sign_positive());
        assert_eq!(angle_normalize(0.0), 0.0);
        assert!((angle_normalize(2.0 * PI + 0.5) - 0.5).abs() < 1e-12);
        assert!((angle_normalize(-0.5) + 0.5).abs() < 1e-15);
        assert!(
            (angle_normalize(3.0 * PI) - PI).abs() < 1e-12
                || (angle_normalize(3.0 * PI) + PI).abs() < 1e-12
        );
    }

    #[test]
    fn reset_range_and_last_u() {
        let mut e = Pendulum::new();
        e.reset_det(&[0.0, 0.75]);
        assert_eq!(e.theta, -PI);
        assert_eq!(e.theta_dot, -1.0 + 2.0 * 0.75);
        assert!(e.last_u.is_nan());
    }

    #[test]
    fn one_step_by_hand() {
        let mut e = Pendulum {
            theta: 0.5,
            theta_dot: -0.25,
            last_u: f32::NAN,
            time: 0,
        };
        let (r, te, tr) = e.step(1.5);
        let costs = 0.5 * 0.5 + 0.1 * (0.25 * 0.25) + (0.001f32 * 2.25f32) as f64;
        assert!((r + costs).abs() < 1e-15);
        assert_eq!(e.last_u, 1.5);
        let thdot = -0.25 + (15.0 * 0.5f64.sin() + 4.5) * 0.05;
        assert_eq!(e.theta_dot, thdot);
        assert_eq!(e.theta, 0.5 + thdot * 0.05);
        assert!(!te && !tr);
    }

    #[test]
    fn torque_and_speed_are_clipped() {
        let mut a = Pendulum {
            theta: 1.0,
            theta_dot: 0.0,
            last_u: f32::NAN,
            time: 0,
        };
        let mut b = a.clone();
        let ra = a.step(10.0);
        let rb = b.step(2.0);
        assert_eq!(ra, rb);
        assert_eq!(a, b);
        assert_eq!(a.last_u, 2.0);
        let mut c = Pendulum {
            theta: 1.0,
            theta_dot: 7.99,
            last_u: f32::NAN,
            time: 0,
        };
        c.step(2.0);
        assert_eq!(c.theta_dot, 8.0);
        assert_eq!(c.theta, 1.0 + 8.0 * 0.05);
    }

    #[test]
    fn upright_is_free_and_never_terminates() {
        let mut e = Pendulum::new(); // theta 0 = upright
        let (r, _, _) = e.step(0.0);
        assert_eq!(r, 0.0);
        let mut e = Pendulum::new();
        e.reset_det(&[0.9, 0.1]);
        let traj = rollout(&mut e, 200, |i| if i % 2 == 0 { 2.0 } else { -2.0 });
        assert!(traj.iter().all(|t| !t.2 && t.1 <= 0.0));
        assert!(traj[..199].iter().all(|t| !t.3));
        assert!(traj[199].3);
        // worst case cost: pi^2 + 0.1 * 64 + 0.001 * 4
        assert!(traj.iter().all(|t| t.1 >= -(PI * PI + 6.4 + 0.004) - 1e-9));
    }
}
