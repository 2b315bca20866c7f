"""What the local stand-ins (the emulator, injected faults, the bench's replayer) share at botocore's `before-send`.

botocore calls every `before-send` handler of a client, even after one has answered: a request that an injected
fault answered is marked, and the emulator and the local backend's moto hook leave marked requests alone, so the
call that "failed" has no effect.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Final

_ANSWERED: Final = "_answered_by_injected_fault"


class RawBody:
    """The `raw` object of an AWSResponse: botocore reads the body through `stream()`."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_kwargs: Any) -> Iterator[bytes]:
        yield self._data


def mark_answered(request: Any) -> None:
    setattr(request, _ANSWERED, True)


def was_answered_by_a_fault(request: Any) -> bool:
    return bool(getattr(request, _ANSWERED, False))
