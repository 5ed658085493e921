//! [`BlockPool`]: the block-claiming executor of every vector env.
//!
//! A parallel step (at least [`PAR_THRESHOLD`] envs and more than one
//! thread) cuts the batch into blocks of contiguous envs that threads claim
//! one at a time from a shared atomic counter, the calling thread from the
//! front and the helpers from the back: when the helpers keep up, every
//! thread steps the same envs each step, which stay in its core's cache
//! (claiming in one order moved the envs between cores from step to step;
//! measured 20-35M against 33-41M steps/s for 1024 MinAtar Breakout envs
//! through Python on 2 cores). `num_threads - 1` helper jobs are spawned on
//! rayon (a dedicated `ThreadPool` when `num_threads` is given, else the
//! global pool). The caller only ever waits for blocks a helper has already
//! claimed, never for a helper to wake up: when helpers are late (asleep, or
//! the machine is busy) the caller simply steps every block itself, so a
//! parallel step is never much slower than a serial one. Rayon boxes one
//! small job per helper (`spawn`).
//!
//! A helper job does not end with its step: it lingers, spinning on the
//! claim counter for up to [`LINGER`], and steps the next epoch's blocks too
//! if one starts meanwhile; the owner spawns jobs only for helpers that are
//! not lingering. Between two steps called from Python (about 0.5 us of
//! interpreter), a helper back in rayon's idle loop called `sched_yield`,
//! and on the shared VM that gave its core to another process for a time
//! slice: the caller then stepped every block itself (`docs/benchmarks.md`,
//! *Rust through Python*).

use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Minimum batch size for parallel stepping.
pub const PAR_THRESHOLD: usize = 256;

/// How long a helper job waits, spinning, for the next epoch after its
/// blocks are done (see the module docs).
const LINGER: Duration = Duration::from_micros(30);

/// A type-erased call `f(block)` of the current epoch: `data` points to the
/// owner's closure, `call` is the trampoline of the closure's type.
#[derive(Clone, Copy)]
struct BlockCall {
    data: *const (),
    call: unsafe fn(*const (), usize),
}

/// # Safety
/// `data` must point to a live `F`.
unsafe fn call_block<F: Fn(usize) + Sync>(data: *const (), b: usize) {
    (*(data as *const F))(b)
}

/// State shared between a pool's owner and its helper jobs; lives as long as
/// the last helper job (`Arc`), while the job pointer is only dereferenced by
/// a thread that claimed a block of the current epoch.
struct Shared {
    /// high 32 bits: epoch (run number); bits 16-31: one past the last
    /// unclaimed block (`back`); bits 0-15: the first unclaimed block
    /// (`front`). Blocks `front..back` are unclaimed.
    claim: AtomicU64,
    /// blocks finished in the current epoch
    done: AtomicUsize,
    /// a block panicked
    panicked: AtomicBool,
    /// helper jobs alive (working or lingering), so the owner spawns only the missing ones
    helpers: AtomicUsize,
    job: UnsafeCell<Option<BlockCall>>,
}

// SAFETY: `job` is written only by the owning thread between epochs, when
// every block of the previous epoch is done (so no helper holds a claim), and
// before the new epoch is published with a Release store of `claim`; helpers
// read it only after winning a claim for the current epoch (Acquire CAS).
// The closure it points to stays borrowed by the owner until all blocks of
// the epoch are done, and is `Sync`.
unsafe impl Sync for Shared {}
unsafe impl Send for Shared {}

impl Shared {
    fn new() -> Self {
        Shared {
            claim: AtomicU64::new(0),
            done: AtomicUsize::new(0),
            panicked: AtomicBool::new(false),
            helpers: AtomicUsize::new(0),
            job: UnsafeCell::new(None),
        }
    }

    /// Claim and run blocks of `epoch` until none is left, the owner from
    /// the front, helpers from the back: when the helpers keep up, each
    /// thread steps the same envs every step (they stay in its core's
    /// cache). Returns the number of blocks this thread ran.
    fn work(&self, epoch: u32, from_back: bool) -> usize {
        let mut count = 0;
        let mut cur = self.claim.load(Ordering::Acquire);
        loop {
            if (cur >> 32) as u32 != epoch {
                return count;
            }
            let (front, back) = (cur & 0xFFFF, (cur >> 16) & 0xFFFF);
            if front >= back {
                return count;
            }
            let (idx, next) = if from_back {
                (back - 1, cur - (1 << 16))
            } else {
                (front, cur + 1)
            };
            let idx = idx as usize;
            match self.claim.compare_exchange_weak(
                cur,
                next,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    // SAFETY: we own block `idx` of the current epoch, whose
                    // job was published before the epoch; the owner waits for
                    // this block before touching `job` or the data again.
                    let job = unsafe { (*self.job.get()).expect("job published before claims") };
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unsafe {
                        (job.call)(job.data, idx)
                    }));
                    if r.is_err() {
                        self.panicked.store(true, Ordering::Release);
                    }
                    self.done.fetch_add(1, Ordering::AcqRel);
                    count += 1;
                    cur = self.claim.load(Ordering::Acquire);
                }
                Err(actual) => cur = actual,
            }
        }
    }

    /// A helper job: claim blocks of `epoch` from the back, then of every
    /// later epoch that starts within [`LINGER`] of the last one's end; then
    /// leave (`helpers` counts this job until then).
    fn help(&self, mut epoch: u32) {
        loop {
            self.work(epoch, true);
            let since = Instant::now();
            let mut spins = 0u32;
            loop {
                let e = (self.claim.load(Ordering::Acquire) >> 32) as u32;
                if e != epoch {
                    epoch = e;
                    break;
                }
                std::hint::spin_loop();
                spins += 1;
                if spins % 64 == 0 && since.elapsed() > LINGER {
                    // counted out before the last look: an epoch published after it spawns a new job
                    self.helpers.fetch_sub(1, Ordering::AcqRel);
                    return;
                }
            }
        }
    }
}

enum Exec {
    Serial,
    Global,
    Pool(rayon::ThreadPool),
}

/// Runs the blocks of one batched step on the calling thread and
/// `threads - 1` rayon helpers (see the module docs). Used by
/// [`VecEnv`](super::VecEnv), for every family.
pub(crate) struct BlockPool {
    exec: Exec,
    threads: usize,
    shared: Arc<Shared>,
    epoch: u32,
}

/// Busy-wait iterations before the caller starts yielding its time slice
/// while waiting for blocks still being stepped by helpers.
const SPIN_LIMIT: u32 = 1 << 14;

impl BlockPool {
    /// `num_threads`: `None` uses rayon's global pool (as many threads as it
    /// has), `Some(1)` runs serially on the calling thread, `Some(k)` builds
    /// a dedicated pool of `k - 1` helper threads; in both parallel cases the
    /// calling thread runs blocks too.
    pub(crate) fn new(num_threads: Option<usize>) -> Result<Self, String> {
        let (exec, threads) = match num_threads {
            Some(0) => {
                return Err("num_threads must be >= 1 (or None for rayon's global pool)".into())
            }
            Some(1) => (Exec::Serial, 1),
            Some(k) => {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(k - 1)
                    .thread_name(|i| format!("envport-vec-{i}"))
                    .build()
                    .map_err(|e| {
                        format!("could not build a thread pool of {} threads: {e}", k - 1)
                    })?;
                (Exec::Pool(pool), k)
            }
            None => {
                let t = rayon::current_num_threads();
                (if t > 1 { Exec::Global } else { Exec::Serial }, t)
            }
        };
        Ok(BlockPool {
            exec,
            threads,
            shared: Arc::new(Shared::new()),
            epoch: 0,
        })
    }

    /// Helper jobs alive (working or lingering), for tests.
    #[cfg(test)]
    pub(crate) fn helpers_alive(&self) -> usize {
        self.shared.helpers.load(Ordering::Acquire)
    }

    /// Threads used for a parallel step, the caller included (1 = serial).
    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    /// Whether a batch of `n` envs is stepped in parallel.
    pub(crate) fn parallel_for(&self, n: usize) -> bool {
        n >= PAR_THRESHOLD && self.threads > 1 && !matches!(self.exec, Exec::Serial)
    }

    /// Block size and block count for `n` envs: about four blocks per
    /// thread, at least 32 envs each.
    pub(crate) fn blocks_for(&self, n: usize) -> (usize, usize) {
        let block = (n / (self.threads * 4)).clamp(32, 4096);
        (block, n.div_ceil(block))
    }

    /// Call `f(b)` exactly once for every block `b` in `0..nblocks`, on this
    /// thread and the helpers, and return when every call is done. A panic
    /// in any call is re-raised here once all blocks are done.
    pub(crate) fn run<F: Fn(usize) + Sync>(&mut self, nblocks: usize, f: &F) {
        assert!(nblocks <= 0xFFFF, "too many blocks");
        if matches!(self.exec, Exec::Serial) {
            (0..nblocks).for_each(f);
            return;
        }
        self.epoch = self.epoch.wrapping_add(1);
        let epoch = self.epoch;
        let shared = &*self.shared;
        let job = BlockCall {
            data: f as *const F as *const (),
            call: call_block::<F>,
        };
        // SAFETY: every block of the previous epoch is done (we waited for
        // them), so no helper reads `job` now; see `Shared`.
        unsafe { *shared.job.get() = Some(job) };
        shared.done.store(0, Ordering::Relaxed);
        shared.panicked.store(false, Ordering::Relaxed);
        // publish the new epoch with every block unclaimed (front 0, back nblocks)
        shared.claim.store(((epoch as u64) << 32) | ((nblocks as u64) << 16), Ordering::Release);
        // jobs for the helpers that are not lingering; one that leaves just after this count was
        // taken costs this step its help (the caller claims every block nobody else did), nothing else
        let missing = (self.threads - 1).saturating_sub(shared.helpers.load(Ordering::Acquire));
        for _ in 0..missing {
            shared.helpers.fetch_add(1, Ordering::AcqRel);
            let sh = Arc::clone(&self.shared);
            let helper = move || sh.help(epoch);
            match &self.exec {
                Exec::Pool(pool) => pool.spawn(helper),
                Exec::Global => rayon::spawn(helper),
                Exec::Serial => unreachable!(),
            }
        }
        shared.work(epoch, false);
        // wait for blocks claimed by helpers that are still running
        let mut spins = 0u32;
        while shared.done.load(Ordering::Acquire) < nblocks {
            if spins < SPIN_LIMIT {
                std::hint::spin_loop();
                spins += 1;
            } else {
                std::thread::yield_now();
            }
        }
        // close the epoch so late helpers cannot claim anything
        shared
            .claim
            .store(((epoch as u64) << 32) | 0xFFFF_FFFF, Ordering::Release);
        if shared.panicked.load(Ordering::Acquire) {
            panic!(
                "an environment panicked during a parallel step (see the message printed above)"
            );
        }
    }
}

