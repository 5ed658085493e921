//! Core (no Python) throughput of the MinAtar vector env, random actions:
//! `cargo run --release --example bench_minatar -- [num_envs] [steps] [sticky_action_prob] [gap_us]`
//! (defaults 1024, 2000, 0.0, 0). `gap_us` busy-waits that long between steps, as a Python caller's own
//! work between calls does (the helper threads then wait for the next step); only the steps are timed.
//! Prints steps/s for 1 thread, 2 threads (a dedicated pool) and rayon's global pool, best of 3 timed
//! repetitions after a warm-up.
use envport_rust::minatar::{obs_len, Breakout, MinAtarConfig, MinAtarGame, MinAtarVec};
use envport_rust::vector::StepBuffers;
use std::time::{Duration, Instant};

fn run<G: MinAtarGame>(n: usize, steps: usize, threads: Option<usize>, config: MinAtarConfig, gap: Duration) -> f64 {
    let mut v = MinAtarVec::<G>::with_config(n, 0, threads, config).unwrap();
    let od = obs_len::<G>();
    let (mut obs, mut fin) = (vec![false; n * od], vec![false; n * od]);
    let (mut rew, mut te, mut tr) = (vec![0f64; n], vec![false; n], vec![false; n]);
    v.reset(None, &mut obs);
    let k = v.num_actions() as u64;
    // 64 pre-drawn random action batches
    let mut x = 0x9E3779B97F4A7C15u64;
    let pool: Vec<Vec<u8>> = (0..64)
        .map(|_| {
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % k) as u8
                })
                .collect()
        })
        .collect();
    let mut best = 0.0f64;
    for rep in 0..4 {
        // only the steps are timed, not the gaps between them
        let mut stepping = Duration::ZERO;
        for s in 0..steps {
            let bufs = StepBuffers { obs: &mut obs, reward: &mut rew, terminated: &mut te, truncated: &mut tr, final_obs: &mut fin, mask: &mut [] };
            let t0 = Instant::now();
            v.step(&pool[s & 63], bufs);
            stepping += t0.elapsed();
            let t = Instant::now();
            while t.elapsed() < gap {
                std::hint::spin_loop();
            }
        }
        let sps = (n * steps) as f64 / stepping.as_secs_f64();
        if rep > 0 {
            best = best.max(sps);
        }
    }
    best
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n: usize = args.first().map_or(1024, |a| a.parse().unwrap());
    let steps: usize = args.get(1).map_or(2000, |a| a.parse().unwrap());
    let sticky: f64 = args.get(2).map_or(0.0, |a| a.parse().unwrap());
    let gap = Duration::from_micros(args.get(3).map_or(0, |a| a.parse().unwrap()));
    let config = MinAtarConfig { sticky_action_prob: sticky, ..MinAtarConfig::default() };
    println!("rayon threads: {}", rayon::current_num_threads());
    for (label, threads) in [("1 thread", Some(1)), ("2 threads (own pool)", Some(2)), ("all threads (rayon's pool)", None)] {
        let sps = run::<Breakout>(n, steps, threads, config, gap);
        println!("breakout n={n} sticky={sticky} gap={gap:?} {label}: {:.2}M steps/s", sps / 1e6);
    }
}
