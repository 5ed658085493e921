"""Leduc Hold'em (`rlcard.make('leduc-holdem')`): the reference adapter only; no translation exists yet."""
