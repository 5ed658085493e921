"""The registry resolves names; the CLI lists ports and reports verification with the documented exit codes."""

import json

import pytest
from typer.testing import CliRunner

from envs import UnknownPortError, get_port, port_names
from recipe.cli import app

runner = CliRunner()


@pytest.mark.parametrize("name, expected", [("cartpole", "cartpole"), ("CartPole-v1", "cartpole"), ("pendulum-v1", "pendulum"), ("MountainCarContinuous-v0", "mountaincar-continuous")])
def test_get_port_accepts_names_and_gym_ids(name, expected):
    assert get_port(name).name == expected


def test_unknown_name_lists_the_known_ports():
    with pytest.raises(UnknownPortError) as info:
        get_port("cartpol")
    for name in port_names():
        assert name in str(info.value)


def test_list_json_lists_every_port_with_its_backends():
    result = runner.invoke(app, ["list", "--json"])
    assert result.exit_code == 0
    listed = json.loads(result.stdout)
    assert [p["name"] for p in listed] == port_names()
    assert all("jax" in p["backends"] for p in listed)
    assert {p["gym_id"] for p in listed} >= {"CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["verify", "cartpol"], "unknown environment 'cartpol'"),
        (["verify", "cartpole", "--levels", "L0,L7"], "unknown level"),
        (["verify", "cartpole", "--backend", "cobol"], "backend 'cobol' is not available"),
        (["verify"], "name an environment"),
    ],
)
def test_bad_usage_exits_2_with_a_message(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.output.replace("\n", " ")


def test_verify_writes_a_json_report_and_exits_0(tmp_path):
    path = tmp_path / "report.json"
    result = runner.invoke(app, ["verify", "CartPole-v1", "--levels", "L0,L3", "--episodes", "3", "--json", str(path)])
    assert result.exit_code == 0, result.output
    report = json.loads(path.read_text())
    assert report["passed"] is True and report["env"] == "cartpole"
    assert report["levels"]["L0"]["passed"] and report["levels"]["L0"]["checks"] >= 10
    assert report["levels"]["L3"]["passed"] and report["levels"]["L3"]["checks"] > 3


def test_report_dir_holds_all_formats_and_report_renders_them(tmp_path):
    result = runner.invoke(app, ["verify", "mountaincar", "--levels", "L0,D", "--report-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["verify-mountaincar.html", "verify-mountaincar.json", "verify-mountaincar.md", "verify-mountaincar.xml"]
    html = tmp_path / "again.html"
    rendered = runner.invoke(app, ["report", str(tmp_path / "verify-mountaincar.json"), "--html", str(html)])
    assert rendered.exit_code == 0 and html.read_text().startswith("<!DOCTYPE html>")
    markdown = runner.invoke(app, ["report", str(tmp_path / "verify-mountaincar.json")])
    assert "mountaincar" in markdown.stdout and "L0" in markdown.stdout


def test_report_of_a_missing_file_exits_2(tmp_path):
    result = runner.invoke(app, ["report", str(tmp_path / "nothing.json")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_bench_measures_each_backend_in_one_run(tmp_path):
    path = tmp_path / "bench.json"
    result = runner.invoke(app, ["bench", "cartpole", "--backend", "reference,jax", "--batch-sizes", "32", "--repeats", "1", "--budget", "2000", "--json", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(path.read_text())
    rows = {r["backend"]: r for r in data["rows"]}
    assert set(rows) == {"reference", "jax"}
    assert rows["jax"]["batch_size"] == 32 and rows["jax"]["steps_per_second"] > 0
    assert rows["reference"]["ratio_to_reference"] == 1.0
    assert data["machine"]["cores"] >= 1


def test_bench_rejects_an_unknown_backend():
    result = runner.invoke(app, ["bench", "cartpole", "--backend", "jax,cuda"])
    assert result.exit_code == 2 and "unknown backend" in result.output
