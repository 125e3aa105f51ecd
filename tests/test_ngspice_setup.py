"""What memxbar says when ngspice is missing, too old or lacks KLU."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from memxbar.spice.ngspice import NgspiceError, NgspiceInfo, check_suitable, session


def test_installed_ngspice_is_suitable():
    info = session().info
    check_suitable(info)
    assert info.version >= 42 and info.klu


@pytest.mark.parametrize(("version", "klu", "fragment"), [(39, False, "ngspice 39 found"), (44, False, "without KLU")])
def test_unsuitable_versions_are_named_with_the_fix(version, klu, fragment):
    info = NgspiceInfo(library="/usr/lib/libngspice.so.0", version=version, klu=klu, osdi=False, banner="")
    with pytest.raises(NgspiceError, match=fragment) as caught:
        check_suitable(info)
    assert "make setup" in str(caught.value)


def test_missing_library_gives_one_line_and_the_fix(tmp_path):
    env = dict(os.environ, NGSPICE_LIBRARY_PATH=str(tmp_path / "libngspice.so"))
    cli = [sys.executable, "-m", "memxbar.cli", "simulate", "--backend", "spice", "--rows", "2", "--cols", "2"]
    result = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot load ngspice library" in lines[0] and "make setup" in lines[0]
