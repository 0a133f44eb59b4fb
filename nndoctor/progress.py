"""Where long experiments report progress: the CLI shows bars on stderr, the API nothing."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator


class ProgressSink:
    """The default sink shows nothing; `task` yields a function that advances the task."""

    @contextlib.contextmanager
    def task(self, description: str, total: int) -> Iterator[Callable[..., None]]:
        yield lambda n=1: None
