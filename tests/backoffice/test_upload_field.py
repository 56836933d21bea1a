"""Uploads above their limit are refused by the form, with the limit in the message."""

from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.backoffice.forms import UploadField


class UploadForm(forms.Form):
    file = UploadField(max_mb=1)


def test_an_upload_above_the_limit_names_it():
    big = SimpleUploadedFile("releve.xml", b"x" * (1024 * 1024 + 1))
    form = UploadForm(files={"file": big})
    assert not form.is_valid()
    assert form.errors["file"] == ["Fichier trop volumineux (1 Mo au plus)."]


def test_an_upload_within_the_limit_passes():
    form = UploadForm(files={"file": SimpleUploadedFile("releve.xml", b"<Document/>")})
    assert form.is_valid()
