//! Batched MinAtar games: [`MinAtarVec`], `N` games of one kind stepped together.
//!
//! * Env `i` owns its [`Rng`], seeded from `(seed, i)`: results never depend on
//!   the number of threads or on how the batch is split. The generator answers
//!   the sticky draw, the game's step draws (only those its events ask for:
//!   [`RngDraws`]) and the reset draws of auto-resets, in that order.
//! * [`MinAtarVec::step`] writes into caller-provided buffers ([`MinAtarBuffers`]);
//!   nothing is allocated per step.
//! * Auto-reset mode is Gymnasium's `AutoresetMode.SAME_STEP`: an env that
//!   terminates or truncates is reset inside the same `step`; `obs[i]` holds
//!   the new episode's first observation and `final_obs[i]` the finished
//!   episode's last one. Unlike the classic [`VecEnv`](crate::vector::VecEnv),
//!   rows of `final_obs` are written only for envs that finished in this step
//!   (the `terminated | truncated` mask, as Gymnasium's `_final_obs`); other rows
//!   keep stale data. An observation is 400+ bytes, and copying it for every env
//!   every step would cost as much as the game itself.
//! * Large batches are stepped in parallel by the crate's
//!   [`BlockPool`](crate::vector::BlockPool), as the classic vector env is.

use super::{MinAtar, MinAtarConfig, MinAtarGame, RngDraws, GRID, NUM_FULL_ACTIONS};
use crate::rng::Rng;
use crate::vector::BlockPool;

/// Output buffers of one step; observations are row-major `[N, 10, 10, C]`.
pub struct MinAtarBuffers<'a> {
    pub obs: &'a mut [bool],
    pub reward: &'a mut [f64],
    pub terminated: &'a mut [bool],
    pub truncated: &'a mut [bool],
    /// Written only for envs that finished in this step (see the module docs).
    pub final_obs: &'a mut [bool],
}

#[derive(Clone, Debug)]
struct Slot<G: MinAtarGame> {
    env: MinAtar<G>,
    rng: Rng,
}

/// Number of booleans in one observation of `G`.
pub const fn obs_len<G: MinAtarGame>() -> usize {
    GRID * GRID * G::CHANNELS
}

/// Step `slots` serially with `actions` (indices of `map`, the agent's action
/// set as full-map indices), writing rows of `b`.
///
/// Where the CPU has AVX2 the loop runs in a copy compiled for it: writing the
/// observations, the larger part of a cheap game's step, then takes half the
/// stores. The copy computes the same results (no fused multiply-add, which
/// Rust never introduces on its own).
fn step_serial<G: MinAtarGame>(slots: &mut [Slot<G>], actions: &[u8], map: &[u8], b: MinAtarBuffers<'_>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { step_serial_avx2(slots, actions, map, b) };
    }
    step_serial_any(slots, actions, map, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn step_serial_avx2<G: MinAtarGame>(slots: &mut [Slot<G>], actions: &[u8], map: &[u8], b: MinAtarBuffers<'_>) {
    step_serial_any(slots, actions, map, b)
}

#[inline(always)]
fn step_serial_any<G: MinAtarGame>(slots: &mut [Slot<G>], actions: &[u8], map: &[u8], b: MinAtarBuffers<'_>) {
    let od = obs_len::<G>();
    let rows = slots
        .iter_mut()
        .zip(actions)
        .zip(b.obs.chunks_exact_mut(od))
        .zip(b.final_obs.chunks_exact_mut(od))
        .zip(b.reward.iter_mut())
        .zip(b.terminated.iter_mut().zip(b.truncated.iter_mut()));
    for (((((slot, &a), obs), fobs), rew), (term, trunc)) in rows {
        let sticky = slot.rng.next_f64();
        let (r, te, tr) = slot.env.step(map[a as usize] as usize, sticky, &mut RngDraws(&mut slot.rng));
        if te || tr {
            slot.env.game.write_obs(fobs);
            let config = slot.env.config;
            slot.env = MinAtar::reset(config, &mut RngDraws(&mut slot.rng));
        }
        slot.env.game.write_obs(obs);
        *rew = r as f64;
        *term = te;
        *trunc = tr;
    }
}

/// Raw view of one step's inputs and outputs, shared with helper threads.
struct Job<G: MinAtarGame> {
    slots: *mut Slot<G>,
    actions: *const u8,
    map: *const [u8],
    obs: *mut bool,
    reward: *mut f64,
    terminated: *mut bool,
    truncated: *mut bool,
    final_obs: *mut bool,
    n: usize,
    block: usize,
}

// SAFETY: used only through `run_block`; `BlockPool::run` gives each block to
// exactly one thread and blocks are disjoint ranges of envs and rows.
unsafe impl<G: MinAtarGame> Sync for Job<G> {}

impl<G: MinAtarGame> Job<G> {
    /// # Safety
    /// The pointers must be valid for the current step and block `b` claimed
    /// by exactly one thread.
    unsafe fn run_block(&self, b: usize) {
        let start = b * self.block;
        let len = self.block.min(self.n - start);
        let od = obs_len::<G>();
        let slots = std::slice::from_raw_parts_mut(self.slots.add(start), len);
        let actions = std::slice::from_raw_parts(self.actions.add(start), len);
        let bufs = MinAtarBuffers {
            obs: std::slice::from_raw_parts_mut(self.obs.add(start * od), len * od),
            reward: std::slice::from_raw_parts_mut(self.reward.add(start), len),
            terminated: std::slice::from_raw_parts_mut(self.terminated.add(start), len),
            truncated: std::slice::from_raw_parts_mut(self.truncated.add(start), len),
            final_obs: std::slice::from_raw_parts_mut(self.final_obs.add(start * od), len * od),
        };
        step_serial(slots, actions, &*self.map, bufs);
    }
}

/// `N` games of kind `G`, each with its own generator; same-step auto-reset.
pub struct MinAtarVec<G: MinAtarGame> {
    slots: Vec<Slot<G>>,
    config: MinAtarConfig,
    /// The agent's action -> full-map index.
    action_map: Vec<u8>,
    pool: BlockPool,
    needs_reset: bool,
}

impl<G: MinAtarGame> MinAtarVec<G> {
    /// `num_threads` as for [`VecEnv::new`](crate::vector::VecEnv::new).
    pub fn new(num_envs: usize, seed: u64, num_threads: Option<usize>, config: MinAtarConfig) -> Result<Self, String> {
        if num_envs == 0 {
            return Err("num_envs must be >= 1".into());
        }
        if num_envs > u32::MAX as usize {
            return Err("num_envs is too large".into());
        }
        if !(0.0..=1.0).contains(&config.sticky_action_prob) {
            return Err(format!("sticky_action_prob must be in [0, 1], got {}", config.sticky_action_prob));
        }
        let pool = BlockPool::new(num_threads)?;
        let slots = (0..num_envs)
            .map(|i| {
                let mut rng = Rng::new(seed, i as u64);
                Slot { env: MinAtar::reset(config, &mut RngDraws(&mut rng)), rng: Rng::new(seed, i as u64) }
            })
            .collect();
        let action_map = if config.minimal_action_set {
            G::MINIMAL_ACTIONS.iter().map(|&a| a as u8).collect()
        } else {
            (0..NUM_FULL_ACTIONS as u8).collect()
        };
        Ok(MinAtarVec { slots, config, action_map, pool, needs_reset: true })
    }

    pub fn num_envs(&self) -> usize {
        self.slots.len()
    }

    /// Threads used for large batches (1 = serial), the caller included.
    pub fn num_threads(&self) -> usize {
        self.pool.threads()
    }

    pub fn config(&self) -> MinAtarConfig {
        self.config
    }

    /// Number of the agent's actions.
    pub fn num_actions(&self) -> usize {
        self.action_map.len()
    }

    pub fn needs_reset(&self) -> bool {
        self.needs_reset
    }

    /// Reset every env (re-seeding env `i` from `(seed, i)` first when `seed`
    /// is given; otherwise the streams continue). Writes `obs` (`[N, 10, 10, C]`).
    pub fn reset(&mut self, seed: Option<u64>, obs: &mut [bool]) {
        let od = obs_len::<G>();
        assert_eq!(obs.len(), self.slots.len() * od, "obs buffer has the wrong length");
        let config = self.config;
        for (i, (slot, o)) in self.slots.iter_mut().zip(obs.chunks_exact_mut(od)).enumerate() {
            if let Some(s) = seed {
                slot.rng = Rng::new(s, i as u64);
            }
            slot.env = MinAtar::reset(config, &mut RngDraws(&mut slot.rng));
            slot.env.game.write_obs(o);
        }
        self.needs_reset = false;
    }

    /// Step every env with its action, an index of the agent's action set
    /// (`0..num_actions()`). Panics on an action out of range or a buffer of
    /// the wrong length (the bindings check both first).
    pub fn step(&mut self, actions: &[u8], bufs: MinAtarBuffers<'_>) {
        let n = self.slots.len();
        let od = obs_len::<G>();
        assert_eq!(actions.len(), n, "actions has the wrong length");
        assert!(
            bufs.obs.len() == n * od
                && bufs.final_obs.len() == n * od
                && bufs.reward.len() == n
                && bufs.terminated.len() == n
                && bufs.truncated.len() == n,
            "output buffer has the wrong length"
        );
        let k = self.action_map.len();
        // the largest action, in one pass without an early exit (vectorised)
        let top = actions.iter().fold(0u8, |m, &a| m.max(a));
        assert!((top as usize) < k, "action {top} out of range for {k} actions");
        if self.pool.parallel_for(n) {
            let (block, nblocks) = self.pool.blocks_for(n);
            let job = Job::<G> {
                slots: self.slots.as_mut_ptr(),
                actions: actions.as_ptr(),
                map: &self.action_map[..] as *const [u8],
                obs: bufs.obs.as_mut_ptr(),
                reward: bufs.reward.as_mut_ptr(),
                terminated: bufs.terminated.as_mut_ptr(),
                truncated: bufs.truncated.as_mut_ptr(),
                final_obs: bufs.final_obs.as_mut_ptr(),
                n,
                block,
            };
            // SAFETY: each block is run once; blocks are disjoint and every
            // borrowed buffer outlives `run`.
            self.pool.run(nblocks, &|b| unsafe { job.run_block(b) });
        } else {
            step_serial(&mut self.slots, actions, &self.action_map, bufs);
        }
    }

    /// Write the current observations (`[N, 10, 10, C]`).
    pub fn write_obs(&self, obs: &mut [bool]) {
        for (slot, o) in self.slots.iter().zip(obs.chunks_exact_mut(obs_len::<G>())) {
            slot.env.game.write_obs(o);
        }
    }

    /// Env `i` (game, sticky state, step count).
    pub fn env(&self, i: usize) -> Option<&MinAtar<G>> {
        self.slots.get(i).map(|s| &s.env)
    }

    /// Env `i`, mutable (its state can be overwritten; its generator stays).
    pub fn env_mut(&mut self, i: usize) -> Option<&mut MinAtar<G>> {
        self.slots.get_mut(i).map(|s| &mut s.env)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::minatar::breakout::Breakout;
    use crate::minatar::{GameValue, RIGHT};

    struct Owned {
        obs: Vec<bool>,
        reward: Vec<f64>,
        terminated: Vec<bool>,
        truncated: Vec<bool>,
        final_obs: Vec<bool>,
    }

    impl Owned {
        fn new(n: usize, od: usize) -> Self {
            Owned {
                obs: vec![false; n * od],
                reward: vec![0.0; n],
                terminated: vec![false; n],
                truncated: vec![false; n],
                final_obs: vec![false; n * od],
            }
        }
        fn bufs(&mut self) -> MinAtarBuffers<'_> {
            MinAtarBuffers {
                obs: &mut self.obs,
                reward: &mut self.reward,
                terminated: &mut self.terminated,
                truncated: &mut self.truncated,
                final_obs: &mut self.final_obs,
            }
        }
    }

    fn actions(t: usize, n: usize, k: u64) -> Vec<u8> {
        (0..n)
            .map(|i| {
                let x = (t as u64 * 1_000_003 + i as u64).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) % k) as u8
            })
            .collect()
    }

    type Record = (Vec<bool>, Vec<f64>, Vec<bool>, Vec<bool>);

    fn run(n: usize, threads: Option<usize>, steps: usize, config: MinAtarConfig) -> Vec<Record> {
        let mut v = MinAtarVec::<Breakout>::new(n, 11, threads, config).unwrap();
        let mut b = Owned::new(n, obs_len::<Breakout>());
        v.reset(None, &mut b.obs);
        let k = v.num_actions() as u64;
        (0..steps)
            .map(|t| {
                v.step(&actions(t, n, k), b.bufs());
                (b.obs.clone(), b.reward.clone(), b.terminated.clone(), b.truncated.clone())
            })
            .collect()
    }

    #[test]
    fn thread_count_does_not_change_results() {
        let config = MinAtarConfig::default();
        let a = run(300, Some(1), 400, config);
        assert_eq!(a, run(300, Some(2), 400, config));
        assert_eq!(a, run(300, Some(3), 400, config));
        assert_eq!(a, run(300, None, 400, config));
        // and episodes really end and restart in that window
        assert!(a.iter().map(|r| r.2.iter().filter(|&&x| x).count()).sum::<usize>() > 300);
    }

    #[test]
    fn same_step_autoreset_matches_a_single_env_on_the_same_stream() {
        let n = 6;
        let config = MinAtarConfig { minimal_action_set: true, ..MinAtarConfig::default() };
        let mut v = MinAtarVec::<Breakout>::new(n, 5, Some(1), config).unwrap();
        let od = obs_len::<Breakout>();
        let mut b = Owned::new(n, od);
        v.reset(Some(8), &mut b.obs);
        let i = 4;
        let mut rng = Rng::new(8, i as u64);
        let mut single = MinAtar::<Breakout>::reset(config, &mut RngDraws(&mut rng));
        let mut o = vec![false; od];
        single.game.write_obs(&mut o);
        assert_eq!(&b.obs[i * od..(i + 1) * od], &o[..]);
        let mut episodes = 0;
        for t in 0..3000 {
            let acts = actions(t, n, 3);
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
        let mut v = MinAtarVec::<Breakout>::new(n, 0, None, config).unwrap();
        let od = obs_len::<Breakout>();
        let mut b = Owned::new(n, od);
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
        let mut v = MinAtarVec::<Breakout>::new(64, 3, Some(1), config).unwrap();
        let od = obs_len::<Breakout>();
        let (mut o1, mut o2) = (vec![false; 64 * od], vec![false; 64 * od]);
        v.reset(Some(9), &mut o1);
        let mut b = Owned::new(64, od);
        v.step(&vec![RIGHT as u8; 64], b.bufs());
        v.reset(Some(9), &mut o2);
        assert_eq!(o1, o2);
        assert!(MinAtarVec::<Breakout>::new(0, 0, None, config).is_err());
        assert!(MinAtarVec::<Breakout>::new(4, 0, Some(0), config).is_err());
        let bad = MinAtarConfig { sticky_action_prob: 1.5, ..config };
        assert!(MinAtarVec::<Breakout>::new(4, 0, None, bad).is_err());
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| v.step(&vec![6u8; 64], b.bufs())));
        assert!(r.is_err(), "an action outside the set panics");
    }
}
