"""`--reference` forms: module:Class, path/to/file.py:Class (from any folder), gym:ENV_ID; clear errors otherwise."""

import textwrap

import pytest

from recipe.task import TaskError, normalise_reference, resolve_reference

SOURCE = textwrap.dedent('''
    import gymnasium
    from gymnasium import spaces


    class FileEnv(gymnasium.Env):
        observation_space = spaces.Box(-1, 1, (1,))
        action_space = spaces.Discrete(2)


    class NotAnEnv:
        pass
''')


@pytest.fixture()
def user_folder(tmp_path, monkeypatch):
    (tmp_path / "file_env_for_spec.py").write_text(SOURCE)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_relative_file_path_resolves_and_is_made_absolute(user_folder):
    spec = normalise_reference("file_env_for_spec.py:FileEnv")
    assert spec == f"{user_folder / 'file_env_for_spec.py'}:FileEnv"
    assert resolve_reference(spec).__name__ == "FileEnv"


def test_a_registered_gymnasium_id_resolves_to_its_class():
    assert resolve_reference("gym:CartPole-v1").__name__ == "CartPoleEnv"


@pytest.mark.parametrize("spec, message", [
    ("missing_file.py:X", r"file .*missing_file.py does not exist"),
    ("file_env_for_spec.py:NotAnEnv", r"NotAnEnv is not a gymnasium.Env subclass"),
    ("file_env_for_spec.py:Nothing", r"has no attribute 'Nothing'"),
    ("gym:NoSuchEnv-v0", r"'NoSuchEnv-v0' is not a registered Gymnasium id"),
    ("just_a_name", r"expected module:Class, path/to/file.py:Class or gym:ENV_ID"),
])
def test_bad_references_name_the_problem(user_folder, spec, message):
    with pytest.raises(TaskError, match=message):
        resolve_reference(normalise_reference(spec))


@pytest.mark.parametrize("spec, message", [
    ("missing_file.py:X", "does not exist"),
    ("file_env_for_spec.py:NotAnEnv", "is not a gymnasium.Env subclass"),
])
def test_translate_with_a_bad_reference_exits_2_with_one_line(user_folder, spec, message):
    from typer.testing import CliRunner

    from recipe.cli import app

    result = CliRunner().invoke(app, ["translate", "--reference", spec, "--name", "mine", "--print-prompt"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
