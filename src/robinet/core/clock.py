"""The one place Robinet asks what time it is (tests freeze it with time-machine)."""

import datetime as dt

from django.utils import timezone


def now() -> dt.datetime:
    return timezone.now()


def today() -> dt.date:
    return timezone.localdate()
