"""The one place Robinet asks what time it is (tests freeze it with time-machine).

:func:`as_of` replays a past moment for a whole block of service calls — the
demo generator and back-fills use it to take payments "on" past days.
"""

import contextlib
import datetime as dt
from collections.abc import Iterator
from contextvars import ContextVar

from django.utils import timezone

_as_of: ContextVar[dt.datetime | None] = ContextVar("robinet_clock_as_of", default=None)


def now() -> dt.datetime:
    return _as_of.get() or timezone.now()


def today() -> dt.date:
    moment = _as_of.get()
    return timezone.localdate(moment) if moment else timezone.localdate()


@contextlib.contextmanager
def as_of(moment: dt.datetime) -> Iterator[None]:
    """Within the block, :func:`now` is ``moment`` (aware) and :func:`today` its local date."""
    token = _as_of.set(moment)
    try:
        yield
    finally:
        _as_of.reset(token)
