//! The vector core every family shares: [`Env`], what one environment of any
//! family provides, and [`VecEnv`], `N` of them stepped together.
//!
//! * `N` environments, each with its own [`Rng`] seeded from `(seed, i)`, so
//!   results never depend on the number of threads or on how the batch is
//!   split: env `i` of a batch of 300 behaves exactly like env `i` of a batch
//!   of 7 with the same seed and actions.
//! * [`VecEnv::step`] writes into caller-provided buffers ([`StepBuffers`]);
//!   nothing is allocated per step.
//! * Auto-reset mode is Gymnasium's `AutoresetMode.SAME_STEP`: when env `i`
//!   terminates or truncates, it is reset inside the same `step` call;
//!   `obs[i]` holds the first observation of the new episode and
//!   `final_obs[i]` the last observation of the finished one. Rows of envs
//!   that did not finish: see [`Env::FINAL_OBS_EVERY_ROW`].
//! * Large batches are stepped in parallel by `BlockPool` (see `pool.rs`):
//!   blocks of contiguous envs claimed by the calling thread and rayon helpers.
//!
//! # A family
//!
//! A family (classic control, MinAtar, ...) wraps its own trait's types in a
//! type implementing [`Env`] (`Classic<E>`, `MinAtar<G>`): the observation's
//! element type and shape, the action element type and space, settings
//! shared by a batch ([`Env::Config`]), reset from the env's own generator,
//! step, and the state as one value ([`Env::State`]). The Python classes of
//! every family are built on the same core (`src/bindings/`).
//!
//! # Legal-action masks
//!
//! An env with a discrete action space may declare a legal-action mask
//! ([`Env::HAS_MASK`], [`Env::write_mask`]). Its batch then has one more
//! output buffer, [`StepBuffers::mask`] (`[N, n]` bools), which every step
//! fills for the returned state (after an auto-reset: the new episode's
//! first state), and [`VecEnv::write_masks`] gives the masks after a reset.
//! For the families without a mask the buffer is empty and the branch is
//! compiled out (`HAS_MASK` is a constant).

mod pool;
#[cfg(test)]
mod tests;

pub(crate) use pool::BlockPool;
pub use pool::PAR_THRESHOLD;

use crate::rng::Rng;

/// The action space of an environment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ActionSpace {
    /// Actions are integers in `0..n`.
    Discrete(u32),
    /// Actions are float32 vectors of length `dim`; `low`/`high` are the
    /// nominal bounds of the Gymnasium space (the envs clip or accept values
    /// outside exactly as the reference does, they are not enforced).
    Box { low: f32, high: f32, dim: usize },
}

impl ActionSpace {
    /// The space as Gymnasium prints it: `Discrete(2)`, `Box(-2.0, 2.0, (1,), float32)`.
    pub fn gymnasium_repr(&self) -> String {
        match *self {
            ActionSpace::Discrete(n) => format!("Discrete({n})"),
            ActionSpace::Box { low, high, dim } => format!("Box({low:?}, {high:?}, ({dim},), float32)"),
        }
    }

    /// The message of a discrete action `value` outside the space (`what`: `action`, `actions[3]`), naming the
    /// space as Gymnasium prints it and its valid actions in words: "action 2 is outside Discrete(2): valid
    /// actions are 0 and 1".
    pub fn outside_message(&self, what: &str, value: impl std::fmt::Display) -> String {
        match *self {
            ActionSpace::Discrete(n) => format!(
                "{what} {value} is outside {}: valid actions are {}",
                self.gymnasium_repr(),
                integers_in_words(0, n as i64 - 1)
            ),
            ActionSpace::Box { .. } => format!("{what} {value} is outside {}", self.gymnasium_repr()),
        }
    }
}

/// `low..=high` as a reader says it: "0", "0 and 1", "0, 1 and 2", "the integers 0 to 5".
pub fn integers_in_words(low: i64, high: i64) -> String {
    match high - low {
        d if d < 0 => "none".to_string(),
        0 => format!("{low}"),
        1 => format!("{low} and {high}"),
        2 => format!("{low}, {} and {high}", low + 1),
        _ => format!("the integers {low} to {high}"),
    }
}

/// One action as the core stores it: a discrete index (`u8`, `u32`) or a
/// continuous component (`f32`).
pub trait Action: Copy + Default + Send + Sync + 'static {
    /// Index of the first action outside `space`, if any. Continuous actions
    /// are never out of range (the envs clip them as the reference does).
    fn first_invalid(actions: &[Self], space: ActionSpace) -> Option<usize>;
}

macro_rules! discrete_action {
    ($($t:ty),*) => {$(
        impl Action for $t {
            #[inline]
            fn first_invalid(actions: &[Self], space: ActionSpace) -> Option<usize> {
                let n = match space {
                    ActionSpace::Discrete(n) => n as u64,
                    ActionSpace::Box { .. } => return None,
                };
                // the largest action, in one pass without an early exit (vectorised)
                let top = actions.iter().fold(0, |m: $t, &a| m.max(a));
                if (top as u64) < n {
                    None
                } else {
                    actions.iter().position(|&a| a as u64 >= n)
                }
            }
        }
    )*};
}
discrete_action!(u8, u32);

impl Action for f32 {
    #[inline]
    fn first_invalid(_actions: &[Self], _space: ActionSpace) -> Option<usize> {
        None
    }
}

/// The uniformly random legal action of the benchmarks' rule: with `c` legal
/// actions in `mask` and `u` uniform in `[0, 1)`, the `floor(u * c)`-th legal
/// action (counting from 0, in index order); 0 when none is legal. numpy and
/// JAX apply the same rule (`ppo/bench.py`), so every backend's random legal
/// actions follow one distribution.
pub fn uniform_legal(mask: &[bool], u: f64) -> usize {
    let c = mask.iter().filter(|&&b| b).count();
    if c == 0 {
        return 0;
    }
    let k = ((u * c as f64) as usize).min(c - 1);
    mask.iter().enumerate().filter(|&(_, &b)| b).nth(k).map_or(0, |(i, _)| i)
}

/// Number of elements of an observation of shape `shape`.
pub const fn shape_len(shape: &[usize]) -> usize {
    let (mut n, mut i) = (1, 0);
    while i < shape.len() {
        n *= shape[i];
        i += 1;
    }
    n
}

/// [`Env::OUT_OF_SPACE_ACTION`]`= Some(OUT_OF_SPACE_ID)`: an integer outside the
/// space is not replaced by one action but reaches the env as `id as i32 as u32`.
pub const OUT_OF_SPACE_ID: u32 = u32::MAX;

/// The action a Python integer `v` outside a `Discrete` space becomes under
/// `outside` ([`Env::OUT_OF_SPACE_ACTION`]), or `None` where it is refused.
pub fn outside_action(v: i128, outside: Option<u32>) -> Option<u32> {
    match outside {
        Some(OUT_OF_SPACE_ID) => i32::try_from(v).ok().map(|id| id as u32),
        other => other,
    }
}

/// What the vector core (and the Python classes) need from one environment
/// of any family. Plain Rust: nothing here knows about Python.
pub trait Env: Clone + Send + Sync + 'static {
    /// Element of an observation: `f32` (classic control), `bool` (MinAtar).
    type Obs: Copy + Default + Send + Sync + 'static;
    /// Shape of one observation (row-major), e.g. `[4]` or `[10, 10, 4]`.
    const OBS_SHAPE: &'static [usize];
    /// Elements of one observation.
    const OBS_LEN: usize = shape_len(Self::OBS_SHAPE);
    /// One action as stored in the batch's action buffer.
    type Action: Action;
    /// Settings every env of a batch shares, fixed at construction (`()` when none).
    type Config: Copy + Default + Send + Sync + 'static;
    /// The full state, as [`get_state`](Self::get_state) returns it.
    type State;
    /// `true`: `final_obs` rows are written for every env each step (equal to
    /// `obs` where no episode ended, so `final_obs` is always the true next
    /// observation). `false`: only for envs that finished in the step (the
    /// `terminated | truncated` mask, as Gymnasium's `_final_obs`); other rows
    /// keep stale data, which saves copying large observations every step.
    const FINAL_OBS_EVERY_ROW: bool;

    /// Check `config` (called once by [`VecEnv::with_config`]).
    fn validate_config(_config: &Self::Config) -> Result<(), String> {
        Ok(())
    }
    /// The action space under `config`.
    fn action_space(config: &Self::Config) -> ActionSpace;
    /// A new environment (its state before the first reset). `rng` is a
    /// scratch copy of the env's generator: what it draws is not consumed.
    fn create(config: &Self::Config, rng: &mut Rng) -> Self;
    /// Start a new episode with draws from `rng`.
    fn reset(&mut self, rng: &mut Rng);
    /// One step (no auto-reset) with a valid action and the env's generator
    /// for the step's draws. Returns `(reward, terminated, truncated)`.
    fn step(&mut self, action: Self::Action, rng: &mut Rng) -> (f64, bool, bool);
    /// Write the current observation (`out.len() == OBS_LEN`, all of it set).
    fn write_obs(&self, out: &mut [Self::Obs]);
    /// `true`: the env has a legal-action mask over its `Discrete(n)` actions,
    /// written by [`write_mask`](Self::write_mask) into one more output buffer.
    const HAS_MASK: bool = false;
    /// Write the legal-action mask of the current state (`out.len() == n`, all
    /// of it set; `true` = legal). Called only when [`HAS_MASK`](Self::HAS_MASK).
    fn write_mask(&self, _out: &mut [bool]) {}
    /// The action an integer outside the `Discrete(n)` space stands for, where
    /// the env's own rules define one (Brinewatch's: any integer that is
    /// not a legal action, out-of-range ones included, is END_TURN = 0). `None`
    /// (every other env): the Python classes refuse such an action with
    /// `ValueError`, since their references refuse it too. `Some(OUT_OF_SPACE_ID)`:
    /// the integer itself reaches the env, as the bit pattern of an `i32`
    /// (UNO's port plays the (id mod c)-th of the c legal ids for any id);
    /// integers beyond `i32` are refused.
    const OUT_OF_SPACE_ACTION: Option<u32> = None;
    /// The full state.
    fn get_state(&self) -> Self::State;
    /// Overwrite the full state; on error the env is left unchanged.
    fn set_state(&mut self, state: &Self::State) -> Result<(), String>;
}

/// The error of a state given as `got` values where the fields `names` are expected.
pub fn wrong_count(names: &[&str], got: usize) -> String {
    format!("expected {} state values ({}), got {got}", names.len(), names.join(", "))
}

/// Output buffers of one vector step; observations row-major `[N, OBS_LEN]`.
pub struct StepBuffers<'a, O> {
    pub obs: &'a mut [O],
    pub reward: &'a mut [f64],
    pub terminated: &'a mut [bool],
    pub truncated: &'a mut [bool],
    /// Every row, or only rows of envs that finished: see [`Env::FINAL_OBS_EVERY_ROW`].
    pub final_obs: &'a mut [O],
    /// Legal-action masks `[N, n]` of the returned states when [`Env::HAS_MASK`];
    /// empty otherwise.
    pub mask: &'a mut [bool],
}

#[derive(Clone, Debug)]
struct Slot<E> {
    env: E,
    rng: Rng,
}

/// Step `slots` serially (one action each), writing rows of `b`.
///
/// Where the CPU has AVX2 the loop runs in a copy compiled for it (writing a
/// MinAtar observation, the larger part of a cheap game's step, then takes
/// half the stores). The copy computes the same results: no fused
/// multiply-add, which Rust never introduces on its own, and the same libm.
#[inline]
fn step_serial<E: Env>(slots: &mut [Slot<E>], actions: &[E::Action], b: StepBuffers<'_, E::Obs>) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { step_serial_avx2(slots, actions, b) };
    }
    step_serial_any(slots, actions, b)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn step_serial_avx2<E: Env>(slots: &mut [Slot<E>], actions: &[E::Action], b: StepBuffers<'_, E::Obs>) {
    step_serial_any(slots, actions, b)
}

#[inline(always)]
fn step_serial_any<E: Env>(slots: &mut [Slot<E>], actions: &[E::Action], b: StepBuffers<'_, E::Obs>) {
    let od = E::OBS_LEN;
    // mask row length (0 without a mask; the branch below is then compiled out)
    let m = if E::HAS_MASK { b.mask.len() / slots.len().max(1) } else { 0 };
    let mut mask_rows = b.mask.chunks_exact_mut(m.max(1));
    let rows = slots
        .iter_mut()
        .zip(actions)
        .zip(b.obs.chunks_exact_mut(od))
        .zip(b.final_obs.chunks_exact_mut(od))
        .zip(b.reward.iter_mut())
        .zip(b.terminated.iter_mut().zip(b.truncated.iter_mut()));
    for (((((slot, &a), obs), fobs), rew), (term, trunc)) in rows {
        let (r, te, tr) = slot.env.step(a, &mut slot.rng);
        if E::FINAL_OBS_EVERY_ROW {
            slot.env.write_obs(fobs);
            if te || tr {
                slot.env.reset(&mut slot.rng);
                slot.env.write_obs(obs);
            } else {
                obs.copy_from_slice(fobs);
            }
        } else {
            if te || tr {
                slot.env.write_obs(fobs);
                slot.env.reset(&mut slot.rng);
            }
            slot.env.write_obs(obs);
        }
        if E::HAS_MASK {
            slot.env.write_mask(mask_rows.next().expect("mask buffer has a row per env"));
        }
        *rew = r;
        *term = te;
        *trunc = tr;
    }
}

/// Raw view of one step's inputs and outputs, shared with helper threads.
struct Job<E: Env> {
    slots: *mut Slot<E>,
    actions: *const E::Action,
    obs: *mut E::Obs,
    reward: *mut f64,
    terminated: *mut bool,
    truncated: *mut bool,
    final_obs: *mut E::Obs,
    mask: *mut bool,
    /// mask row length (0 without a mask)
    m: usize,
    n: usize,
    block: usize,
}

// SAFETY: a `Job` is only used through `run_block`, and `BlockPool::run` hands
// every block index to exactly one thread; blocks are disjoint ranges of envs
// and rows, so concurrent calls never touch the same memory.
unsafe impl<E: Env> Sync for Job<E> {}

impl<E: Env> Job<E> {
    /// Step block `b`.
    ///
    /// # Safety
    /// The pointers must be valid for the current step and block `b` must be
    /// claimed by exactly one thread (blocks are disjoint ranges of envs and
    /// rows).
    unsafe fn run_block(&self, b: usize) {
        let start = b * self.block;
        let len = self.block.min(self.n - start);
        let od = E::OBS_LEN;
        let slots = std::slice::from_raw_parts_mut(self.slots.add(start), len);
        let actions = std::slice::from_raw_parts(self.actions.add(start), len);
        let bufs = StepBuffers {
            obs: std::slice::from_raw_parts_mut(self.obs.add(start * od), len * od),
            reward: std::slice::from_raw_parts_mut(self.reward.add(start), len),
            terminated: std::slice::from_raw_parts_mut(self.terminated.add(start), len),
            truncated: std::slice::from_raw_parts_mut(self.truncated.add(start), len),
            final_obs: std::slice::from_raw_parts_mut(self.final_obs.add(start * od), len * od),
            mask: std::slice::from_raw_parts_mut(self.mask.add(start * self.m), len * self.m),
        };
        step_serial(slots, actions, bufs);
    }
}

/// `N` environments of type `E` stepped together (see the module docs).
pub struct VecEnv<E: Env> {
    slots: Vec<Slot<E>>,
    config: E::Config,
    space: ActionSpace,
    pool: BlockPool,
    needs_reset: bool,
}

impl<E: Env> VecEnv<E> {
    /// [`with_config`](Self::with_config) with the default config.
    pub fn new(num_envs: usize, seed: u64, num_threads: Option<usize>) -> Result<Self, String> {
        Self::with_config(num_envs, seed, num_threads, E::Config::default())
    }

    /// `num_envs` envs, env `i` on the generator `Rng::new(seed, i)`.
    /// `num_threads`: `None` uses rayon's global pool (as many threads as it
    /// has), `Some(1)` steps serially on the calling thread, `Some(k)` builds
    /// a dedicated pool of `k - 1` helper threads; in both parallel cases the
    /// calling thread steps blocks too.
    pub fn with_config(
        num_envs: usize,
        seed: u64,
        num_threads: Option<usize>,
        config: E::Config,
    ) -> Result<Self, String> {
        if num_envs == 0 {
            return Err("num_envs must be >= 1".into());
        }
        if num_envs > u32::MAX as usize {
            return Err("num_envs is too large".into());
        }
        E::validate_config(&config)?;
        if E::HAS_MASK && !matches!(E::action_space(&config), ActionSpace::Discrete(_)) {
            return Err("a legal-action mask needs a Discrete action space".into());
        }
        let pool = BlockPool::new(num_threads)?;
        let slots = (0..num_envs)
            .map(|i| {
                let rng = Rng::new(seed, i as u64);
                Slot { env: E::create(&config, &mut rng.clone()), rng }
            })
            .collect();
        Ok(VecEnv { slots, config, space: E::action_space(&config), pool, needs_reset: true })
    }

    pub fn num_envs(&self) -> usize {
        self.slots.len()
    }

    /// Number of threads used for large batches (1 = serial), the caller included.
    pub fn num_threads(&self) -> usize {
        self.pool.threads()
    }

    pub fn config(&self) -> E::Config {
        self.config
    }

    pub fn action_space(&self) -> ActionSpace {
        self.space
    }

    /// Number of discrete actions (0 for a continuous space).
    pub fn num_actions(&self) -> usize {
        match self.space {
            ActionSpace::Discrete(n) => n as usize,
            ActionSpace::Box { .. } => 0,
        }
    }

    /// Length of one env's row of the mask buffer: the number of actions when
    /// [`Env::HAS_MASK`], else 0.
    pub fn mask_len(&self) -> usize {
        if E::HAS_MASK {
            self.num_actions()
        } else {
            0
        }
    }

    /// No `reset` yet since construction.
    pub fn needs_reset(&self) -> bool {
        self.needs_reset
    }

    /// Reset every env. With `Some(seed)` the per-env generators are re-seeded
    /// from `(seed, i)` first; with `None` they continue their streams.
    /// Writes the first observations into `obs` (`[N, OBS_LEN]`).
    pub fn reset(&mut self, seed: Option<u64>, obs: &mut [E::Obs]) {
        assert_eq!(obs.len(), self.slots.len() * E::OBS_LEN, "obs buffer has the wrong length");
        for (i, (slot, o)) in self.slots.iter_mut().zip(obs.chunks_exact_mut(E::OBS_LEN)).enumerate() {
            if let Some(s) = seed {
                slot.rng = Rng::new(s, i as u64);
            }
            slot.env.reset(&mut slot.rng);
            slot.env.write_obs(o);
        }
        self.needs_reset = false;
    }

    /// Step every env with its action. Panics on an action outside the
    /// action space (unless the env takes such ids: `OUT_OF_SPACE_ID`) or a
    /// buffer of the wrong length (the bindings check both first).
    pub fn step(&mut self, actions: &[E::Action], bufs: StepBuffers<'_, E::Obs>) {
        let n = self.slots.len();
        let od = E::OBS_LEN;
        assert_eq!(actions.len(), n, "actions has the wrong length");
        assert!(
            bufs.obs.len() == n * od
                && bufs.final_obs.len() == n * od
                && bufs.reward.len() == n
                && bufs.terminated.len() == n
                && bufs.truncated.len() == n
                && bufs.mask.len() == self.mask_len() * n,
            "output buffer has the wrong length"
        );
        // an env that reads ids outside its space itself (OUT_OF_SPACE_ID) takes any u32
        if !matches!(E::OUT_OF_SPACE_ACTION, Some(OUT_OF_SPACE_ID)) {
            if let Some(i) = E::Action::first_invalid(actions, self.space) {
                panic!("actions[{i}] is outside {}", self.space.gymnasium_repr());
            }
        }
        if !self.pool.parallel_for(n) {
            step_serial(&mut self.slots, actions, bufs);
            return;
        }
        let (block, nblocks) = self.pool.blocks_for(n);
        let job = Job::<E> {
            slots: self.slots.as_mut_ptr(),
            actions: actions.as_ptr(),
            obs: bufs.obs.as_mut_ptr(),
            reward: bufs.reward.as_mut_ptr(),
            terminated: bufs.terminated.as_mut_ptr(),
            truncated: bufs.truncated.as_mut_ptr(),
            final_obs: bufs.final_obs.as_mut_ptr(),
            mask: bufs.mask.as_mut_ptr(),
            m: self.mask_len(),
            n,
            block,
        };
        // SAFETY: the pool calls each block once; blocks are disjoint and the
        // borrowed buffers outlive `run`.
        self.pool.run(nblocks, &|b| unsafe { job.run_block(b) });
    }

    /// Write the current observations (`[N, OBS_LEN]`).
    pub fn write_obs(&self, obs: &mut [E::Obs]) {
        for (slot, o) in self.slots.iter().zip(obs.chunks_exact_mut(E::OBS_LEN)) {
            slot.env.write_obs(o);
        }
    }

    /// Write the current legal-action masks (`[N, mask_len()]`; nothing
    /// without a mask). After [`reset`](Self::reset) these are the first states' masks.
    pub fn write_masks(&self, mask: &mut [bool]) {
        let m = self.mask_len();
        assert_eq!(mask.len(), self.slots.len() * m, "mask buffer has the wrong length");
        if m == 0 {
            return;
        }
        for (slot, row) in self.slots.iter().zip(mask.chunks_exact_mut(m)) {
            slot.env.write_mask(row);
        }
    }

    /// Env `i`.
    pub fn env(&self, i: usize) -> Option<&E> {
        self.slots.get(i).map(|s| &s.env)
    }

    /// Env `i`, mutable (its state can be overwritten; its generator stays).
    pub fn env_mut(&mut self, i: usize) -> Option<&mut E> {
        self.slots.get_mut(i).map(|s| &mut s.env)
    }

    pub fn get_state(&self, i: usize) -> Result<E::State, String> {
        self.env(i).map(E::get_state).ok_or_else(|| self.index_error(i))
    }

    /// Overwrite the state of env `i`; on error nothing changes.
    pub fn set_state(&mut self, i: usize, state: &E::State) -> Result<(), String> {
        let n = self.slots.len();
        let slot = self.slots.get_mut(i).ok_or_else(|| format!("env index {i} out of range for {n} envs"))?;
        slot.env.set_state(state)
    }

    fn index_error(&self, i: usize) -> String {
        format!("env index {i} out of range for {} envs", self.slots.len())
    }
}
