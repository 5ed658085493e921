//! Acrobot-v1 (gymnasium/envs/classic_control/acrobot.py): "book" dynamics,
//! RK4 over t = [0, dt], no torque noise, TimeLimit 500.

use super::{check_state_values, check_time, py_pow2, ActionSpace, ClassicEnv, Field, StateValue};
use std::f64::consts::PI;

const DT: f64 = 0.2;
const LINK_LENGTH_1: f64 = 1.0;
const LINK_MASS_1: f64 = 1.0;
const LINK_MASS_2: f64 = 1.0;
const LINK_COM_POS_1: f64 = 0.5;
const LINK_COM_POS_2: f64 = 0.5;
const LINK_MOI: f64 = 1.0;
const MAX_VEL_1: f64 = 4.0 * PI;
const MAX_VEL_2: f64 = 9.0 * PI;
/// AVAIL_TORQUE = [-1.0, 0.0, +1]
const AVAIL_TORQUE: [f64; 3] = [-1.0, 0.0, 1.0];

#[derive(Clone, Debug, PartialEq)]
pub struct Acrobot {
    pub theta1: f64,
    pub theta2: f64,
    pub dtheta1: f64,
    pub dtheta2: f64,
    pub time: i64,
}

/// `_dsdt` of the reference for the augmented state `[th1, th2, dth1, dth2, torque]`.
#[inline]
fn dsdt(s: &[f64; 5]) -> [f64; 5] {
    let m1 = LINK_MASS_1;
    let m2 = LINK_MASS_2;
    let l1 = LINK_LENGTH_1;
    let lc1 = LINK_COM_POS_1;
    let lc2 = LINK_COM_POS_2;
    let i1 = LINK_MOI;
    let i2 = LINK_MOI;
    let g = 9.8;
    // Python-float constants squared with `**`: exact (0.5**2, 1.0**2)
    let lc1_sq = lc1 * lc1;
    let lc2_sq = lc2 * lc2;
    let l1_sq = l1 * l1;
    let a = s[4];
    let theta1 = s[0];
    let theta2 = s[1];
    let dtheta1 = s[2];
    let dtheta2 = s[3];
    let cos_t2 = theta2.cos();
    let sin_t2 = theta2.sin();
    let d1 = m1 * lc1_sq + m2 * (l1_sq + lc2_sq + 2.0 * l1 * lc2 * cos_t2) + i1 + i2;
    let d2 = m2 * (lc2_sq + l1 * lc2 * cos_t2) + i2;
    let phi2 = m2 * lc2 * g * (theta1 + theta2 - PI / 2.0).cos();
    // numpy-float64 `v**2` is libm pow(v, 2), not v*v
    let phi1 = -m2 * l1 * lc2 * py_pow2(dtheta2) * sin_t2
        - 2.0 * m2 * l1 * lc2 * dtheta2 * dtheta1 * sin_t2
        + (m1 * lc1 + m2 * l1) * g * (theta1 - PI / 2.0).cos()
        + phi2;
    // book dynamics
    let ddtheta2 = (a + d2 / d1 * phi1 - m2 * l1 * lc2 * py_pow2(dtheta1) * sin_t2 - phi2)
        / (m2 * lc2_sq + i2 - py_pow2(d2) / d1);
    let ddtheta1 = -(d2 * ddtheta2 + phi1) / d1;
    [dtheta1, dtheta2, ddtheta1, ddtheta2, 0.0]
}

#[inline]
fn axpy(y: &[f64; 5], a: f64, k: &[f64; 5]) -> [f64; 5] {
    // y + a * k, elementwise (numpy: y0 + dt2 * k1)
    [
        y[0] + a * k[0],
        y[1] + a * k[1],
        y[2] + a * k[2],
        y[3] + a * k[3],
        y[4] + a * k[4],
    ]
}

/// gymnasium's `rk4(derivs, y0, [0, dt])`, returning the first four components.
#[inline]
fn rk4(y0: &[f64; 5]) -> [f64; 4] {
    let dt = DT - 0.0; // t[i + 1] - t[i] with t = [0, dt]
    let dt2 = dt / 2.0;
    let k1 = dsdt(y0);
    let k2 = dsdt(&axpy(y0, dt2, &k1));
    let k3 = dsdt(&axpy(y0, dt2, &k2));
    let k4 = dsdt(&axpy(y0, dt, &k3));
    let c = dt / 6.0;
    let mut out = [0.0; 4];
    for j in 0..4 {
        out[j] = y0[j] + c * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
    }
    out
}

/// `wrap(x, m, M)` with its while loops.
#[inline]
fn wrap(mut x: f64, m: f64, big_m: f64) -> f64 {
    let diff = big_m - m;
    while x > big_m {
        x -= diff;
    }
    while x < m {
        x += diff;
    }
    x
}

/// `bound(x, m, M)` = Python `min(max(x, m), M)`.
#[inline]
fn bound(x: f64, m: f64, big_m: f64) -> f64 {
    let y = if m > x { m } else { x };
    if big_m < y {
        big_m
    } else {
        y
    }
}

impl Acrobot {
    fn terminal(&self) -> bool {
        -self.theta1.cos() - (self.theta2 + self.theta1).cos() > 1.0
    }
}

impl ClassicEnv for Acrobot {
    const ID: &'static str = "Acrobot-v1";
    const OBS_DIM: usize = 6;
    const NUM_RESET_DRAWS: usize = 4;
    const MAX_EPISODE_STEPS: i64 = 500;
    const ACTION_SPACE: ActionSpace = ActionSpace::Discrete(3);
    const FIELDS: &'static [Field] = &[
        Field::float("theta1"),
        Field::float("theta2"),
        Field::float("dtheta1"),
        Field::float("dtheta2"),
        Field::int("time"),
    ];
    type Action = u32;

    fn new() -> Self {
        Acrobot {
            theta1: 0.0,
            theta2: 0.0,
            dtheta1: 0.0,
            dtheta2: 0.0,
            time: 0,
        }
    }

    fn reset_det(&mut self, draws: &[f64]) {
        // np_random.uniform(-0.1, 0.1, size=(4,)).astype(np.float32)
        let (low, high) = (-0.1f64, 0.1f64);
        let s = |u: f64| (low + (high - low) * u) as f32 as f64;
        self.theta1 = s(draws[0]);
        self.theta2 = s(draws[1]);
        self.dtheta1 = s(draws[2]);
        self.dtheta2 = s(draws[3]);
        self.time = 0;
    }

    #[inline]
    fn step(&mut self, action: u32) -> (f64, bool, bool) {
        let torque = AVAIL_TORQUE[action as usize];
        let s_aug = [self.theta1, self.theta2, self.dtheta1, self.dtheta2, torque];
        let ns = rk4(&s_aug);
        self.theta1 = wrap(ns[0], -PI, PI);
        self.theta2 = wrap(ns[1], -PI, PI);
        self.dtheta1 = bound(ns[2], -MAX_VEL_1, MAX_VEL_1);
        self.dtheta2 = bound(ns[3], -MAX_VEL_2, MAX_VEL_2);
        let terminated = self.terminal();
        let reward = if !terminated { -1.0 } else { 0.0 };
        self.time += 1;
        (reward, terminated, self.time >= Self::MAX_EPISODE_STEPS)
    }

    /// `[cos th1, sin th1, cos th2, sin th2, dth1, dth2]` computed in float64
    /// and rounded to float32. (Right after a reset the reference holds a
    /// float32 state and numpy evaluates cos/sin in float32; on the reset range
    /// |x| <= 0.1 that equals the rounded float64 value, see README.)
    #[inline]
    fn write_obs(&self, out: &mut [f32]) {
        let out = &mut out[..6];
        out[0] = self.theta1.cos() as f32;
        out[1] = self.theta1.sin() as f32;
        out[2] = self.theta2.cos() as f32;
        out[3] = self.theta2.sin() as f32;
        out[4] = self.dtheta1 as f32;
        out[5] = self.dtheta2 as f32;
    }

    fn get_state(&self) -> Vec<StateValue> {
        vec![
            StateValue::Float(self.theta1),
            StateValue::Float(self.theta2),
            StateValue::Float(self.dtheta1),
            StateValue::Float(self.dtheta2),
            StateValue::Int(self.time),
        ]
    }

    fn set_state(&mut self, v: &[StateValue]) -> Result<(), String> {
        check_state_values(Self::FIELDS, v)?;
        let f = |i: usize| super::as_f64(&v[i]);
        let time = check_time(super::as_i64(&v[4]))?;
        *self = Acrobot {
            theta1: f(0),
            theta2: f(1),
            dtheta1: f(2),
            dtheta2: f(3),
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
        generic_checks::<Acrobot>(2);
    }

    #[test]
    fn reset_rounds_to_f32() {
        let mut e = Acrobot::new();
        e.reset_det(&[0.1, 0.2, 0.3, 0.9]);
        let exp = (-0.1 + 0.2 * 0.1) as f32 as f64;
        assert_eq!(e.theta1, exp);
        assert_ne!(
            e.theta1,
            -0.1 + 0.2 * 0.1,
            "value must be rounded through f32"
        );
        assert_eq!(e.dtheta2, (-0.1 + (0.1 - -0.1) * 0.9) as f32 as f64);
    }

    #[test]
    fn hanging_at_rest_is_an_equilibrium() {
        let mut e = Acrobot::new();
        let traj = rollout(&mut e, 10, |_| 1); // zero torque
        for (o, r, te, tr) in &traj {
            // cos(-pi/2) is 6e-17, not 0: the rest state drifts only at round-off level
            let want = [1.0, 0.0, 1.0, 0.0, 0.0, 0.0];
            assert!(
                o.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-12),
                "{o:?}"
            );
            assert_eq!((*r, *te, *tr), (-1.0, false, false));
        }
    }

    #[test]
    fn torque_sign_moves_second_joint() {
        let mut pos = Acrobot::new();
        let mut neg = Acrobot::new();
        pos.step(2);
        neg.step(0);
        assert!(pos.dtheta2 > 0.0 && neg.dtheta2 < 0.0);
        // mirror symmetry of the dynamics around the hanging position (up to rounding)
        assert!((pos.dtheta2 + neg.dtheta2).abs() < 1e-12);
        assert!((pos.theta1 + neg.theta1).abs() < 1e-12);
    }

    #[test]
    fn wrap_and_bound() {
        assert_eq!(wrap(3.5, -PI, PI), 3.5 - 2.0 * PI);
        assert_eq!(wrap(-3.5, -PI, PI), -3.5 + (PI - -PI));
        assert_eq!(wrap(1.0, -PI, PI), 1.0);
        assert_eq!(
            wrap(7.0 * PI, -PI, PI),
            7.0 * PI - 2.0 * PI - 2.0 * PI - 2.0 * PI
        );
        assert_eq!(bound(100.0, -MAX_VEL_1, MAX_VEL_1), MAX_VEL_1);
        assert_eq!(bound(-100.0, -MAX_VEL_2, MAX_VEL_2), -MAX_VEL_2);
        assert_eq!(bound(0.25, -1.0, 1.0), 0.25);
    }

    #[test]
    fn velocity_is_clipped_after_step() {
        let mut e = Acrobot::new();
        e.dtheta1 = 100.0;
        e.dtheta2 = -100.0;
        e.step(1);
        assert!(e.dtheta1.abs() <= MAX_VEL_1 && e.dtheta2.abs() <= MAX_VEL_2);
        assert!(e.theta1.abs() <= PI && e.theta2.abs() <= PI);
    }

    #[test]
    fn terminal_when_tip_high_and_reward_zero() {
        // link 1 pointing up: -cos(pi) - cos(pi + 0) = 2 > 1
        let mut e = Acrobot::new();
        e.theta1 = PI - 0.01;
        let (r, te, _) = e.step(1);
        assert!(te);
        assert_eq!(r, 0.0);
    }

    #[test]
    fn energy_pumping_policy_swings_up() {
        // pump energy: torque in the direction of the second joint's velocity
        let mut e = Acrobot::new();
        e.reset_det(&[0.5, 0.6, 0.4, 0.5]);
        let mut done_at = None;
        for t in 0..500 {
            let a = if e.dtheta2 > 0.0 { 2 } else { 0 };
            let (r, te, tr) = e.step(a);
            if te {
                assert_eq!(r, 0.0);
                done_at = Some(t);
                break;
            }
            assert_eq!(r, -1.0);
            assert!(!tr);
        }
        assert!(done_at.is_some(), "swing-up policy never reached the goal");
    }
}
