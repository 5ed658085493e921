//! Core (no Python) throughput of a games-family vector env with uniformly random legal
//! actions, as `envport bench` steps it (the mask buffer, `uniform_legal`):
//! `cargo run --release --example bench_games -- [num_envs] [steps] [threads]`
use envport_rust::games::Brinewatch;
use envport_rust::vector::{uniform_legal, Env, StepBuffers, VecEnv};
use std::time::Instant;

fn main() {
    let args: Vec<usize> = std::env::args().skip(1).map(|a| a.parse().expect("integer arguments")).collect();
    let n = args.first().copied().unwrap_or(2048);
    let steps = args.get(1).copied().unwrap_or(500);
    let threads = args.get(2).copied();
    let mut v = VecEnv::<Brinewatch>::new(n, 0, threads).unwrap();
    let (od, m) = (<Brinewatch as Env>::OBS_LEN, v.mask_len());
    let (mut obs, mut fin) = (vec![0i8; n * od], vec![0i8; n * od]);
    let (mut rew, mut te, mut tr) = (vec![0f64; n], vec![false; n], vec![false; n]);
    let mut mask = vec![false; n * m];
    v.reset(None, &mut obs);
    v.write_masks(&mut mask);
    let mut x = 0x9E3779B97F4A7C15u64;
    let u: Vec<f64> = (0..64 * n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        })
        .collect();
    let mut actions = vec![0u32; n];
    for rep in 0..4 {
        let (mut t_sample, t0) = (0.0, Instant::now());
        for s in 0..steps {
            let ts = Instant::now();
            for (i, a) in actions.iter_mut().enumerate() {
                *a = uniform_legal(&mask[i * m..(i + 1) * m], u[(s & 63) * n + i]) as u32;
            }
            t_sample += ts.elapsed().as_secs_f64();
            let bufs = StepBuffers { obs: &mut obs, reward: &mut rew, terminated: &mut te, truncated: &mut tr, final_obs: &mut fin, mask: &mut mask };
            v.step(&actions, bufs);
        }
        let total = t0.elapsed().as_secs_f64();
        println!(
            "rep {rep}: {:.2}M steps/s ({:.0} ns a step; sampling {:.0}%)",
            (n * steps) as f64 / total / 1e6,
            total * 1e9 / (n * steps) as f64,
            100.0 * t_sample / total
        );
    }
}
