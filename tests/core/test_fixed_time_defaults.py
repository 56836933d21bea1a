"""No model field has a fixed date or time default.

Django warns (fields.W161) when a fixed default falls within seconds of the
moment the checks run: a ``default=time(8, 0)`` made ``check --deploy`` fail
when it ran at 08:00. Callables are not checked.
"""

import datetime as dt

from django.apps import apps
from django.db.models import NOT_PROVIDED


def test_no_model_field_has_a_fixed_date_or_time_default():
    fixed = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if getattr(field, "default", NOT_PROVIDED) is not NOT_PROVIDED
        and isinstance(field.default, (dt.date, dt.time))
    ]
    assert fixed == []
