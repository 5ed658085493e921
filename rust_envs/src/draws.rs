//! Randomness and state values shared by the game families (MinAtar, `games`):
//! a game asks for each random number through a [`DrawSource`], by the index
//! of a declared draw ([`DrawDecl`]), so the same code runs from the env's own
//! generator ([`RngDraws`]) or from draws given from outside ([`GivenDraws`]:
//! the JAX translation's, in lockstep verification); its state is a list of
//! integer or boolean arrays ([`GameValue`]) described by [`GameField`]s.

use crate::rng::Rng;
use crate::vector::wrong_count;

/// What one draw is: a uniform float in `[0, 1)` or an integer in `[low, high)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DrawKind {
    Uniform,
    /// `numpy.random.RandomState.randint(low, high)`; for a range that depends on
    /// the state (Asterix's free slot) `high` is the largest possible bound and
    /// the game passes the actual bound to [`DrawSource::integer`].
    Integers { low: i64, high: i64 },
}

/// One declared draw: its name (as in the Python port's `DrawSpec`), kind and
/// number of elements (1 for a scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DrawDecl {
    pub name: &'static str,
    pub kind: DrawKind,
    pub len: usize,
}

/// Kind and shape of one game state field (`shape` empty for a scalar).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameField {
    pub name: &'static str,
    pub is_bool: bool,
    pub shape: &'static [usize],
}

impl GameField {
    pub const fn int(name: &'static str) -> Self {
        GameField { name, is_bool: false, shape: &[] }
    }
    pub const fn boolean(name: &'static str) -> Self {
        GameField { name, is_bool: true, shape: &[] }
    }
    pub const fn ints(name: &'static str, shape: &'static [usize]) -> Self {
        GameField { name, is_bool: false, shape }
    }
    pub const fn bools(name: &'static str, shape: &'static [usize]) -> Self {
        GameField { name, is_bool: true, shape }
    }
    /// Number of elements (1 for a scalar).
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }
}

/// Value of one field: the elements in row-major order (one for a scalar).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GameValue {
    Ints(Vec<i64>),
    Bools(Vec<bool>),
}

/// Where a game's random numbers come from; `draw` is an index into the
/// game's `STEP_DRAWS` (in `step`) or `RESET_DRAWS` (in `reset`).
pub trait DrawSource {
    /// Element `i` of uniform draw `draw`, in `[0, 1)`.
    fn uniform(&mut self, draw: usize, i: usize) -> f64;
    /// Element `i` of integer draw `draw`, in `[low, high)` (numpy's `randint(low, high)`).
    fn integer(&mut self, draw: usize, i: usize, low: i64, high: i64) -> i64;
}

/// Draws from the environment's own generator, produced only when asked for.
pub struct RngDraws<'a>(pub &'a mut Rng);

impl DrawSource for RngDraws<'_> {
    #[inline]
    fn uniform(&mut self, _draw: usize, _i: usize) -> f64 {
        self.0.next_f64()
    }
    #[inline]
    fn integer(&mut self, _draw: usize, _i: usize, low: i64, high: i64) -> i64 {
        self.0.integer(low, high)
    }
}

/// Draws given from outside: `values[draw][i]`, integers stored exactly as f64.
/// An integer outside `[low, high)` is a broken draw and panics with its name
/// (the bindings turn the panic into a Python error).
pub struct GivenDraws<'a> {
    pub decls: &'a [DrawDecl],
    pub values: &'a [Vec<f64>],
}

impl DrawSource for GivenDraws<'_> {
    fn uniform(&mut self, draw: usize, i: usize) -> f64 {
        self.values[draw][i]
    }
    fn integer(&mut self, draw: usize, i: usize, low: i64, high: i64) -> i64 {
        let v = self.values[draw][i] as i64;
        assert!(
            (low..high).contains(&v),
            "draw '{}'[{i}] = {v} is outside [{low}, {high})",
            self.decls[draw].name
        );
        v
    }
}

/// Wraps another source and keeps every value it answered, per draw and
/// element (`NaN` where nothing was asked): what a reset from the env's own
/// generator drew, for the draw-distribution check.
pub struct RecordingDraws<'a, S: DrawSource> {
    pub inner: S,
    pub record: &'a mut [Vec<f64>],
}

impl<S: DrawSource> DrawSource for RecordingDraws<'_, S> {
    fn uniform(&mut self, draw: usize, i: usize) -> f64 {
        let v = self.inner.uniform(draw, i);
        self.record[draw][i] = v;
        v
    }
    fn integer(&mut self, draw: usize, i: usize, low: i64, high: i64) -> i64 {
        let v = self.inner.integer(draw, i, low, high);
        self.record[draw][i] = v as f64;
        v
    }
}


/// Check the count, kinds and lengths of `values` against `fields`.
pub fn check_game_values(fields: &[GameField], values: &[GameValue]) -> Result<(), String> {
    if values.len() != fields.len() {
        return Err(wrong_count(&fields.iter().map(|f| f.name).collect::<Vec<_>>(), values.len()));
    }
    for (f, v) in fields.iter().zip(values) {
        let (is_bool, len) = match v {
            GameValue::Ints(x) => (false, x.len()),
            GameValue::Bools(x) => (true, x.len()),
        };
        if is_bool != f.is_bool {
            let want = if f.is_bool { "bool" } else { "int" };
            return Err(format!("state field '{}' must be {want}", f.name));
        }
        if len != f.len() {
            return Err(format!("state field '{}' must have shape {:?} ({} elements), got {len}", f.name, f.shape, f.len()));
        }
    }
    Ok(())
}

