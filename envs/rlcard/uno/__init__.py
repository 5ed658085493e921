"""UNO (`rlcard.make('uno')`): the reference adapter only; no translation exists yet."""
