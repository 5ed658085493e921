"""User ports: a ports folder is seen by the registry; broken and clashing ports are listed, not fatal."""

import sys
import textwrap

import pytest

import envs
from envs import registry

GOOD = textwrap.dedent('''
    from envs import get_port

    PORT = get_port("cartpole").replace(name="my-pole", gym_id="MyPole-v0", aliases=())
''')
CLASH = textwrap.dedent('''
    from envs import get_port

    PORT = get_port("cartpole").replace(name="other-pole", gym_id="OtherPole-v0", aliases=("CartPole",))
''')


PACKAGES = (("my_pole", GOOD), ("broken_pole", "raise ImportError('no module named physics')\n"), ("clashing_pole", CLASH))


@pytest.fixture()
def ports_folder(tmp_path, monkeypatch):
    folder = tmp_path / "ports"
    for package, source in PACKAGES:
        (folder / package).mkdir(parents=True)
        (folder / package / "__init__.py").write_text(source)
        monkeypatch.delitem(sys.modules, package, raising=False)  # each test imports its own folder's packages
    monkeypatch.setenv(registry.PORTS_ENV, str(folder))
    yield folder
    for package, _ in PACKAGES:
        sys.modules.pop(package, None)


def test_a_ports_folder_joins_the_registry(ports_folder):
    port = envs.get_port("MyPole-v0")
    assert port.name == "my-pole"
    assert envs.port_origin("my-pole") == f"folder {ports_folder / 'my_pole'}"
    assert envs.port_origin("cartpole") == "built-in"
    assert envs.port_names()[:1] == ["cartpole"] and "my-pole" in envs.port_names()


def test_broken_and_clashing_ports_are_listed_with_their_reason(ports_folder):
    errors = {e.origin.rpartition("/")[2]: e.error for e in envs.load_errors()}
    assert "ImportError: no module named physics" in errors["broken_pole"]
    assert "clashes with the built-in port 'cartpole' on cartpole" in errors["clashing_pole"]
    assert envs.get_port("cartpole").name == "cartpole"  # not shadowed
    assert "other-pole" not in envs.port_names()


def test_an_unknown_name_says_where_ports_are_looked_for(ports_folder):
    with pytest.raises(envs.UnknownPortError) as info:
        envs.get_port("nope")
    message = str(info.value)
    assert "my-pole" in message and "broken_pole" in message and str(ports_folder) in message


def test_the_default_folder_is_ports_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.delenv(registry.PORTS_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    assert registry.port_folders() == []
    (tmp_path / "ports").mkdir()
    assert registry.port_folders() == [tmp_path / "ports"]


def test_use_port_folders_exports_absolute_paths_for_subprocesses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(registry.PORTS_ENV, raising=False)
    envs.use_port_folders(["mine"])
    import os

    assert os.environ[registry.PORTS_ENV] == str(tmp_path / "mine")
    monkeypatch.delenv(registry.PORTS_ENV)


def test_envport_list_marks_origins_and_names_broken_ports(ports_folder):
    import json

    from typer.testing import CliRunner

    from recipe.cli import app

    result = CliRunner().invoke(app, ["--ports", str(ports_folder), "list", "--json"])
    assert result.exit_code == 2  # some user port did not load
    rows = {row["name"]: row["origin"] for row in json.loads(result.stdout)}
    assert rows["cartpole"] == "built-in" and rows["my-pole"] == f"folder {ports_folder / 'my_pole'}"
    assert "not loaded: folder" in result.stderr and "broken_pole: ImportError: no module named physics" in result.stderr


def test_a_missing_ports_folder_is_a_usage_error(tmp_path):
    from typer.testing import CliRunner

    from recipe.cli import app

    result = CliRunner().invoke(app, ["--ports", str(tmp_path / "nowhere"), "list"])
    assert result.exit_code == 2 and "no such folder" in result.stderr
