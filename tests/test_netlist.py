"""Netlists: runnable by plain `ngspice -b`, faithful to the circuit, and reproducible."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import memxbar
from memxbar.cli import main
from memxbar.cli.netlist import PROVENANCE
from memxbar.netlist.writer import crossbar_netlist
from tests.conftest import random_crossbar

NETLISTS = Path(__file__).resolve().parent.parent / "netlists"


def run_ngspice_batch(path: Path) -> dict[str, float]:
    """Run `ngspice -b` on a file and parse the tables its `.print` cards write."""
    ngspice = shutil.which("ngspice")
    assert ngspice, "ngspice is not on PATH; run `make setup`"
    out = subprocess.run([ngspice, "-b", str(path)], capture_output=True, text=True, check=True, timeout=120).stdout
    values: dict[str, float] = {}
    lines = out.splitlines()
    for k, line in enumerate(lines):
        if line.startswith("Index"):
            names = line.split()[1:]
            numbers = lines[k + 2].split()[1:]
            values.update(zip(names, map(float, numbers), strict=False))
    return values


def test_plain_ngspice_runs_the_netlist_and_prints_every_output(rng, tmp_path):
    xbar = random_crossbar(rng, 12, 20, r_wl=2.0, r_bl=1.0, r_driver=3.0, r_sense=4.0)
    v = rng.uniform(0, 0.5, 12)
    path = tmp_path / "x.cir"
    path.write_text(crossbar_netlist(xbar, v).text)
    printed = run_ngspice_batch(path)
    currents = np.array([printed[f"vout{j}#branch"] for j in range(20)])
    # .print writes 7 significant digits.
    np.testing.assert_allclose(currents, memxbar.simulate(xbar, v).output_currents, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(json.loads((NETLISTS / "examples.json").read_text())))
def test_example_netlists_are_reproduced_byte_for_byte(name, tmp_path):
    args = json.loads((NETLISTS / "examples.json").read_text())[name]
    args = [str(NETLISTS / a) if (NETLISTS / a).is_file() else a for a in args]
    out = tmp_path / name
    result = CliRunner().invoke(main, ["netlist", *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines(keepends=True)
    recorded = [line for line in lines if line.startswith(PROVENANCE)]
    assert any("command: " in line for line in recorded) and any("memxbar: " in line for line in recorded)
    assert "".join(line for line in lines if line not in recorded) == (NETLISTS / name).read_text()


def test_example_netlist_runs_in_ngspice_and_matches_the_fast_backend():
    printed = run_ngspice_batch(NETLISTS / "crossbar_3x3_open_devices_ideal_bit_lines.cir")
    g = np.loadtxt(NETLISTS / "g_3x3_open_devices.csv", delimiter=",")
    v = np.loadtxt(NETLISTS / "v_3.csv", delimiter=",")
    expected = memxbar.simulate(memxbar.Crossbar(g, r_wl=1.5), v).output_currents
    np.testing.assert_allclose([printed[f"vout{j}#branch"] for j in range(3)], expected, rtol=1e-6)


def test_zero_segments_and_open_devices_leave_no_element(rng):
    g = rng.uniform(1e-6, 1e-4, (3, 3))
    g[1, 1] = 0.0
    text = crossbar_netlist(memxbar.Crossbar(g, r_wl=[[1, 0, 1]] * 3, r_bl=0.0), np.ones(3)).text
    assert "Rm1_1 " not in text and "Rm0_0 " in text
    assert not re.search(r"^Rw\d_1 ", text, re.M) and re.search(r"^Rw\d_2 ", text, re.M)
    assert not re.search(r"^Rb", text, re.M) and "Rsen" not in text and "Rdrv" not in text


def test_numbers_round_trip_exactly(rng):
    g = rng.uniform(1e-6, 1e-4, (2, 2))
    text = crossbar_netlist(memxbar.Crossbar(g, r_wl=np.pi), np.array([1 / 3, 2 / 7])).text
    resistances = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(Rm\d_\d) \S+ \S+ (\S+)$", text, re.M)}
    assert resistances["Rm0_1"] == 1.0 / g[0, 1]
    assert f"Vin0 in0 0 DC {1 / 3!r}" in text and f" {np.pi!r}\n" in text
