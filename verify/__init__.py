"""The verifier: does a translation behave like its reference?

The levels, one table in `verify.levels` (run by `verify.runner.verify_port`), cheapest first:

- L0 contract (`contract`, `smoke`, `rust_levels`): loads in a fresh process, obeys the interface, matches the
  port's metadata; a failure here that stops the comparison skips the levels after it.
- D draw distribution (`distribution`, `step_draws`): the translation's own random draws against
  the reference's generator.
- L1 properties (`properties`, `landing`): one step from generated, edge and harvested states agrees.
- L2 interaction (`interaction`; `rust_levels` for the Rust vector env): programs of resets, steps
  and state changes; batching, threads, auto-reset and time limits.
- L3 rollouts (`rollouts`): whole episodes in lockstep under several policies.
- F32 float32 production (`float32`): the translation as users run it, in float32, against the
  float64 reference (JAX only).
- L4 policy transfer (`policy_transfer`): policies trained on the translation do as well on the
  reference (trains PPO: only when asked for).

Around them: the lockstep of translation and reference (`lockstep`, `tape`, `compare`, `policies`,
`precision`), third-party candidates and other translations (`candidates`, `gymnax_minatar`,
`variants`), the child-process helpers (`process`) and the Rust build (`rust_build`); and two
wings: `verify.reports` (the report model and its Markdown, HTML and JUnit renderers) and
`verify.mutation` (mutation analysis: how much of what could go wrong the levels catch).
"""
