"""Limit Texas Hold'em (`rlcard.make('limit-holdem')`): the reference adapter only; no translation exists yet."""
