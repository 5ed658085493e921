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
    /// Draw `draw` as a uniformly random permutation of `0..out.len()` (numpy's
    /// `permutation(n)`), written into `out`. Draws given from outside hold the
    /// permutation itself; the env's own generator shuffles (Fisher-Yates, from
    /// `integer`), which is this default.
    fn permutation(&mut self, draw: usize, out: &mut [usize]) {
        for (i, v) in out.iter_mut().enumerate() {
            *v = i;
        }
        for i in (1..out.len()).rev() {
            let j = self.integer(draw, i, 0, i as i64 + 1) as usize;
            out.swap(i, j);
        }
    }
    /// Row `row` of draw `draw`, a draw of shape `(rows, n)` holding one
    /// permutation of `0..n` per row (`n == out.len()`; UNO's reshuffles after
    /// a flipped wild_draw_4), written into `out`. Draws given from outside
    /// hold the permutation in elements `row * n .. (row + 1) * n`; the env's
    /// own generator shuffles (Fisher-Yates), which is this default.
    fn permutation_row(&mut self, draw: usize, row: usize, out: &mut [usize]) {
        let n = out.len();
        for (i, v) in out.iter_mut().enumerate() {
            *v = i;
        }
        for i in (1..n).rev() {
            let j = self.integer(draw, row * n + i, 0, i as i64 + 1) as usize;
            out.swap(i, j);
        }
    }
}

/// Row `row` of given draw `values` (rows of `out.len()` elements) as a permutation, or the reason it is not one.
pub fn as_permutation_row(values: &[f64], row: usize, out: &mut [usize]) -> Result<(), String> {
    let n = out.len();
    match values.get(row * n..(row + 1) * n) {
        Some(part) => as_permutation(part, out).map_err(|e| format!("row {row} {e}")),
        None => Err(format!("has {} elements, no row {row} of {n}", values.len())),
    }
}

/// `values` (given draws) as a permutation of `0..values.len()`, or the reason it is not one.
pub fn as_permutation(values: &[f64], out: &mut [usize]) -> Result<(), String> {
    let n = out.len();
    if values.len() != n {
        return Err(format!("has {} elements, a permutation of 0..{n} needs {n}", values.len()));
    }
    let mut seen = vec![false; n];
    for (o, &x) in out.iter_mut().zip(values) {
        let k = x as usize;
        if x.fract() != 0.0 || x < 0.0 || k >= n || seen[k] {
            return Err(format!("{values:?} is not a permutation of 0..{n}"));
        }
        seen[k] = true;
        *o = k;
    }
    Ok(())
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
    fn permutation(&mut self, draw: usize, out: &mut [usize]) {
        if let Err(e) = as_permutation(&self.values[draw], out) {
            panic!("draw '{}' {e}", self.decls[draw].name);
        }
    }
    fn permutation_row(&mut self, draw: usize, row: usize, out: &mut [usize]) {
        if let Err(e) = as_permutation_row(&self.values[draw], row, out) {
            panic!("draw '{}' {e}", self.decls[draw].name);
        }
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
    fn permutation(&mut self, draw: usize, out: &mut [usize]) {
        self.inner.permutation(draw, out);
        for (r, &v) in self.record[draw].iter_mut().zip(out.iter()) {
            *r = v as f64;
        }
    }
    fn permutation_row(&mut self, draw: usize, row: usize, out: &mut [usize]) {
        self.inner.permutation_row(draw, row, out);
        for (r, &v) in self.record[draw][row * out.len()..].iter_mut().zip(out.iter()) {
            *r = v as f64;
        }
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


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_from_the_generator_and_given() {
        let mut rng = Rng::new(5, 0);
        let mut counts = [[0usize; 4]; 4];
        let mut out = [0usize; 4];
        for _ in 0..8000 {
            RngDraws(&mut rng).permutation(0, &mut out);
            let mut sorted = out;
            sorted.sort();
            assert_eq!(sorted, [0, 1, 2, 3]);
            for (pos, &v) in out.iter().enumerate() {
                counts[pos][v] += 1;
            }
        }
        assert!(counts.iter().flatten().all(|&c| (1700..2300).contains(&c)), "{counts:?}");
        let decls = [DrawDecl { name: "perm", kind: DrawKind::Integers { low: 0, high: 4 }, len: 4 }];
        let values = vec![vec![2.0, 0.0, 3.0, 1.0]];
        GivenDraws { decls: &decls, values: &values }.permutation(0, &mut out);
        assert_eq!(out, [2, 0, 3, 1]);
        assert!(as_permutation(&[0.0, 0.0, 1.0, 2.0], &mut out).is_err());
        assert!(as_permutation(&[0.0, 1.0], &mut out).is_err());
        let rows = vec![vec![0.0, 1.0, 2.0, 3.0, 3.0, 2.0, 1.0, 0.0]];
        GivenDraws { decls: &decls, values: &rows }.permutation_row(0, 1, &mut out);
        assert_eq!(out, [3, 2, 1, 0]);
        assert!(as_permutation_row(&rows[0], 2, &mut out).unwrap_err().contains("no row 2"));
    }
}
