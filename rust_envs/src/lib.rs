//! envport_rust: exact Rust ports of reinforcement-learning environments, by
//! family, with one batched, multi-threaded vector core shared by all of them.
//!
//! * [`classic_control`]: the five Gymnasium classic-control environments
//!   (CartPole-v1, Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0,
//!   Pendulum-v1), trait [`ClassicEnv`], wrapped for the core as [`Classic<E>`].
//! * [`minatar`]: the five MinAtar games (Asterix, Breakout, Freeway,
//!   Seaquest, Space Invaders), trait [`minatar::MinAtarGame`], wrapped as
//!   [`minatar::MinAtar<G>`].
//! * [`vector`]: the family-independent core: trait [`Env`] (what one
//!   environment of any family provides) and [`VecEnv<E>`] (same-step
//!   auto-reset, preallocated buffers, per-env generators, blocks of envs
//!   stepped on rayon threads).
//! * [`rng`]: xoshiro256++, one stream per `(seed, env index)`.
//!
//! All of that is plain Rust. The Python extension module (`bindings`, built
//! with the `python` feature by maturin) is a thin PyO3 layer on top, where
//! each environment is one line of a list (see `src/bindings/mod.rs`).

pub mod classic_control;
pub mod draws;
pub mod games;
pub mod minatar;
pub mod rng;
pub mod vector;

#[cfg(feature = "python")]
mod bindings;

pub use classic_control::{
    Acrobot, ActionSpace, CartPole, Classic, ClassicEnv, Field, FieldKind, MountainCar,
    MountainCarContinuous, Pendulum, StateValue,
};
pub use vector::{Env, StepBuffers, VecEnv};
