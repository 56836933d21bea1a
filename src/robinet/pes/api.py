"""JSON API of the public-accountant bridge (régie, PES V2).

* ``GET /pes/exports``: the PES exports, newest first; ``POST /pes/exports``
  titles a finished billing run (``run``; null sends only the pending
  reductions) — 201, 409 when there is nothing to send or the run is not done,
  400 when the utility is not a régie;
* ``GET /pes/exports/{id}/file``: the PES Aller XML as sent;
* ``GET /pes/status-imports`` and ``POST /pes/status-imports`` (multipart
  ``file``): import the accountant's recovery statuses — 201 with the counts,
  422 with every error by line, 409 when the same file was already imported;
* ``GET /pes/titles/{number}``: a title, its status and its events.

Amounts are strings. Permissions as on the screens.
"""

import datetime as dt
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status, UploadedFile

from robinet.billing.api import _binary, _page
from robinet.core.exceptions import NotFound
from robinet.core.models import BatchRun
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.pes import selectors
from robinet.pes.models import Title
from robinet.pes.services import pes_export
from robinet.pes.status import status_import

router = Router(tags=["comptable public"])


class PesSkippedOut(Schema):
    invoice: str
    account: str
    amount: Decimal
    reason: str


class PesExportOut(Schema):
    id: int
    run: int | None = Field(None, alias="run_id")
    year: int
    issued_on: dt.date
    bordereau: int | None
    reduction_bordereau: int | None
    filename: str
    sha256: str
    titles: int
    total: Decimal
    reductions: int
    reductions_total: Decimal
    skipped: list[PesSkippedOut]
    created_at: dt.datetime


class ExportIn(Schema):
    run: int | None = Field(None, description="n° de la facturation ; null : réductions seules")
    date: dt.date | None = None


class StatusImportOut(Schema):
    id: int
    filename: str
    imported_at: dt.datetime
    rows: int
    outcome: dict


class TitleEventOut(Schema):
    line: int
    status: str = Field(description="paid | enforcement | written_off | cancelled")
    amount: Decimal
    occurred_on: dt.date
    reference: str
    payment: str | None = None

    @staticmethod
    def resolve_payment(obj) -> str | None:
        return obj.payment.number if obj.payment_id else None


class TitleOut(Schema):
    number: str
    invoice: str = Field(alias="invoice.number")
    account: str = Field(alias="account.number")
    year: int
    piece: int
    amount: Decimal
    status: str = Field(
        description="sent | partly_paid | paid | enforcement | written_off | cancelled"
    )
    status_on: dt.date
    paid: Decimal
    written_off: Decimal
    reduced: Decimal
    reference: str
    events: list[TitleEventOut]

    @staticmethod
    def resolve_events(obj):
        return list(selectors.title_events(obj))


@router.get("/pes/exports", response=list[PesExportOut], summary="Exports PES (titres)")
def export_list(request, limit: int = 50, offset: int = 0):
    return list(selectors.export_list(user=request.user)[_page(limit, offset)])


@router.post(
    "/pes/exports", response={201: PesExportOut}, summary="Titrer une facturation (PES V2)"
)
def export_create(request, payload: ExportIn):
    run = None
    if payload.run is not None:
        run = BatchRun.objects.filter(pk=payload.run, kind="billing").first()
        if run is None:
            raise NotFound(_("Facturation introuvable."))
    export = pes_export(actor=request.user, run=run, on=payload.date)
    return Status(201, export)


@router.get(
    "/pes/exports/{export_id}/file",
    summary="Fichier PES Aller de l'export",
    openapi_extra=_binary("application/xml", "PES Aller XML"),
)
def export_file(request, export_id: int):
    export = selectors.export_get(user=request.user, pk=export_id)
    response = HttpResponse(bytes(export.content), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@router.get(
    "/pes/status-imports", response=list[StatusImportOut], summary="Retours du comptable importés"
)
def status_import_list(request, limit: int = 50, offset: int = 0):
    return list(selectors.status_import_list(user=request.user)[_page(limit, offset)])


@router.post(
    "/pes/status-imports",
    response={201: StatusImportOut},
    summary="Importer les retours de recouvrement du comptable public (CSV)",
)
def status_import_create(request, file: File[UploadedFile]):
    record = status_import(
        actor=request.user, source=file.read(), filename=file.name or "retours.csv"
    )
    return Status(201, record)


@router.get("/pes/titles/{number}", response=TitleOut, summary="Lire un titre de recettes")
def title_get(request, number: str):
    title = Title.objects.select_related("invoice", "account__centre").filter(number=number).first()
    if title is None:
        raise NotFound(_("Titre introuvable."))
    require(request.user, Perm.BILLING_VIEW, title.account.centre)
    return title
