"""Data sets: scikit-learn's bundled handwritten digits, or MNIST from the user's own files (never downloaded)."""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from memxbar.errors import InputError


@dataclass(frozen=True)
class Dataset:
    """A classification data set with inputs scaled to [0, 1]."""

    name: str
    """Name, e.g. ``"digits"``."""
    x_train: np.ndarray
    """(B_train, features) training inputs in [0, 1]."""
    y_train: np.ndarray
    """(B_train,) integer labels."""
    x_test: np.ndarray
    """(B_test, features) test inputs in [0, 1]."""
    y_test: np.ndarray
    """(B_test,) integer labels."""

    @property
    def features(self) -> int:
        """Number of inputs per sample."""
        return self.x_train.shape[1]

    @property
    def classes(self) -> int:
        """Number of classes."""
        return int(max(self.y_train.max(), self.y_test.max())) + 1


def load_digits(test_fraction: float = 0.25, split_seed: int = 0) -> Dataset:
    """The 8×8 handwritten digits bundled with scikit-learn (1797 images, 64 inputs, 10 classes).

    Pixel values 0–16 are scaled to [0, 1]; the split is stratified and fixed by ``split_seed``.
    Source: Alpaydin & Kaynak, UCI optical recognition of handwritten digits (1998).
    """
    from sklearn.datasets import load_digits as sklearn_digits
    from sklearn.model_selection import train_test_split

    data = sklearn_digits()
    x = data.data / 16.0
    x_train, x_test, y_train, y_test = train_test_split(
        x, data.target, test_size=test_fraction, random_state=split_seed, stratify=data.target
    )
    return Dataset("digits", x_train, y_train.astype(np.int64), x_test, y_test.astype(np.int64))


def _read_idx(path: Path) -> np.ndarray:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as handle:
        raw = handle.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise InputError(f"{path}: not an IDX file of unsigned bytes (MNIST format)")
    ndim = raw[3]
    dims = np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int)
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise InputError(f"{path}: IDX header says {tuple(dims)} but holds {data.size} bytes")
    return data.reshape(dims)


MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}
"""The four MNIST IDX files (optionally with ``.gz``) expected in a directory."""


def load_mnist(path: str | Path) -> Dataset:
    """MNIST from the user's own files: a directory of the four IDX files, or an ``.npz`` holding
    ``x_train``, ``y_train``, ``x_test``, ``y_test`` (images 28×28 of 0–255). Nothing is downloaded.

    Raises:
        InputError: If the path or a file is missing or malformed.
    """
    path = Path(path)
    arrays: dict[str, np.ndarray] = {}
    if path.is_dir():
        for key, stem in MNIST_FILES.items():
            candidates = [path / stem, path / f"{stem}.gz", path / stem.replace("-idx", ".idx")]
            found = next((c for c in candidates if c.is_file()), None)
            if found is None:
                raise InputError(f"--data {path}: no {stem}[.gz] in this directory")
            arrays[key] = _read_idx(found)
    elif path.suffix == ".npz" and path.is_file():
        with np.load(path) as npz:
            missing = [key for key in MNIST_FILES if key not in npz]
            if missing:
                raise InputError(f"--data {path}: the .npz lacks {', '.join(missing)}")
            arrays = {key: npz[key] for key in MNIST_FILES}
    else:
        raise InputError(f"--data {path}: give a directory of MNIST IDX files or an .npz file")
    x_train = arrays["x_train"].reshape(len(arrays["x_train"]), -1) / 255.0
    x_test = arrays["x_test"].reshape(len(arrays["x_test"]), -1) / 255.0
    return Dataset("mnist", x_train, arrays["y_train"].astype(np.int64), x_test, arrays["y_test"].astype(np.int64))
