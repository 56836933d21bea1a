"""Files customers send from the portal: validation and private storage (PORTAL-2, security).

A file is accepted when its first bytes say it is a PDF, a JPEG or a PNG —
the name and the browser's content type are not trusted —, it is not empty
and it weighs 10 MB at most. It is kept in private storage
(:func:`robinet.portal.models.private_storage`) with its SHA-256 and served
only through the view that checks its owner.
"""

from __future__ import annotations

import hashlib
import os

from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.portal.models import PortalUpload

MAX_SIZE = 10 * 1024 * 1024

#: magic bytes → content type
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


def sniff(head: bytes) -> str | None:
    """The content type the first bytes announce, or None when not an allowed type."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def validate_upload(upload, field: str = "file") -> tuple[str, str, int]:
    """(content type, SHA-256, size) of an uploaded file; ``ValidationFailed`` naming ``field``."""
    size = getattr(upload, "size", None) or 0
    if size <= 0:
        raise ValidationFailed({field: [_("Le fichier est vide.")]})
    if size > MAX_SIZE:
        raise ValidationFailed({field: [_("Le fichier dépasse 10 Mo.")]})
    upload.seek(0)
    content_type = sniff(upload.read(16))
    if content_type is None:
        raise ValidationFailed({field: [_("Seuls les fichiers PDF, JPEG ou PNG sont acceptés.")]})
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return content_type, digest.hexdigest(), size


def _safe_name(name: str, content_type: str) -> str:
    base = os.path.basename(name or "").strip() or "document"
    return base[:200] if base else "document" + EXTENSIONS[content_type]


def upload_store(*, user, account, upload, case=None, field: str = "file") -> PortalUpload:
    """Validate and keep one file of ``user`` about ``account`` (already checked as theirs)."""
    content_type, sha256, size = validate_upload(upload, field)
    original = _safe_name(getattr(upload, "name", ""), content_type)
    record = PortalUpload(
        owner=user,
        account=account,
        case=case,
        original_name=original,
        content_type=content_type,
        size=size,
        sha256=sha256,
        uploaded_at=clock.now(),
    )
    # the stored name is ours: nothing of the customer's file name reaches the disk
    record.file.save(f"{sha256[:16]}{EXTENSIONS[content_type]}", upload, save=False)
    record.save()
    return record


def uploads_validate(files, field: str = "attachments") -> None:
    """Check several files before anything is written (the first bad one names ``field``)."""
    for upload in files:
        validate_upload(upload, field)


def upload_for(user, pk: int) -> PortalUpload:
    """One of ``user``'s own files, or 404."""
    from django.http import Http404

    found = (
        PortalUpload.objects.filter(pk=pk, owner=user, account__portal_links__user=user)
        .distinct()
        .first()
    )
    if found is None:
        raise Http404
    return found
