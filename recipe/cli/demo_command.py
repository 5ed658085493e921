"""`envport demo`: the whole product in a few minutes, with no model and no key.

It runs envport's own commands, one after another, into one scratch folder:

1. `translate`: replays the recorded run of `recipe/demo_run/` (a scripted agent ports CartPole-v1 as the new port
   `cartpole-demo`; its first try fails L1, the repair passes) and promotes the port into `OUT/ports`;
2. `verify`: that port at every default level (L0, D, L1, L2, L3, F32) with the default sizes;
3. `bench`: against its reference (Gymnasium) and gymnax, at two batch sizes;
4. `train`: PPO with PureJaxRL's CartPole settings, then a greedy evaluation;
5. `report`: the verification report as HTML, Markdown and JUnit;

and ends with a table of where each output is (also written to OUT/outputs.json). Nothing outside OUT is written (the shipped ports are never touched).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from recipe.cli.console import EXIT_FAILED, error, info, out, usage_error

DEMO_PORT = "cartpole-demo"
RECORDING = Path(__file__).resolve().parent.parent / "demo_run"


def demo_steps(folder: Path) -> list[tuple[str, list[str], list[str]]]:
    """(step, envport arguments, outputs relative to `folder`) for each step of the demo."""
    ports = ["--ports", "ports"]
    return [
        ("translate", ["translate", "--reference", "gym:CartPole-v1", "--name", DEMO_PORT, "--agent", "replay",
                       "--replay", str(RECORDING), "--runs-dir", "runs", "--output", "ports", "--levels", "L0,L1",
                       "--examples", "50", "--optimise-rounds", "0"],
         ["ports/cartpole_demo/jax_env.py", "runs"]),
        ("verify", [*ports, "verify", DEMO_PORT, "--json", "verify.json"], ["verify.json"]),
        ("bench", [*ports, "bench", DEMO_PORT, "--backend", "reference,jax,gymnax", "--batch-sizes", "32,2048",
                   "--repeats", "1", "--budget", "200000", "--json", "bench.json", "--chart", "bench.png"],
         ["bench.json", "bench.png"]),
        ("train", [*ports, "train", DEMO_PORT, "--out", "train"],
         ["train/curve.png", "train/policy.msgpack", "train/summary.json"]),
        ("report", ["report", "verify.json", "--html", "report.html", "--md", "report.md", "--junit", "report.xml"],
         ["report.html", "report.md", "report.xml"]),
    ]


def demo(
    out_dir: Optional[Path] = typer.Option(None, "--out", help="Scratch folder for everything the demo writes (default runs/demo-TIME); must be new or empty."),
) -> None:
    """Run the whole flow on CartPole with no model and no key: replay a recorded translation, verify, bench, train, report.

    Exit 0 when every step succeeded, 1 when one failed (its log is named), 2 on bad usage.
    """
    folder = (out_dir or Path("runs") / time.strftime("demo-%Y%m%d-%H%M%S")).resolve()
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise usage_error(f"--out {folder} exists and is not an empty folder; give a new one (the demo never overwrites)")
    if not (RECORDING / "trajectory.jsonl").is_file():
        raise usage_error(f"the demo's recorded run is missing ({RECORDING}); reinstall envport")
    (folder / "logs").mkdir(parents=True)
    info(f"envport demo: writing to {folder}")
    env = {k: v for k, v in os.environ.items() if k not in ("ENVPORT_PORTS", "OPENAI_API_KEY")}
    rows, started = [], time.perf_counter()
    for step, args, outputs in demo_steps(folder):
        info(f"{step}: envport {' '.join(args)}")
        log = folder / "logs" / f"{step}.log"
        began = time.perf_counter()
        with log.open("w") as handle:
            done = subprocess.run([sys.executable, "-m", "recipe.cli", *args], cwd=folder, env=env, stdout=handle,
                                  stderr=subprocess.STDOUT)
        seconds = time.perf_counter() - began
        missing = [o for o in outputs if not (folder / o).exists()]
        if done.returncode != 0 or missing:
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
            info(tail)
            error(f"demo step {step} failed (exit {done.returncode}{', missing ' + ', '.join(missing) if missing else ''}); "
                  f"its whole output is in {log}")
            raise typer.Exit(EXIT_FAILED)
        info(f"{step}: done in {seconds:.0f} s")
        rows.append((step, seconds, outputs))
    where = {step: {"seconds": round(seconds, 1), "outputs": [str(folder / o) for o in outputs],
                    "log": str(folder / "logs" / f"{step}.log")} for step, seconds, outputs in rows}
    (folder / "outputs.json").write_text(json.dumps(where, indent=1))
    table = Table(title=f"envport demo: every step passed in {time.perf_counter() - started:.0f} s; "
                        f"outputs under {folder} (listed in outputs.json)")
    for column in ("step", "seconds", "result", "outputs", "log"):
        table.add_column(column, overflow="fold")
    for step, seconds, outputs in rows:
        table.add_row(step, f"{seconds:.0f}", step_result(folder, step), ", ".join(outputs), f"logs/{step}.log")
    out.print(table)


def step_result(folder: Path, step: str) -> str:
    """One line saying what a finished step found, read from the files it wrote."""
    if step == "translate":
        (run,) = (folder / "runs").iterdir()
        rows = json.loads((run / "summary.json").read_text())["rows"]
        return "; ".join(f"try {r['iteration']}: " + " ".join(f"{k} {v}" for k, v in r["levels"].items()) for r in rows) + "; promoted"
    if step == "verify":
        levels = json.loads((folder / "verify.json").read_text())["levels"]
        return " ".join(f"{k} {'pass' if v['passed'] else 'skipped' if v['passed'] is None else 'FAIL'} ({v['checks']})"
                        for k, v in levels.items())
    if step == "bench":
        rows = json.loads((folder / "bench.json").read_text())["rows"]
        return "; ".join(f"{r['backend']} at {r['batch_size']} envs: {r['ratio_to_reference']:,.0f}x the reference"
                         for r in rows if r["backend"] != "reference" and r.get("ratio_to_reference"))
    if step == "train":
        summary = json.loads((folder / "train" / "summary.json").read_text())
        return (f"{summary['env_steps']:,} steps in {summary['train_seconds']:.0f} s; greedy evaluation "
                f"{summary['evaluation']['mean_return'][0]:.0f}")
    return "HTML, Markdown and JUnit"
