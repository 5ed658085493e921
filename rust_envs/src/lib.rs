//! envport_rust: exact Rust ports of the Gymnasium classic-control
//! environments (CartPole-v1, Acrobot-v1, MountainCar-v0,
//! MountainCarContinuous-v0, Pendulum-v1) with a batched, multi-threaded
//! vector environment.
//!
//! The core ([`envs`], [`vector`], [`rng`]) is plain Rust. The Python
//! extension module (`bindings`, built with the `python` feature by maturin)
//! is a thin PyO3 layer on top.

pub mod envs;
pub mod minatar;
pub mod rng;
pub mod vector;

#[cfg(feature = "python")]
mod bindings;
#[cfg(feature = "python")]
mod minatar_bindings;

pub use envs::{
    Acrobot, ActionSpace, CartPole, ClassicEnv, Field, FieldKind, MountainCar,
    MountainCarContinuous, Pendulum, StateValue,
};
pub use vector::{StepBuffers, VecEnv};
