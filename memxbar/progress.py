"""Progress on a terminal for long single jobs; silent when standard error is not a terminal."""

from __future__ import annotations

import sys
import threading
from types import TracebackType


class Spinner:
    """Show ``description`` and the elapsed time on standard error while a block runs.

    Nothing is shown when standard error is not a terminal (piped, redirected, under a test
    runner), nor for blocks shorter than ``delay`` seconds.
    """

    def __init__(self, description: str, delay: float = 1.0) -> None:
        self.description = description
        """What is being done, e.g. ``"solving 1024x1024"``."""
        self.delay = delay
        """Seconds before anything is shown (s)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        if self._stop.wait(self.delay):
            return
        from tqdm import tqdm

        with tqdm(desc=self.description, bar_format="{desc}: {elapsed}", file=sys.stderr, leave=False) as bar:
            while not self._stop.wait(0.5):
                bar.refresh()

    def __enter__(self) -> Spinner:
        if sys.stderr.isatty():
            self._thread = threading.Thread(target=self._run, daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
