//! Tests of the vector core with environments of both families.

use super::*;
use crate::classic_control::{
    Acrobot, CartPole, Classic, ClassicEnv, MountainCar, MountainCarContinuous, Pendulum, StateValue,
};

struct Owned<O> {
    obs: Vec<O>,
    reward: Vec<f64>,
    terminated: Vec<bool>,
    truncated: Vec<bool>,
    final_obs: Vec<O>,
}

impl<O: Copy + Default> Owned<O> {
    fn new(n: usize, od: usize) -> Self {
        Owned {
            obs: vec![O::default(); n * od],
            reward: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            final_obs: vec![O::default(); n * od],
        }
    }
    fn bufs(&mut self) -> StepBuffers<'_, O> {
        StepBuffers {
            obs: &mut self.obs,
            reward: &mut self.reward,
            terminated: &mut self.terminated,
            truncated: &mut self.truncated,
            final_obs: &mut self.final_obs,
        }
    }
}

fn lcg_actions(t: usize, n: usize, k: u64) -> Vec<u32> {
    (0..n)
        .map(|i| {
            let x = (t as u64 * 1_000_003 + i as u64)
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((x >> 33) % k) as u32
        })
        .collect()
}

type StepRecord = (Vec<f32>, Vec<f64>, Vec<bool>, Vec<bool>, Vec<f32>);

/// Run a discrete vector env and return every step's outputs.
fn run_discrete<E: ClassicEnv<Action = u32>>(
    n: usize,
    threads: Option<usize>,
    steps: usize,
    k: u64,
) -> Vec<StepRecord> {
    let mut v = VecEnv::<Classic<E>>::new(n, 123, threads).unwrap();
    let mut b = Owned::<f32>::new(n, E::OBS_DIM);
    v.reset(None, &mut b.obs);
    let mut out = vec![];
    for t in 0..steps {
        let acts = lcg_actions(t, n, k);
        v.step(&acts, b.bufs());
        out.push((
            b.obs.clone(),
            b.reward.clone(),
            b.terminated.clone(),
            b.truncated.clone(),
            b.final_obs.clone(),
        ));
    }
    out
}

#[test]
fn thread_count_does_not_change_results() {
    let a = run_discrete::<CartPole>(300, Some(1), 120, 2);
    let b = run_discrete::<CartPole>(300, Some(2), 120, 2);
    let c = run_discrete::<CartPole>(300, Some(3), 120, 2);
    let d = run_discrete::<CartPole>(300, None, 120, 2);
    assert!(a == b && a == c && a == d);
    let a = run_discrete::<Acrobot>(260, Some(1), 30, 3);
    let b = run_discrete::<Acrobot>(260, Some(2), 30, 3);
    assert!(a == b);
}

#[test]
fn many_parallel_steps_with_odd_sizes_match_serial() {
    // exercises the block claiming across thousands of epochs (races would show up as
    // differences or hangs)
    for (n, th) in [(257usize, 2usize), (1000, 4), (300, 3)] {
        let a = run_discrete::<CartPole>(n, Some(1), 1500, 2);
        let b = run_discrete::<CartPole>(n, Some(th), 1500, 2);
        assert!(a == b, "n={n} threads={th}");
    }
}

#[test]
fn batch_independence() {
    // env i of a big batch behaves exactly like env i of a smaller batch with the same seed
    let big = run_discrete::<MountainCar>(300, Some(2), 250, 3);
    let small = run_discrete::<MountainCar>(300, Some(1), 250, 3);
    assert!(big == small);
    // and like a single env driven by hand with the same draws and actions
    let n = 8;
    let mut v = VecEnv::<Classic<CartPole>>::new(n, 99, Some(1)).unwrap();
    let mut b = Owned::<f32>::new(n, 4);
    v.reset(None, &mut b.obs);
    let i = 5;
    let mut single = CartPole::new();
    let mut rng = Rng::new(99, i as u64);
    let mut d = [0.0; 4];
    rng.fill_f64(&mut d);
    single.reset_det(&d);
    let mut o = [0.0f32; 4];
    single.write_obs(&mut o);
    assert_eq!(&b.obs[i * 4..i * 4 + 4], &o);
    let mut episodes = 0;
    for t in 0..600 {
        let acts = lcg_actions(t, n, 2);
        v.step(&acts, b.bufs());
        let (r, te, tr) = single.step(acts[i]);
        single.write_obs(&mut o);
        assert_eq!(
            &b.final_obs[i * 4..i * 4 + 4],
            &o,
            "final_obs is the last obs of the step"
        );
        assert_eq!((b.reward[i], b.terminated[i], b.truncated[i]), (r, te, tr));
        if te || tr {
            episodes += 1;
            rng.fill_f64(&mut d);
            single.reset_det(&d);
            single.write_obs(&mut o);
        }
        assert_eq!(&b.obs[i * 4..i * 4 + 4], &o);
    }
    assert!(episodes >= 5, "random CartPole episodes are short");
}

#[test]
fn same_step_autoreset_semantics() {
    let n = 4;
    let mut v = VecEnv::<Classic<CartPole>>::new(n, 0, None).unwrap();
    let mut b = Owned::<f32>::new(n, 4);
    v.reset(Some(7), &mut b.obs);
    // put env 2 one step before the time limit, env 1 about to fall
    let mut s = v.get_state(2).unwrap();
    s[5] = StateValue::Int(499);
    v.set_state(2, &s).unwrap();
    v.set_state(
        1,
        &vec![
            StateValue::Float(2.399),
            StateValue::Float(1.0),
            StateValue::Float(0.0),
            StateValue::Float(0.0),
            StateValue::Int(-1),
            StateValue::Int(10),
        ],
    )
    .unwrap();
    v.step(&[0u32, 1, 0, 1], b.bufs());
    assert_eq!(b.terminated, vec![false, true, false, false]);
    assert_eq!(b.truncated, vec![false, false, true, false]);
    assert_eq!(b.reward, vec![1.0; 4]);
    // finished envs were reset: time 0, small state; final_obs holds the terminal obs
    for i in [1, 2] {
        assert_eq!(v.env(i).unwrap().time, 0);
        assert!(b.obs[i * 4..i * 4 + 4].iter().all(|x| x.abs() <= 0.05));
        assert_ne!(&b.obs[i * 4..i * 4 + 4], &b.final_obs[i * 4..i * 4 + 4]);
    }
    assert!(b.final_obs[4] > 2.4);
    for i in [0, 3] {
        assert_eq!(&b.obs[i * 4..i * 4 + 4], &b.final_obs[i * 4..i * 4 + 4]);
        assert_eq!(v.env(i).unwrap().time, 1);
    }
}

#[test]
fn reseeding_reproduces_and_streams_continue() {
    let n = 3;
    let mut v = VecEnv::<Classic<Pendulum>>::new(n, 5, Some(1)).unwrap();
    let mut o1 = vec![0.0; n * 3];
    let mut o2 = vec![0.0; n * 3];
    let mut o3 = vec![0.0; n * 3];
    v.reset(None, &mut o1);
    v.reset(None, &mut o2);
    assert_ne!(o1, o2, "unseeded reset continues the stream");
    v.reset(Some(5), &mut o3);
    assert_eq!(
        o1, o3,
        "re-seeding with the constructor seed restarts the stream"
    );
    // rows differ from each other
    assert_ne!(&o1[0..3], &o1[3..6]);
}

#[test]
fn continuous_envs_step_in_parallel_identically() {
    fn run<E: ClassicEnv<Action = f32>>(threads: Option<usize>) -> (Vec<f32>, Vec<f64>) {
        let n = 512;
        let mut v = VecEnv::<Classic<E>>::new(n, 1, threads).unwrap();
        let mut b = Owned::<f32>::new(n, E::OBS_DIM);
        v.reset(None, &mut b.obs);
        let mut rew = vec![];
        for t in 0..1100 {
            let acts: Vec<f32> = (0..n)
                .map(|i| (((t * 31 + i * 17) % 41) as f32 - 20.0) / 8.0)
                .collect();
            v.step(&acts, b.bufs());
            rew.extend_from_slice(&b.reward);
        }
        (b.obs.clone(), rew)
    }
    assert_eq!(run::<Pendulum>(Some(1)), run::<Pendulum>(Some(2)));
    assert_eq!(
        run::<MountainCarContinuous>(Some(1)),
        run::<MountainCarContinuous>(Some(4))
    );
}

/// An env that panics on action 1, to check panics on helper threads
/// reach the caller (instead of aborting or hanging).
#[derive(Clone, Debug)]
struct Bomb(i64);
impl ClassicEnv for Bomb {
    const ID: &'static str = "Bomb";
    const OBS_DIM: usize = 1;
    const NUM_RESET_DRAWS: usize = 1;
    const MAX_EPISODE_STEPS: i64 = 1000;
    const ACTION_SPACE: ActionSpace = ActionSpace::Discrete(2);
    const FIELDS: &'static [crate::classic_control::Field] = &[crate::classic_control::Field::int("time")];
    type Action = u32;
    fn new() -> Self {
        Bomb(0)
    }
    fn reset_det(&mut self, _d: &[f64]) {
        self.0 = 0;
    }
    fn step(&mut self, a: u32) -> (f64, bool, bool) {
        assert!(a != 1, "boom");
        self.0 += 1;
        (0.0, false, false)
    }
    fn write_obs(&self, out: &mut [f32]) {
        out[0] = self.0 as f32;
    }
    fn get_state(&self) -> Vec<StateValue> {
        vec![StateValue::Int(self.0)]
    }
    fn set_state(&mut self, v: &[StateValue]) -> Result<(), String> {
        self.0 = crate::classic_control::as_i64(&v[0]);
        Ok(())
    }
    fn time(&self) -> i64 {
        self.0
    }
}

#[test]
fn panics_on_any_thread_reach_the_caller() {
    let n = 1024;
    for threads in [Some(2), Some(4), None] {
        let mut v = VecEnv::<Classic<Bomb>>::new(n, 0, threads).unwrap();
        let mut b = Owned::<f32>::new(n, 1);
        v.reset(None, &mut b.obs);
        let mut acts = vec![0u32; n];
        v.step(&acts, b.bufs());
        // a bomb in every block, so whichever thread steps one of them panics
        for i in (0..n).step_by(16) {
            acts[i] = 1;
        }
        let r =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.step(&acts, b.bufs())));
        assert!(r.is_err(), "panic was swallowed");
        // the env is still usable afterwards
        let acts = vec![0u32; n];
        v.step(&acts, b.bufs());
    }
}

#[test]
fn bad_construction() {
    assert!(VecEnv::<Classic<CartPole>>::new(0, 0, None).is_err());
    assert!(VecEnv::<Classic<CartPole>>::new(4, 0, Some(0)).is_err());
    let v = VecEnv::<Classic<CartPole>>::new(4, 0, Some(2)).unwrap();
    assert!(v.get_state(4).is_err());
}

// ---------------------------------------------------------------------------
// MinAtar: bool observations, final_obs rows only for finished envs

use crate::minatar::{obs_len, Breakout, GameValue, MinAtar, MinAtarConfig, MinAtarGame, MinAtarVec, RngDraws, RIGHT};

fn minatar_actions(t: usize, n: usize, k: u64) -> Vec<u8> {
    (0..n)
        .map(|i| {
            let x = (t as u64 * 1_000_003 + i as u64).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((x >> 33) % k) as u8
        })
        .collect()
}

type Record = (Vec<bool>, Vec<f64>, Vec<bool>, Vec<bool>);

fn run_breakout(n: usize, threads: Option<usize>, steps: usize, config: MinAtarConfig) -> Vec<Record> {
    let mut v = MinAtarVec::<Breakout>::with_config(n, 11, threads, config).unwrap();
    let mut b = Owned::<bool>::new(n, obs_len::<Breakout>());
    v.reset(None, &mut b.obs);
    let k = v.num_actions() as u64;
    (0..steps)
        .map(|t| {
            v.step(&minatar_actions(t, n, k), b.bufs());
            (b.obs.clone(), b.reward.clone(), b.terminated.clone(), b.truncated.clone())
        })
        .collect()
}

#[test]
fn minatar_thread_count_does_not_change_results() {
    let config = MinAtarConfig::default();
    let a = run_breakout(300, Some(1), 400, config);
    assert_eq!(a, run_breakout(300, Some(2), 400, config));
    assert_eq!(a, run_breakout(300, Some(3), 400, config));
    assert_eq!(a, run_breakout(300, None, 400, config));
    // and episodes really end and restart in that window
    assert!(a.iter().map(|r| r.2.iter().filter(|&&x| x).count()).sum::<usize>() > 300);
}

#[test]
fn same_step_autoreset_matches_a_single_env_on_the_same_stream() {
    let n = 6;
    let config = MinAtarConfig { minimal_action_set: true, ..MinAtarConfig::default() };
    let mut v = MinAtarVec::<Breakout>::with_config(n, 5, Some(1), config).unwrap();
    let od = obs_len::<Breakout>();
    let mut b = Owned::<bool>::new(n, od);
    v.reset(Some(8), &mut b.obs);
    let i = 4;
    let mut rng = Rng::new(8, i as u64);
    let mut single = MinAtar::<Breakout>::reset(config, &mut RngDraws(&mut rng));
    let mut o = vec![false; od];
    single.game.write_obs(&mut o);
    assert_eq!(&b.obs[i * od..(i + 1) * od], &o[..]);
    let mut episodes = 0;
    for t in 0..3000 {
        let acts = minatar_actions(t, n, 3);
        v.step(&acts, b.bufs());
        let sticky = rng.next_f64();
        let full = single.full_action(acts[i] as i64).unwrap();
        let (r, te, tr) = single.step(full, sticky, &mut RngDraws(&mut rng));
        assert_eq!((b.reward[i], b.terminated[i], b.truncated[i]), (r as f64, te, tr));
        if te || tr {
            episodes += 1;
            single.game.write_obs(&mut o);
            assert_eq!(&b.final_obs[i * od..(i + 1) * od], &o[..], "final_obs is the finished episode's last obs");
            single = MinAtar::reset(config, &mut RngDraws(&mut rng));
            assert_eq!(v.env(i).unwrap().time, 0);
        }
        single.game.write_obs(&mut o);
        assert_eq!(&b.obs[i * od..(i + 1) * od], &o[..]);
        assert_eq!(v.env(i).unwrap().get_state(), single.get_state());
    }
    assert!(episodes >= 10, "random Breakout episodes are short ({episodes})");
}

#[test]
fn truncation_at_the_time_limit_resets_in_the_same_step() {
    let n = 2;
    let config = MinAtarConfig { sticky_action_prob: 0.0, ..MinAtarConfig::default() };
    let mut v = MinAtarVec::<Breakout>::with_config(n, 0, None, config).unwrap();
    let od = obs_len::<Breakout>();
    let mut b = Owned::<bool>::new(n, od);
    v.reset(Some(1), &mut b.obs);
    let mut state = v.env(1).unwrap().get_state();
    let last = state.len() - 1;
    state[last] = GameValue::Ints(vec![Breakout::MAX_EPISODE_STEPS - 1]);
    v.env_mut(1).unwrap().set_state(&state).unwrap();
    v.step(&[0, 0], b.bufs());
    assert_eq!((b.truncated[0], b.truncated[1]), (false, true));
    assert_eq!(v.env(1).unwrap().time, 0);
    assert_eq!(v.env(0).unwrap().time, 1);
}

#[test]
fn reseeding_reproduces_and_bad_input_is_rejected() {
    let config = MinAtarConfig::default();
    let mut v = MinAtarVec::<Breakout>::with_config(64, 3, Some(1), config).unwrap();
    let od = obs_len::<Breakout>();
    let (mut o1, mut o2) = (vec![false; 64 * od], vec![false; 64 * od]);
    v.reset(Some(9), &mut o1);
    let mut b = Owned::<bool>::new(64, od);
    v.step(&vec![RIGHT as u8; 64], b.bufs());
    v.reset(Some(9), &mut o2);
    assert_eq!(o1, o2);
    assert!(MinAtarVec::<Breakout>::with_config(0, 0, None, config).is_err());
    assert!(MinAtarVec::<Breakout>::with_config(4, 0, Some(0), config).is_err());
    let bad = MinAtarConfig { sticky_action_prob: 1.5, ..config };
    assert!(MinAtarVec::<Breakout>::with_config(4, 0, None, bad).is_err());
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.step(&vec![6u8; 64], b.bufs())));
    assert!(r.is_err(), "an action outside the set panics");
}

#[test]
fn an_action_outside_a_discrete_space_names_the_space_and_its_valid_actions_in_words() {
    assert_eq!(ActionSpace::Discrete(2).outside_message("action", 2), "action 2 is outside Discrete(2): valid actions are 0 and 1");
    assert_eq!(
        ActionSpace::Discrete(3).outside_message("actions[1] =", -1),
        "actions[1] = -1 is outside Discrete(3): valid actions are 0, 1 and 2"
    );
    assert_eq!(ActionSpace::Discrete(6).outside_message("action", 9), "action 9 is outside Discrete(6): valid actions are the integers 0 to 5");
    assert_eq!(super::integers_in_words(0, 0), "0");
    assert_eq!(super::integers_in_words(-6, -1), "the integers -6 to -1");
}
