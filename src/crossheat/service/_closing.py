"""``Closing``: what makes a door (``Service``, ``RemoteService``) a context manager."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """``with`` closes it: ``close``, the subclass's."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        raise NotImplementedError
