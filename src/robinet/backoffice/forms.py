"""Form helpers shared by back-office screens.

Forms here are for presentation: services validate (HackSoft style). A
refusal from a service comes back as an ``ApplicationError`` whose ``fields``
are put on the form with :func:`add_service_errors`.
"""

from collections.abc import Mapping

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext

from robinet.core.exceptions import ApplicationError


def model_label(model, name: str) -> str:
    """The French label of a model field (its verbose name, capitalised)."""
    return capfirst(model._meta.get_field(name).verbose_name)


def model_help(model, name: str) -> str:
    return model._meta.get_field(name).help_text or ""


def add_service_errors(
    form: forms.Form, error: ApplicationError, aliases: Mapping[str, str] | None = None
) -> None:
    """Put ``error.fields`` on ``form``: known fields as field errors, others as non-field errors.

    ``aliases`` maps a service's field name to the form's when they differ.
    """
    aliases = aliases or {}
    for name, messages in error.fields.items():
        target = aliases.get(name, name)
        for message in messages:
            if target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, message)


class DateInput(forms.DateInput):
    """A native date picker (ISO value), with French typing accepted by the form field."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: str, *, required: bool = False, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        **kwargs,
    )


class UploadField(forms.FileField):
    """An uploaded file refused above ``max_mb`` megabytes, with the limit in the message."""

    def __init__(self, *args, max_mb: int = 20, **kwargs):
        self.max_mb = max_mb
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is not None and upload.size > self.max_mb * 1024 * 1024:
            raise forms.ValidationError(
                gettext("Fichier trop volumineux (%(mb)s Mo au plus).") % {"mb": self.max_mb}
            )
        return upload
