"""Mutation analysis: plant small, plausible bugs in a translation one at a time and count how many the
verification levels catch.

- `generate`: the mutants of a JAX translation (from its source, through `ast`); `rust`: the mutants
  of a Rust module (text edits), built and verified mutant by mutant;
- `equivalence`: which mutants cannot change behaviour (rules, and reviews in
  verify/equivalent_mutants.toml); `fingerprint`: which compute exactly what the original does;
- `analysis`: the run (select, verify through the pool, classify, summarise, resume from a journal);
- `pool`: long-lived worker processes with a time limit per mutant; `worker`: the process that runs
  verify.levels' MUTATION_LEVELS on a mutant (`python -m verify.mutation.worker`);
- `mutants`: the records all of them share.
"""
