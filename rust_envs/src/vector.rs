//! Batched vector environment, generic over [`ClassicEnv`].
//!
//! * `N` environments, each with its own [`Rng`] seeded from `(seed, i)`, so
//!   results never depend on the number of threads or on chunking.
//! * [`VecEnv::step`] writes into caller-provided buffers ([`StepBuffers`]) and
//!   allocates nothing.
//! * Auto-reset mode is Gymnasium's `AutoresetMode.SAME_STEP`: when env `i`
//!   terminates or truncates, it is reset inside the same `step` call;
//!   `obs[i]` holds the first observation of the new episode and
//!   `final_obs[i]` the last observation of the finished one. For envs that
//!   did not finish, `final_obs[i] == obs[i]` (so `final_obs` is always the
//!   true next observation s_{t+1}).
//! * With at least `PAR_THRESHOLD` envs and more than one thread, the batch
//!   is split into contiguous chunks stepped in parallel with rayon, on a
//!   dedicated pool when a thread count was given, else on rayon's global pool.

use crate::envs::{ClassicEnv, StateValue, MAX_RESET_DRAWS};
use crate::rng::Rng;

/// Minimum batch size for parallel stepping.
pub const PAR_THRESHOLD: usize = 256;

#[derive(Clone, Debug)]
struct Slot<E> {
    env: E,
    rng: Rng,
}

/// Output buffers of one vector step (row-major `[N, OBS_DIM]` for observations).
pub struct StepBuffers<'a> {
    pub obs: &'a mut [f32],
    pub reward: &'a mut [f64],
    pub terminated: &'a mut [bool],
    pub truncated: &'a mut [bool],
    pub final_obs: &'a mut [f32],
}

impl<'a> StepBuffers<'a> {
    fn split_at(self, envs: usize, obs_dim: usize) -> (StepBuffers<'a>, StepBuffers<'a>) {
        let (o1, o2) = self.obs.split_at_mut(envs * obs_dim);
        let (r1, r2) = self.reward.split_at_mut(envs);
        let (te1, te2) = self.terminated.split_at_mut(envs);
        let (tr1, tr2) = self.truncated.split_at_mut(envs);
        let (f1, f2) = self.final_obs.split_at_mut(envs * obs_dim);
        (
            StepBuffers { obs: o1, reward: r1, terminated: te1, truncated: tr1, final_obs: f1 },
            StepBuffers { obs: o2, reward: r2, terminated: te2, truncated: tr2, final_obs: f2 },
        )
    }
}

enum Exec {
    Serial,
    Global,
    Pool(rayon::ThreadPool),
}

pub struct VecEnv<E: ClassicEnv> {
    slots: Vec<Slot<E>>,
    exec: Exec,
    threads: usize,
    needs_reset: bool,
}

/// Step envs `slots` with `actions`, serially.
#[inline]
fn step_serial<E: ClassicEnv, A: Copy>(
    slots: &mut [Slot<E>],
    actions: &[A],
    conv: &(impl Fn(A) -> E::Action + Sync),
    b: StepBuffers<'_>,
) {
    let od = E::OBS_DIM;
    let rows = slots
        .iter_mut()
        .zip(actions)
        .zip(b.obs.chunks_exact_mut(od))
        .zip(b.final_obs.chunks_exact_mut(od))
        .zip(b.reward.iter_mut())
        .zip(b.terminated.iter_mut())
        .zip(b.truncated.iter_mut());
    for ((((((slot, &a), obs), fobs), rew), term), trunc) in rows {
        let (r, te, tr) = slot.env.step(conv(a));
        slot.env.write_obs(fobs);
        if te || tr {
            let mut draws = [0.0f64; MAX_RESET_DRAWS];
            let draws = &mut draws[..E::NUM_RESET_DRAWS];
            slot.rng.fill_f64(draws);
            slot.env.reset_det(draws);
            slot.env.write_obs(obs);
        } else {
            obs.copy_from_slice(fobs);
        }
        *rew = r;
        *term = te;
        *trunc = tr;
    }
}

/// Recursive split into `leaf`-sized chunks with `rayon::join` (no allocation).
fn step_par<E: ClassicEnv, A: Copy + Sync>(
    slots: &mut [Slot<E>],
    actions: &[A],
    conv: &(impl Fn(A) -> E::Action + Sync),
    b: StepBuffers<'_>,
    leaf: usize,
) {
    let n = slots.len();
    if n <= leaf {
        step_serial(slots, actions, conv, b);
        return;
    }
    let mid = n / 2;
    let (s1, s2) = slots.split_at_mut(mid);
    let (a1, a2) = actions.split_at(mid);
    let (b1, b2) = b.split_at(mid, E::OBS_DIM);
    rayon::join(|| step_par(s1, a1, conv, b1, leaf), || step_par(s2, a2, conv, b2, leaf));
}

impl<E: ClassicEnv> VecEnv<E> {
    /// `num_threads`: `None` uses rayon's global pool, `Some(1)` steps
    /// serially on the calling thread, `Some(k)` builds a dedicated pool of
    /// `k` threads.
    pub fn new(num_envs: usize, seed: u64, num_threads: Option<usize>) -> Result<Self, String> {
        if num_envs == 0 {
            return Err("num_envs must be >= 1".into());
        }
        let (exec, threads) = match num_threads {
            Some(0) => return Err("num_threads must be >= 1 (or None for rayon's global pool)".into()),
            Some(1) => (Exec::Serial, 1),
            Some(k) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(k)
                    .thread_name(|i| format!("envport-vec-{i}"))
                    .build()
                    .map_err(|e| format!("could not build a thread pool of {k} threads: {e}"))?;
                (Exec::Pool(pool), k)
            }
            None => (Exec::Global, rayon::current_num_threads()),
        };
        let slots = (0..num_envs).map(|i| Slot { env: E::new(), rng: Rng::new(seed, i as u64) }).collect();
        Ok(VecEnv { slots, exec, threads, needs_reset: true })
    }

    pub fn num_envs(&self) -> usize {
        self.slots.len()
    }

    /// Number of threads used for large batches (1 = serial).
    pub fn num_threads(&self) -> usize {
        self.threads
    }

    pub fn needs_reset(&self) -> bool {
        self.needs_reset
    }

    /// Reset every env. With `Some(seed)` the per-env generators are re-seeded
    /// from `(seed, i)` first; with `None` they continue their streams.
    /// Writes the first observations into `obs` (`[N, OBS_DIM]`).
    pub fn reset(&mut self, seed: Option<u64>, obs: &mut [f32]) {
        assert_eq!(obs.len(), self.slots.len() * E::OBS_DIM, "obs buffer has the wrong length");
        for (i, (slot, o)) in self.slots.iter_mut().zip(obs.chunks_exact_mut(E::OBS_DIM)).enumerate() {
            if let Some(s) = seed {
                slot.rng = Rng::new(s, i as u64);
            }
            let mut draws = [0.0f64; MAX_RESET_DRAWS];
            let draws = &mut draws[..E::NUM_RESET_DRAWS];
            slot.rng.fill_f64(draws);
            slot.env.reset_det(draws);
            slot.env.write_obs(o);
        }
        self.needs_reset = false;
    }

    /// Step every env with its action (`conv` maps the caller's action
    /// element type to the env's; actions must already be validated).
    /// Panics if a buffer has the wrong length.
    pub fn step<A: Copy + Sync>(
        &mut self,
        actions: &[A],
        conv: impl Fn(A) -> E::Action + Sync,
        bufs: StepBuffers<'_>,
    ) {
        let n = self.slots.len();
        let od = E::OBS_DIM;
        assert_eq!(actions.len(), n, "actions has the wrong length");
        assert!(
            bufs.obs.len() == n * od
                && bufs.final_obs.len() == n * od
                && bufs.reward.len() == n
                && bufs.terminated.len() == n
                && bufs.truncated.len() == n,
            "output buffer has the wrong length"
        );
        let threads = self.threads;
        if n < PAR_THRESHOLD || threads <= 1 {
            step_serial(&mut self.slots, actions, &conv, bufs);
            return;
        }
        let leaf = n.div_ceil(threads);
        let slots = &mut self.slots;
        match &self.exec {
            Exec::Serial => step_serial(slots, actions, &conv, bufs),
            Exec::Global => step_par(slots, actions, &conv, bufs, leaf),
            Exec::Pool(pool) => pool.install(|| step_par(slots, actions, &conv, bufs, leaf)),
        }
    }

    /// Write the current observations (`[N, OBS_DIM]`).
    pub fn write_obs(&self, obs: &mut [f32]) {
        for (slot, o) in self.slots.iter().zip(obs.chunks_exact_mut(E::OBS_DIM)) {
            slot.env.write_obs(o);
        }
    }

    pub fn env(&self, i: usize) -> Option<&E> {
        self.slots.get(i).map(|s| &s.env)
    }

    pub fn get_state(&self, i: usize) -> Result<Vec<StateValue>, String> {
        self.slots.get(i).map(|s| s.env.get_state()).ok_or_else(|| self.index_error(i))
    }

    pub fn set_state(&mut self, i: usize, values: &[StateValue]) -> Result<(), String> {
        let n = self.slots.len();
        let slot = self.slots.get_mut(i).ok_or_else(|| format!("env index {i} out of range for {n} envs"))?;
        slot.env.set_state(values)
    }

    fn index_error(&self, i: usize) -> String {
        format!("env index {i} out of range for {} envs", self.slots.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::{Acrobot, CartPole, MountainCar, MountainCarContinuous, Pendulum};

    struct Owned {
        obs: Vec<f32>,
        reward: Vec<f64>,
        terminated: Vec<bool>,
        truncated: Vec<bool>,
        final_obs: Vec<f32>,
    }

    impl Owned {
        fn new(n: usize, od: usize) -> Self {
            Owned {
                obs: vec![0.0; n * od],
                reward: vec![0.0; n],
                terminated: vec![false; n],
                truncated: vec![false; n],
                final_obs: vec![0.0; n * od],
            }
        }
        fn bufs(&mut self) -> StepBuffers<'_> {
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
                let x = (t as u64 * 1_000_003 + i as u64).wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((x >> 33) % k) as u32
            })
            .collect()
    }

    /// Run a discrete vector env and return every step's outputs.
    fn run_discrete<E: ClassicEnv<Action = u32>>(
        n: usize,
        threads: Option<usize>,
        steps: usize,
        k: u64,
    ) -> Vec<(Vec<f32>, Vec<f64>, Vec<bool>, Vec<bool>, Vec<f32>)> {
        let mut v = VecEnv::<E>::new(n, 123, threads).unwrap();
        let mut b = Owned::new(n, E::OBS_DIM);
        v.reset(None, &mut b.obs);
        let mut out = vec![];
        for t in 0..steps {
            let acts = lcg_actions(t, n, k);
            v.step(&acts, |a| a, b.bufs());
            out.push((b.obs.clone(), b.reward.clone(), b.terminated.clone(), b.truncated.clone(), b.final_obs.clone()));
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
    fn batch_independence() {
        // env i of a big batch behaves exactly like env i of a smaller batch with the same seed
        let big = run_discrete::<MountainCar>(300, Some(2), 250, 3);
        let small = run_discrete::<MountainCar>(300, Some(1), 250, 3);
        assert!(big == small);
        // and like a single env driven by hand with the same draws and actions
        let n = 8;
        let mut v = VecEnv::<CartPole>::new(n, 99, Some(1)).unwrap();
        let mut b = Owned::new(n, 4);
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
            v.step(&acts, |a| a, b.bufs());
            let (r, te, tr) = single.step(acts[i]);
            single.write_obs(&mut o);
            assert_eq!(&b.final_obs[i * 4..i * 4 + 4], &o, "final_obs is the last obs of the step");
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
        let mut v = VecEnv::<CartPole>::new(n, 0, None).unwrap();
        let mut b = Owned::new(n, 4);
        v.reset(Some(7), &mut b.obs);
        // put env 2 one step before the time limit, env 1 about to fall
        let mut s = v.get_state(2).unwrap();
        s[5] = StateValue::Int(499);
        v.set_state(2, &s).unwrap();
        v.set_state(
            1,
            &[
                StateValue::Float(2.399),
                StateValue::Float(1.0),
                StateValue::Float(0.0),
                StateValue::Float(0.0),
                StateValue::Int(-1),
                StateValue::Int(10),
            ],
        )
        .unwrap();
        v.step(&[0u32, 1, 0, 1], |a| a, b.bufs());
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
        let mut v = VecEnv::<Pendulum>::new(n, 5, Some(1)).unwrap();
        let mut o1 = vec![0.0; n * 3];
        let mut o2 = vec![0.0; n * 3];
        let mut o3 = vec![0.0; n * 3];
        v.reset(None, &mut o1);
        v.reset(None, &mut o2);
        assert_ne!(o1, o2, "unseeded reset continues the stream");
        v.reset(Some(5), &mut o3);
        assert_eq!(o1, o3, "re-seeding with the constructor seed restarts the stream");
        // rows differ from each other
        assert_ne!(&o1[0..3], &o1[3..6]);
    }

    #[test]
    fn continuous_envs_step_in_parallel_identically() {
        fn run<E: ClassicEnv<Action = f32>>(threads: Option<usize>) -> (Vec<f32>, Vec<f64>) {
            let n = 512;
            let mut v = VecEnv::<E>::new(n, 1, threads).unwrap();
            let mut b = Owned::new(n, E::OBS_DIM);
            v.reset(None, &mut b.obs);
            let mut rew = vec![];
            for t in 0..1100 {
                let acts: Vec<f32> = (0..n).map(|i| (((t * 31 + i * 17) % 41) as f32 - 20.0) / 8.0).collect();
                v.step(&acts, |a| a, b.bufs());
                rew.extend_from_slice(&b.reward);
            }
            (b.obs.clone(), rew)
        }
        assert_eq!(run::<Pendulum>(Some(1)), run::<Pendulum>(Some(2)));
        assert_eq!(run::<MountainCarContinuous>(Some(1)), run::<MountainCarContinuous>(Some(4)));
    }

    #[test]
    fn bad_construction() {
        assert!(VecEnv::<CartPole>::new(0, 0, None).is_err());
        assert!(VecEnv::<CartPole>::new(4, 0, Some(0)).is_err());
        let v = VecEnv::<CartPole>::new(4, 0, Some(2)).unwrap();
        assert!(v.get_state(4).is_err());
    }
}
