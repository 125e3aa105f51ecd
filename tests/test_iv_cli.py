"""``memxbar iv`` through click's test runner, with the real ngspice."""

from __future__ import annotations

import json

from click.testing import CliRunner

from memxbar.cli import main


def run(*args: str):
    return CliRunner().invoke(main, ["iv", *args])


def test_iv_writes_agreement_figures_and_a_plot(tmp_path):
    out, png = tmp_path / "iv.json", tmp_path / "iv.png"
    result = run(
        "--device",
        "hp-joglekar",
        "--waveform",
        "triangle",
        "--cycles",
        "1",
        "--amplitude",
        "1.2",
        "--device-param",
        "p=2",
        "--json",
        str(out),
        "--plot",
        str(png),
    )
    assert result.exit_code == 0, result.output
    assert "hp-joglekar: triangle 1.2 V, 1 Hz, 1 cycles" in result.output
    record = json.loads(out.read_text())
    assert record["device"] == "hp-joglekar" and record["parameters"]["p"] == 2.0
    assert record["waveform"] == "triangle" and record["amplitude_volts"] == 1.2
    assert record["max_state_difference"]["x"] < 1e-4
    low, high = record["state_range_numpy"]["x"]
    assert abs(low - 0.1) < 1e-9 and high > 0.15
    assert png.stat().st_size > 10_000


def test_iv_refuses_to_overwrite_without_force(tmp_path):
    out = tmp_path / "iv.json"
    out.write_text("{}")
    result = run("--device", "hp", "--json", str(out))
    assert result.exit_code == 2 and "--force" in result.output
    assert out.read_text() == "{}"


def test_iv_bad_input_is_one_line_and_exit_2():
    for args, message in (
        (("--device", "sinh"), "Invalid value for '--device'"),
        (("--device", "hp", "--device-param", "r_on=-1"), "r_on of model hp must be > 0"),
        (("--device", "hp", "--device-param", "nope=1"), "'nope' is not a parameter of device model hp"),
        (("--device", "hp", "--frequency", "0"), "frequency of the stimulus must be a positive number"),
        (("--device", "yakopcic", "--device-param", "x0"), "is not KEY=VALUE"),
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output and "Traceback" not in result.output


def test_an_amplitude_in_megavolts_is_a_unit_mistake():
    """As for simulate's inputs: above 1 MV is refused with one line (exit 2), before ngspice runs."""
    result = run("--device", "hp", "--amplitude", "2e6")
    assert result.exit_code == 2, result.output
    assert "amplitude is 2e+06 V, above 1e+06 V; voltages are in volts" in result.stderr
