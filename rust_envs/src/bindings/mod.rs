//! The Python module `envport_rust` (built with the `python` feature): a thin
//! PyO3 layer over the plain-Rust core.
//!
//! # Adding an environment
//!
//! ONE line in `python_envs!` below, `family Type => SingleClass, VecClass;`,
//! once the environment's type exists in its family's folder
//! (`src/<family>/`, with the family's `pub use` of the type):
//!
//! ```text
//! classic_control CartPole => CartPole, CartPoleVec;
//! minatar Breakout => MinAtarBreakout, MinAtarBreakoutVec;
//! games Brinewatch => Brinewatch, BrinewatchVec;
//! ```
//!
//! The line makes both classes (from the family's macro, `classic_control!`
//! or `minatar!`, on top of the shared `env_classes!`) and adds them to the
//! module. The port's metadata names the classes (`Port.rust_classes`) and the
//! module (`Port.rust_source`) for the Python side.
//!
//! # A new family
//!
//! A folder `src/<family>/` with the family's trait and a type implementing
//! [`Env`](crate::vector::Env) (observation element and shape, action element
//! and space, config, reset, step, state); here a file `<family>.rs` with its
//! [`PyEnv`](common::PyEnv) impl (state dicts, attributes), its single-env
//! core, and a macro `<family>!` that calls `env_classes!` with the
//! constructors and the family's own methods; then one line per environment.
//!
//! # Behaviour every class shares
//!
//! * Every error is a Python exception: `TypeError` for wrong types/dtypes,
//!   `ValueError` for wrong shapes and out-of-range actions, `KeyError` for
//!   bad state-dict keys, `IndexError` for env indices, `RuntimeError` for
//!   stepping before a reset and for any Rust panic (caught with
//!   `catch_unwind`, so a bug can never abort the interpreter).
//! * Vector envs own their numpy buffers, allocated once; `reset`/`step`
//!   write into them with the GIL released and return those same arrays
//!   (see [`vector`]).

use std::panic::catch_unwind;

use pyo3::prelude::*;

#[macro_use]
mod classes;
pub(crate) mod common;
pub(crate) mod vector;
#[macro_use]
pub(crate) mod classic_control;
#[macro_use]
pub(crate) mod minatar;
#[macro_use]
#[allow(unused_macros, dead_code)] // the list may hold no game yet
pub(crate) mod games;

use common::{guard, panic_to_err};

/// The classes of every environment and `register_envs`, which adds them to
/// the module; `MINATAR_GAMES` lists the games of the `minatar` lines.
macro_rules! python_envs {
    ($($family:ident $ty:ident => $single:ident, $vec:ident;)*) => {
        $( $family!($ty, $single, $vec); )*

        fn register_envs(m: &Bound<'_, PyModule>) -> PyResult<()> {
            $(
                m.add_class::<$single>()?;
                m.add_class::<$vec>()?;
            )*
            let minatar_games: Vec<&'static str> = [$( python_envs!(@minatar_name $family $ty) ),*]
                .into_iter()
                .flatten()
                .collect();
            m.add("MINATAR_GAMES", minatar_games)?;
            Ok(())
        }
    };
    (@minatar_name minatar $ty:ident) => {
        Some(<crate::minatar::$ty as crate::minatar::MinAtarGame>::NAME)
    };
    (@minatar_name $family:ident $ty:ident) => {
        None::<&'static str>
    };
}

// THE LIST: one line per environment, `family Type => SingleClass, VecClass;`.
python_envs! {
    classic_control CartPole => CartPole, CartPoleVec;
    classic_control Acrobot => Acrobot, AcrobotVec;
    classic_control MountainCar => MountainCar, MountainCarVec;
    classic_control MountainCarContinuous => MountainCarContinuous, MountainCarContinuousVec;
    classic_control Pendulum => Pendulum, PendulumVec;
    minatar Breakout => MinAtarBreakout, MinAtarBreakoutVec;
    minatar Freeway => MinAtarFreeway, MinAtarFreewayVec;
    minatar Asterix => MinAtarAsterix, MinAtarAsterixVec;
    minatar SpaceInvaders => MinAtarSpaceInvaders, MinAtarSpaceInvadersVec;
    minatar Seaquest => MinAtarSeaquest, MinAtarSeaquestVec;
    // games (src/games/): one line per game, `games Type => Single, Vec;`
    games RlcardUno => RlcardUno, RlcardUnoVec;
    games RlcardLeducHoldem => RlcardLeducHoldem, RlcardLeducHoldemVec;
    games RlcardLimitHoldem => RlcardLimitHoldem, RlcardLimitHoldemVec;
    games Brinewatch => Brinewatch, BrinewatchVec;
}

// Turn-based games seen from seat 0 for training (`crate::games::Seated`): `Type => VecClass;`.
seated_games! {
    RlcardUno => RlcardUnoSeatedVec;
    RlcardLeducHoldem => RlcardLeducHoldemSeatedVec;
    RlcardLimitHoldem => RlcardLimitHoldemSeatedVec;
}

/// Test hook: panic inside Rust (with the GIL held, or released when
/// `detached`); the panic must surface as a `RuntimeError`.
#[pyfunction]
#[pyo3(signature = (detached = false))]
fn _debug_panic(py: Python<'_>, detached: bool) -> PyResult<()> {
    guard(|| {
        if detached {
            py.detach(|| catch_unwind(|| -> () { panic!("debug panic (GIL released)") }))
                .map_err(panic_to_err)?;
        } else {
            panic!("debug panic");
        }
        Ok(())
    })
}

#[pymodule]
fn envport_rust(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_debug_panic, m)?)?;
    register_envs(m)?;
    register_seated(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("PAR_THRESHOLD", crate::vector::PAR_THRESHOLD)?;
    m.add("AUTORESET_MODE", "same_step")?;
    Ok(())
}
