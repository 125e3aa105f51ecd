"""Example sweep configurations shipped with memxbar, usable from an installed package."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from memxbar.errors import InputError


def example_names() -> list[str]:
    """Names of the example sweep configurations (file names without ``.toml``)."""
    return sorted(p.name.removesuffix(".toml") for p in resources.files(__name__).iterdir() if p.name.endswith(".toml"))


def example_path(name: str) -> Path:
    """Path of an example sweep configuration, e.g. ``example_path("ir_drop_vs_size")``.

    Raises:
        InputError: If there is no example of that name.
    """
    if name not in example_names():
        raise InputError(f"no example sweep {name!r}; examples: {', '.join(example_names())}")
    return Path(str(resources.files(__name__) / f"{name}.toml"))
