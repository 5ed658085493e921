"""Prompt rendering: every template for every target, registered ports and user references."""

import jinja2
import pytest

from envs import port_names
from recipe import prompting
from recipe.task import TaskError, task_for_port, task_for_reference

CARTPOLE_REF = "gymnasium.envs.classic_control.cartpole:CartPoleEnv"


@pytest.mark.parametrize("target", ["jax", "rust"])
@pytest.mark.parametrize("registered", [True, False])
def test_translate_prompt_has_the_five_parts(target, registered):
    task = task_for_port("mountaincar", target) if registered else task_for_reference(CARTPOLE_REF, "my-cartpole", target)
    text = prompting.translate_prompt(task)
    for heading in ("## 1. The reference: source spec", "## 2. Target-language constraints", "## 3. The interface contract",
                    "## 4. Source, verbatim", "## 5. Property tests (L1)", "Randomness and metadata contract"):
        assert heading in text
    # the reference source is there verbatim, with its line count in the spec table
    ref = task.reference_sources()[0]
    assert ref.text in text
    assert f"| {ref.lines} |" in text
    assert task.translation_file in text
    if not registered:
        assert "my_cartpole/reference.py" in text and "PORT = Port(" in text
    if target == "rust":
        assert "trait ClassicEnv" in text


@pytest.mark.parametrize("target", ["jax", "rust"])
@pytest.mark.parametrize("name", port_names())
def test_every_registered_port_renders(name, target):
    task = task_for_port(name, target)
    text = prompting.translate_prompt(task)
    assert task.reference_sources(), "no reference source found"
    assert all(s.text in text for s in task.sources)
    assert "## 5. Property tests (L1)" in text


def test_reference_modules_gathered_automatically():
    task = task_for_port("mountaincar", "jax")
    paths = [s.path for s in task.reference_sources()]
    assert paths[0] == "gymnasium/envs/classic_control/mountain_car.py"
    assert "gymnasium/envs/classic_control/utils.py" in paths  # helper module it uses
    assert "envs/classic_control/mountaincar/reference.py" in [s.path for s in task.sources]


@pytest.mark.parametrize("tools", [True, False])
def test_other_templates_render(tools):
    task = task_for_port("cartpole", "jax")
    system = prompting.system_prompt(task, tools)
    assert ("run_verification" in system) == tools
    outcome = {"first_failure": {"level": "L1", "title": "properties", "check": "step", "message": "x: 1.0 != 2.0",
                                 "reproduce": "step_both(...)"}, "levels": {"L0": "pass", "L1": "FAIL"}}
    repair = prompting.repair_prompt(task, outcome, 3, tools)
    assert "level L1" in repair and "x: 1.0 != 2.0" in repair and "step_both(...)" in repair and "Iteration 3" in repair
    optimise = prompting.optimise_prompt(task, [{"batch_size": 32, "steps_per_second": 12345.0}], (32, 8192), tools)
    assert "| 32 | 12345 |" in optimise and "32, 8192" in optimise
    assert "jax.vmap" in optimise and "rayon" not in optimise


def test_optimise_prompt_speaks_of_the_target():
    """A Rust run's optimisation prompt speaks of the Rust vector env, not of jax.vmap and lax.cond."""
    task = task_for_port("cartpole", "rust")
    optimise = prompting.optimise_prompt(task, [{"batch_size": 32, "steps_per_second": 12345.0}], (32,), False)
    assert "rayon" in optimise and "no allocation" in optimise
    assert "jax" not in optimise and "lax" not in optimise and "| 32 | 12345 |" in optimise


def test_strict_undefined_raises():
    with pytest.raises(jinja2.UndefinedError):
        prompting.render("repair", task=task_for_port("cartpole", "jax"), tools=True)


def test_bad_task_input_is_named():
    with pytest.raises(TaskError, match="unknown environment"):
        task_for_port("nope", "jax")
    with pytest.raises(TaskError, match="choose one of jax, rust"):
        task_for_port("cartpole", "cuda")
    with pytest.raises(TaskError, match="module:Class"):
        task_for_reference("gymnasium", "x", "jax")
    with pytest.raises(TaskError, match="not a gymnasium.Env"):
        task_for_reference("collections:OrderedDict", "x", "jax")
    with pytest.raises(TaskError, match="package name"):
        task_for_reference(CARTPOLE_REF, "1abc", "jax")


def test_token_estimate():
    assert prompting.estimate_tokens("") == 0
    assert prompting.estimate_tokens("abcde") == 2


def test_print_prompt_and_rust_loop_message(tmp_path):
    from recipe_fixtures import translate

    result = translate(["mountaincar", "--print-prompt"])
    assert result.exit_code == 0 and "# Task: translate" in result.stdout
    assert "about" in result.stderr and "tokens (characters / 4)" in result.stderr
    result = translate(["--reference", CARTPOLE_REF, "--name", "mine", "--to", "rust", "--agent", "cli", "--agent-cmd",
                        "x {prompt_file}", "--runs-dir", str(tmp_path)])
    assert result.exit_code == 2 and "bindings/mod.rs" in result.stderr and "--print-prompt" in result.stderr
    assert not list(tmp_path.iterdir())  # nothing started
