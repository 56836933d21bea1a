"""Reads of the public-accountant bridge: exports, status imports, titles."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from robinet.core.exceptions import NotFound
from robinet.core.models.imports import ImportFile
from robinet.organisation.access import require, scope_for
from robinet.organisation.roles import Perm
from robinet.pes.choices import STATUS_IMPORT_KIND
from robinet.pes.models import PesExport, Title, TitleEvent


def export_list(*, user) -> QuerySet[PesExport]:
    """The exports, newest first (without their bytes)."""
    require(user, Perm.BILLING_VIEW)
    return PesExport.objects.defer("content").select_related("run", "created_by")


def export_get(*, user, pk: int) -> PesExport:
    require(user, Perm.BILLING_VIEW)
    export = PesExport.objects.filter(pk=pk).first()
    if export is None:
        raise NotFound(_("Export PES introuvable."))
    return export


def status_import_list(*, user) -> QuerySet[ImportFile]:
    """The recovery-status files imported, newest first (``outcome`` has the counts)."""
    require(user, Perm.BILLING_VIEW)
    return (
        ImportFile.objects.filter(kind=STATUS_IMPORT_KIND)
        .select_related("imported_by")
        .order_by("-imported_at", "-pk")
    )


def title_for_invoice(*, user, invoice) -> Title | None:
    """The invoice's title, if it was sent to the public accountant (and the user sees it)."""
    scope = scope_for(user)
    if not scope.covers(Perm.BILLING_VIEW, invoice.account.centre):
        return None
    return Title.objects.filter(invoice=invoice).select_related("export").first()


def titles_for_account(*, user, account) -> QuerySet[Title]:
    require(user, Perm.BILLING_VIEW, account.centre)
    return Title.objects.filter(account=account).select_related("invoice", "export")


def title_events(title: Title) -> QuerySet[TitleEvent]:
    return title.events.select_related("import_file", "payment")
