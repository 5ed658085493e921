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
    mask: Vec<bool>,
}

impl<O: Copy + Default> Owned<O> {
    fn new(n: usize, od: usize) -> Self {
        Owned {
            obs: vec![O::default(); n * od],
            reward: vec![0.0; n],
            terminated: vec![false; n],
            truncated: vec![false; n],
            final_obs: vec![O::default(); n * od],
            mask: vec![],
        }
    }
    fn bufs(&mut self) -> StepBuffers<'_, O> {
        StepBuffers {
            obs: &mut self.obs,
            reward: &mut self.reward,
            terminated: &mut self.terminated,
            truncated: &mut self.truncated,
            final_obs: &mut self.final_obs,
            mask: &mut self.mask,
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

// ---------------------------------------------------------------------------
// legal-action masks

/// A tiny masked env: a marker at `pos` in 0..=4 and `Discrete(4)` actions:
/// 0 stay (always legal), 1 right (legal below 4), 2 left (legal above 0),
/// 3 back to 0 (legal from 2). An illegal action is taken as 0 (as Brinewatch
/// does). Reaching 4 terminates; 6 steps truncate. A reset puts the marker at
/// a random 0..3, so a row that auto-resets gets another mask than its final state.
#[derive(Clone, Debug, PartialEq)]
struct Dial {
    pos: i64,
    time: i64,
}

impl Dial {
    fn legal(pos: i64) -> [bool; 4] {
        [true, pos < 4, pos > 0, pos >= 2]
    }
}

impl Env for Dial {
    type Obs = f32;
    const OBS_SHAPE: &'static [usize] = &[2];
    type Action = u8;
    type Config = ();
    type State = (i64, i64);
    const FINAL_OBS_EVERY_ROW: bool = true;
    const HAS_MASK: bool = true;

    fn action_space(_: &()) -> ActionSpace {
        ActionSpace::Discrete(4)
    }
    fn create(_: &(), _rng: &mut Rng) -> Self {
        Dial { pos: 0, time: 0 }
    }
    fn reset(&mut self, rng: &mut Rng) {
        *self = Dial { pos: rng.integer(0, 3), time: 0 };
    }
    fn step(&mut self, action: u8, _rng: &mut Rng) -> (f64, bool, bool) {
        let a = if Dial::legal(self.pos)[action as usize] { action } else { 0 };
        self.pos = match a {
            1 => self.pos + 1,
            2 => self.pos - 1,
            3 => 0,
            _ => self.pos,
        };
        self.time += 1;
        (self.pos as f64, self.pos == 4, self.time >= 6)
    }
    fn write_obs(&self, out: &mut [f32]) {
        out[0] = self.pos as f32;
        out[1] = self.time as f32;
    }
    fn write_mask(&self, out: &mut [bool]) {
        out.copy_from_slice(&Dial::legal(self.pos));
    }
    fn get_state(&self) -> (i64, i64) {
        (self.pos, self.time)
    }
    fn set_state(&mut self, s: &(i64, i64)) -> Result<(), String> {
        if !(0..=4).contains(&s.0) {
            return Err(format!("pos must be in 0..=4, got {}", s.0));
        }
        *self = Dial { pos: s.0, time: s.1 };
        Ok(())
    }
}

fn masked_owned(n: usize) -> Owned<f32> {
    let mut b = Owned::<f32>::new(n, 2);
    b.mask = vec![false; n * 4];
    b
}

/// The mask buffer as each env's state says it should be.
fn expected_masks(v: &VecEnv<Dial>) -> Vec<bool> {
    (0..v.num_envs()).flat_map(|i| Dial::legal(v.env(i).unwrap().pos)).collect()
}

/// Every step's (obs, mask, terminated, truncated) of `n` Dials.
fn run_dial(n: usize, threads: Option<usize>, steps: usize) -> Vec<(Vec<f32>, Vec<bool>, Vec<bool>, Vec<bool>)> {
    let mut v = VecEnv::<Dial>::new(n, 9, threads).unwrap();
    let mut b = masked_owned(n);
    v.reset(None, &mut b.obs);
    v.write_masks(&mut b.mask);
    let mut out = vec![(b.obs.clone(), b.mask.clone(), b.terminated.clone(), b.truncated.clone())];
    for t in 0..steps {
        v.step(&minatar_actions(t, n, 4), b.bufs());
        assert_eq!(b.mask, expected_masks(&v), "step {t}: the mask is the returned state's");
        out.push((b.obs.clone(), b.mask.clone(), b.terminated.clone(), b.truncated.clone()));
    }
    out
}

#[test]
fn masks_follow_reset_and_every_step_including_autoreset() {
    let n = 16;
    let mut v = VecEnv::<Dial>::new(n, 3, Some(1)).unwrap();
    assert_eq!(v.mask_len(), 4);
    let mut b = masked_owned(n);
    v.reset(None, &mut b.obs);
    v.write_masks(&mut b.mask);
    assert_eq!(b.mask, expected_masks(&v));
    let mut finished_rows = 0;
    for t in 0..40 {
        v.step(&vec![1u8; n], b.bufs()); // always right: terminates at 4, resets at 0..3
        for i in 0..n {
            let row = &b.mask[i * 4..(i + 1) * 4];
            let pos = b.obs[i * 2] as i64;
            assert_eq!(row, &Dial::legal(pos)[..], "step {t} env {i}");
            if b.terminated[i] {
                finished_rows += 1;
                assert_eq!(b.final_obs[i * 2], 4.0);
                assert!(pos < 3 && row[1], "a reset row holds the new episode's mask, not the final state's");
            }
        }
    }
    assert!(finished_rows > 50);
}

#[test]
fn masks_do_not_depend_on_threads() {
    let a = run_dial(300, Some(1), 30);
    assert_eq!(a, run_dial(300, Some(2), 30));
    assert_eq!(a, run_dial(300, None, 30));
    // the masks vary: rows with an illegal action and rows with all legal
    let rows: Vec<&[bool]> = a.iter().flat_map(|(_, m, _, _)| m.chunks(4)).collect();
    assert!(rows.iter().any(|r| r.contains(&false)) && rows.iter().any(|r| !r.contains(&false)));
}

#[test]
fn mask_buffers_are_checked() {
    let mut v = VecEnv::<Dial>::new(4, 0, Some(1)).unwrap();
    let mut b = Owned::<f32>::new(4, 2); // no mask rows for a masked env
    v.reset(None, &mut b.obs);
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.step(&[0u8; 4], b.bufs())));
    assert!(r.is_err());
    // an env without a mask takes no mask buffer and writes none
    let mut c = VecEnv::<Classic<CartPole>>::new(3, 0, Some(1)).unwrap();
    assert_eq!(c.mask_len(), 0);
    let mut cb = Owned::<f32>::new(3, 4);
    c.reset(None, &mut cb.obs);
    c.write_masks(&mut cb.mask);
    c.step(&[0u32; 3], cb.bufs());
    cb.mask = vec![false; 6];
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.step(&[0u32; 3], cb.bufs())));
    assert!(r.is_err());
}

#[test]
fn uniform_legal_picks_the_kth_legal_action() {
    let mask = [false, true, false, true, true];
    assert_eq!(uniform_legal(&mask, 0.0), 1);
    assert_eq!(uniform_legal(&mask, 0.34), 3);
    assert_eq!(uniform_legal(&mask, 0.67), 4);
    assert_eq!(uniform_legal(&mask, 1.0 - 1e-16), 4);
    assert_eq!(uniform_legal(&[false; 3], 0.5), 0);
    // uniform over the legal ones
    let mut counts = [0usize; 5];
    for i in 0..30000 {
        counts[uniform_legal(&mask, (i as f64 + 0.5) / 30000.0)] += 1;
    }
    assert_eq!(counts, [0, 10000, 0, 10000, 10000]);
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

/// Helper jobs linger between steps (pool.rs): every block still runs exactly
/// once per step, no more than `threads - 1` helper jobs are ever alive, and
/// they leave once no step comes.
#[test]
fn lingering_helpers_run_every_block_once_and_leave() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    for threads in [Some(2), Some(3), None] {
        let mut pool = BlockPool::new(threads).unwrap();
        let counts: Vec<AtomicUsize> = (0..16).map(|_| AtomicUsize::new(0)).collect();
        let rounds = 3000;
        for round in 0..rounds {
            pool.run(16, &|b| {
                counts[b].fetch_add(1, Ordering::Relaxed);
            });
            assert!(pool.helpers_alive() < pool.threads(), "{threads:?}: {} helper jobs", pool.helpers_alive());
            if round % 1000 == 999 {
                // long enough for the helpers to leave: the next steps spawn them again
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        assert!(counts.iter().all(|c| c.load(Ordering::Relaxed) == rounds), "{threads:?}");
        let start = std::time::Instant::now();
        while pool.helpers_alive() > 0 && start.elapsed().as_secs() < 5 {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(pool.helpers_alive(), 0, "{threads:?}: helpers still alive 5 s after the last step");
    }
}
