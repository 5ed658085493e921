//! Core (no Python) throughput of the vector envs:
//! `cargo run --release --example bench_core -- [num_envs] [steps] [env threads]`
//!
//! With two arguments (or none) every classic-control env is run with 1 and 2
//! threads. With `env` (`cartpole`, `acrobot`, `mountaincar`, `mcc`,
//! `pendulum`) and `threads` as well (0: rayon's global pool, as the Python
//! classes' `num_threads=None`), only that env with that many threads,
//! printed as one `key=value` line (`ppo/rust_overhead.py` reads it): the same
//! statistic as the table, the best of 3 timed runs after a warm-up.
use envport_rust::classic_control::*;
use envport_rust::vector::{StepBuffers, VecEnv};
use std::time::Instant;

fn run<E: ClassicEnv>(
    n: usize,
    steps: usize,
    threads: Option<usize>,
    act: impl Fn(u64) -> E::Action,
) -> f64 {
    let mut v = VecEnv::<Classic<E>>::new(n, 0, threads).unwrap();
    let od = E::OBS_DIM;
    let (mut obs, mut fin) = (vec![0f32; n * od], vec![0f32; n * od]);
    let (mut rew, mut te, mut tr) = (vec![0f64; n], vec![false; n], vec![false; n]);
    v.reset(None, &mut obs);
    // 64 pre-drawn random action batches
    let mut x = 0x9E3779B97F4A7C15u64;
    let pool: Vec<Vec<E::Action>> = (0..64)
        .map(|_| {
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    act(x)
                })
                .collect()
        })
        .collect();
    let mut best = 0.0f64;
    for rep in 0..4 {
        let t0 = Instant::now();
        for s in 0..steps {
            v.step(
                &pool[s & 63],
                StepBuffers {
                    obs: &mut obs,
                    reward: &mut rew,
                    terminated: &mut te,
                    truncated: &mut tr,
                    final_obs: &mut fin,
                    mask: &mut [],
                },
            );
        }
        let sps = (n * steps) as f64 / t0.elapsed().as_secs_f64();
        if rep > 0 {
            best = best.max(sps);
        }
    }
    best
}

/// One env with one thread count (0: `None`, rayon's global pool), as a `key=value` line.
fn single(name: &str, n: usize, steps: usize, threads: usize) {
    let th = (threads > 0).then_some(threads);
    let sps = match name {
        "cartpole" => run::<CartPole>(n, steps, th, |x| (x & 1) as u32),
        "acrobot" => run::<Acrobot>(n, steps, th, |x| (x % 3) as u32),
        "mountaincar" => run::<MountainCar>(n, steps, th, |x| (x % 3) as u32),
        "mcc" => run::<MountainCarContinuous>(n, steps, th, |x| ((x >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0) as f32),
        "pendulum" => run::<Pendulum>(n, steps, th, |x| ((x >> 11) as f64 / (1u64 << 53) as f64 * 6.0 - 3.0) as f32),
        _ => {
            eprintln!("bench_core: unknown env {name:?}; use cartpole, acrobot, mountaincar, mcc or pendulum");
            std::process::exit(2);
        }
    };
    println!("env={name} num_envs={n} threads={threads} steps_per_s={sps:.0} us_per_batch_step={:.3}", n as f64 / sps * 1e6);
}

fn main() {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, default: usize| -> usize {
        raw.get(i).map_or(default, |a| {
            a.parse().unwrap_or_else(|_| {
                eprintln!("bench_core: argument {} must be a positive integer, got {a:?}", i + 1);
                std::process::exit(2)
            })
        })
    };
    let n = num(0, 512);
    let steps = num(1, 20000);
    if let Some(name) = raw.get(2) {
        return single(name, n, steps, num(3, 2));
    }
    for th in [Some(1), Some(2)] {
        let m = |x: f64| x / 1e6;
        println!("threads={th:?} CartPole {:.2} Acrobot {:.2} MountainCar {:.2} MCC {:.2} Pendulum {:.2}  (M steps/s)",
            m(run::<CartPole>(n, steps, th, |x| (x & 1) as u32)),
            m(run::<Acrobot>(n, steps / 10, th, |x| (x % 3) as u32)),
            m(run::<MountainCar>(n, steps, th, |x| (x % 3) as u32)),
            m(run::<MountainCarContinuous>(n, steps, th, |x| ((x >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0) as f32)),
            m(run::<Pendulum>(n, steps, th, |x| ((x >> 11) as f64 / (1u64 << 53) as f64 * 6.0 - 3.0) as f32)),
        );
    }
}
