"""Files customers send from the portal (PORTAL-2, security): magic bytes, size, private storage."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from robinet.core.exceptions import ValidationFailed
from robinet.portal import uploads
from robinet.portal.models import PortalUpload

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")],
)
def test_portal2_allowed_types_by_magic_bytes(content, expected):
    upload = SimpleUploadedFile("x.bin", content, "application/octet-stream")
    content_type, digest, size = uploads.validate_upload(upload, "certificate")
    assert content_type == expected
    assert digest == hashlib.sha256(content).hexdigest()
    assert size == len(content)


@pytest.mark.parametrize(
    "content",
    [b"MZ\x90\x00\x03\x00\x00\x00", b"<html><script>alert(1)</script>", b"GIF89a\x01\x00"],
)
def test_portal2_renamed_file_refused_whatever_its_name_and_type(content):
    upload = SimpleUploadedFile("attestation.pdf", content, "application/pdf")
    with pytest.raises(ValidationFailed) as exc:
        uploads.validate_upload(upload, "certificate")
    assert list(exc.value.fields) == ["certificate"]


def test_portal2_empty_file_refused():
    with pytest.raises(ValidationFailed) as exc:
        uploads.validate_upload(SimpleUploadedFile("vide.pdf", b"", "application/pdf"), "file")
    assert "vide" in exc.value.fields["file"][0]


def test_portal2_file_over_10_mb_refused():
    big = SimpleUploadedFile("gros.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    with pytest.raises(ValidationFailed) as exc:
        uploads.validate_upload(big, "attachments")
    assert "10 Mo" in exc.value.fields["attachments"][0]


def test_portal2_file_of_exactly_10_mb_accepted():
    exact = PDF + b"0" * (10 * 1024 * 1024 - len(PDF))
    content_type, _digest, size = uploads.validate_upload(
        SimpleUploadedFile("juste.pdf", exact, "application/pdf")
    )
    assert content_type == "application/pdf"
    assert size == 10 * 1024 * 1024


def test_portal2_stored_privately_with_its_hash(customer, household, settings):
    record = uploads.upload_store(
        user=customer,
        account=household,
        upload=SimpleUploadedFile("../../etc/Attestation plombier.pdf", PDF, "text/plain"),
    )
    record.refresh_from_db()
    assert record.content_type == "application/pdf"
    assert record.sha256 == hashlib.sha256(PDF).hexdigest()
    assert record.original_name == "Attestation plombier.pdf"
    path = record.file.path
    private = str(PortalUpload._meta.get_field("file").storage.location)
    assert path.startswith(private)
    assert not path.startswith(str(settings.MEDIA_ROOT))
    assert ".." not in record.file.name
    assert "plombier" not in record.file.name
    with open(path, "rb") as handle:
        assert handle.read() == PDF


def test_security_upload_for_only_its_owner(customer, stranger, household):
    from django.http import Http404

    record = uploads.upload_store(
        user=customer, account=household, upload=SimpleUploadedFile("a.png", PNG, "image/png")
    )
    assert uploads.upload_for(customer, record.pk) == record
    with pytest.raises(Http404):
        uploads.upload_for(stranger, record.pk)
    assert PortalUpload.objects.count() == 1
