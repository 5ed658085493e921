"""PPO trainers and throughput benchmarks."""
