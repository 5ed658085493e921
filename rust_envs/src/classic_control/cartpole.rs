//! CartPole-v1 (gymnasium/envs/classic_control/cartpole.py), euler integrator,
//! default (non Sutton-Barto) reward, TimeLimit 500.

use super::{check_state_values, check_time, ActionSpace, ClassicEnv, Field, StateValue};

const GRAVITY: f64 = 9.8;
const MASSCART: f64 = 1.0;
const MASSPOLE: f64 = 0.1;
const TOTAL_MASS: f64 = MASSPOLE + MASSCART;
const LENGTH: f64 = 0.5; // half the pole's length
const POLEMASS_LENGTH: f64 = MASSPOLE * LENGTH;
const FORCE_MAG: f64 = 10.0;
const TAU: f64 = 0.02;
// Python: 12 * 2 * math.pi / 360  ->  (24 * pi) / 360
const THETA_THRESHOLD_RADIANS: f64 = 24.0 * std::f64::consts::PI / 360.0;
const X_THRESHOLD: f64 = 2.4;

#[derive(Clone, Debug, PartialEq)]
pub struct CartPole {
    pub x: f64,
    pub x_dot: f64,
    pub theta: f64,
    pub theta_dot: f64,
    /// -1 stands for Python's `None`.
    pub steps_beyond_terminated: i64,
    pub time: i64,
}

impl ClassicEnv for CartPole {
    const ID: &'static str = "CartPole-v1";
    const OBS_DIM: usize = 4;
    const NUM_RESET_DRAWS: usize = 4;
    const MAX_EPISODE_STEPS: i64 = 500;
    const ACTION_SPACE: ActionSpace = ActionSpace::Discrete(2);
    const FIELDS: &'static [Field] = &[
        Field::float("x"),
        Field::float("x_dot"),
        Field::float("theta"),
        Field::float("theta_dot"),
        Field::nullable_int("steps_beyond_terminated"),
        Field::int("time"),
    ];
    type Action = u32;

    fn new() -> Self {
        CartPole {
            x: 0.0,
            x_dot: 0.0,
            theta: 0.0,
            theta_dot: 0.0,
            steps_beyond_terminated: -1,
            time: 0,
        }
    }

    fn reset_det(&mut self, draws: &[f64]) {
        // np_random.uniform(low=-0.05, high=0.05, size=(4,)): low + (high - low) * u
        let (low, high) = (-0.05f64, 0.05f64);
        let s = |u: f64| low + (high - low) * u;
        self.x = s(draws[0]);
        self.x_dot = s(draws[1]);
        self.theta = s(draws[2]);
        self.theta_dot = s(draws[3]);
        self.steps_beyond_terminated = -1;
        self.time = 0;
    }

    #[inline]
    fn step(&mut self, action: u32) -> (f64, bool, bool) {
        let (x, x_dot, theta, theta_dot) = (self.x, self.x_dot, self.theta, self.theta_dot);
        let force = if action == 1 { FORCE_MAG } else { -FORCE_MAG };
        let costheta = theta.cos();
        let sintheta = theta.sin();
        // np.square(v) is v * v
        let temp = (force + POLEMASS_LENGTH * (theta_dot * theta_dot) * sintheta) / TOTAL_MASS;
        let thetaacc = (GRAVITY * sintheta - costheta * temp)
            / (LENGTH * (4.0 / 3.0 - MASSPOLE * (costheta * costheta) / TOTAL_MASS));
        let xacc = temp - POLEMASS_LENGTH * thetaacc * costheta / TOTAL_MASS;
        self.x = x + TAU * x_dot;
        self.x_dot = x_dot + TAU * xacc;
        self.theta = theta + TAU * theta_dot;
        self.theta_dot = theta_dot + TAU * thetaacc;

        let terminated = self.x < -X_THRESHOLD
            || self.x > X_THRESHOLD
            || self.theta < -THETA_THRESHOLD_RADIANS
            || self.theta > THETA_THRESHOLD_RADIANS;
        let reward = if !terminated {
            1.0
        } else if self.steps_beyond_terminated < 0 {
            // pole just fell
            self.steps_beyond_terminated = 0;
            1.0
        } else {
            self.steps_beyond_terminated += 1;
            0.0
        };
        self.time += 1;
        (reward, terminated, self.time >= Self::MAX_EPISODE_STEPS)
    }

    #[inline]
    fn write_obs(&self, out: &mut [f32]) {
        let out = &mut out[..4];
        out[0] = self.x as f32;
        out[1] = self.x_dot as f32;
        out[2] = self.theta as f32;
        out[3] = self.theta_dot as f32;
    }

    fn get_state(&self) -> Vec<StateValue> {
        vec![
            StateValue::Float(self.x),
            StateValue::Float(self.x_dot),
            StateValue::Float(self.theta),
            StateValue::Float(self.theta_dot),
            StateValue::Int(self.steps_beyond_terminated),
            StateValue::Int(self.time),
        ]
    }

    fn set_state(&mut self, v: &[StateValue]) -> Result<(), String> {
        check_state_values(Self::FIELDS, v)?;
        let f = |i: usize| super::as_f64(&v[i]);
        let sbt = super::as_i64(&v[4]);
        if sbt < -1 {
            return Err(format!(
                "state field 'steps_beyond_terminated' must be >= -1 (-1 = None), got {sbt}"
            ));
        }
        let time = check_time(super::as_i64(&v[5]))?;
        *self = CartPole {
            x: f(0),
            x_dot: f(1),
            theta: f(2),
            theta_dot: f(3),
            steps_beyond_terminated: sbt,
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
        generic_checks::<CartPole>(1);
    }

    #[test]
    fn reset_maps_draws_to_uniform_box() {
        let mut e = CartPole::new();
        e.reset_det(&[0.0, 0.5, 0.25, 0.999]);
        assert_eq!(e.x, -0.05);
        assert_eq!(e.x_dot, -0.05 + 0.1 * 0.5);
        assert_eq!(e.theta, -0.05 + 0.1 * 0.25);
        assert_eq!(e.theta_dot, -0.05 + (0.05 - -0.05) * 0.999);
        assert_eq!(e.steps_beyond_terminated, -1);
        assert_eq!(e.time, 0);
    }

    #[test]
    fn first_step_from_rest_matches_hand_computation() {
        // From the all-zero state pushing right: temp = 10/1.1,
        // thetaacc = -cos*temp / (0.5 * (4/3 - 0.1/1.1)), xacc = temp - 0.05*thetaacc/1.1.
        let mut e = CartPole::new();
        let (r, te, tr) = e.step(1);
        assert_eq!((r, te, tr), (1.0, false, false));
        let temp = 10.0 / 1.1;
        let thetaacc = (0.0 - 1.0 * temp) / (0.5 * (4.0 / 3.0 - 0.1 * 1.0 / 1.1));
        let xacc = temp - 0.05 * thetaacc * 1.0 / 1.1;
        assert_eq!(e.x, 0.0);
        assert_eq!(e.theta, 0.0);
        assert_eq!(e.x_dot, 0.02 * xacc);
        assert_eq!(e.theta_dot, 0.02 * thetaacc);
        assert!(
            e.theta_dot < 0.0 && e.x_dot > 0.0,
            "pushing right tips the pole left"
        );
    }

    #[test]
    fn always_left_falls_over_and_reward_logic() {
        let mut e = CartPole::new();
        e.reset_det(&[0.5; 4]); // exact zero state
        let traj = rollout(&mut e, 40, |_| 0);
        let first = traj.iter().position(|t| t.2).expect("pole never fell");
        // constant push from the upright rest state: falls within a couple of dozen steps
        assert!((5..30).contains(&first), "fell at {first}");
        assert!(traj[..first].iter().all(|t| t.1 == 1.0 && !t.2));
        assert_eq!(
            traj[first].1, 1.0,
            "reward 1.0 on the step that first terminates"
        );
        assert!(
            traj[first + 1..].iter().all(|t| t.1 == 0.0 && t.2),
            "reward 0.0 after termination"
        );
        assert_eq!(e.steps_beyond_terminated, (40 - first - 1) as i64);
        // the pole fell to the right (theta > threshold) because the cart was pushed left
        assert!(traj[first].0[2] > THETA_THRESHOLD_RADIANS as f32);
    }

    #[test]
    fn terminates_on_cart_position() {
        let mut e = CartPole::new();
        e.set_state(&[
            StateValue::Float(2.39),
            StateValue::Float(1.0),
            StateValue::Float(0.0),
            StateValue::Float(0.0),
            StateValue::Int(-1),
            StateValue::Int(0),
        ])
        .unwrap();
        let (r, te, _) = e.step(1);
        assert!(te && r == 1.0);
        assert_eq!(e.x, 2.39 + 0.02 * 1.0);
    }

    #[test]
    fn truncation_and_termination_together() {
        let mut e = CartPole::new();
        e.set_state(&[
            StateValue::Float(2.39),
            StateValue::Float(1.0),
            StateValue::Float(0.0),
            StateValue::Float(0.0),
            StateValue::Int(-1),
            StateValue::Int(499),
        ])
        .unwrap();
        assert_eq!(e.step(1), (1.0, true, true));
    }

    #[test]
    fn alternating_policy_survives_to_time_limit() {
        // a simple stabilising policy: push in the direction the pole leans
        let mut e = CartPole::new();
        e.reset_det(&[0.3, 0.6, 0.45, 0.55]);
        let mut steps = 0;
        loop {
            let a = if e.theta + 0.5 * e.theta_dot > 0.0 {
                1
            } else {
                0
            };
            let (r, te, tr) = e.step(a);
            steps += 1;
            assert_eq!(r, 1.0);
            assert!(!te, "fell at step {steps}");
            if tr {
                break;
            }
        }
        assert_eq!(steps, 500);
    }
}
