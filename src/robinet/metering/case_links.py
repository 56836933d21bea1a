"""Metering's cases (CASE-2, CASE-8): the new reading asked from the METER-2 worklist, and the
leak-relief case a METER-5 notice starts (BILL-9).

Writes through :mod:`robinet.cases.services` and :mod:`robinet.cases.field`, inside the
caller's transaction. Decisions:

* *Demander une nouvelle relève* opens an **internal** case of type ``RELEVE`` (no
  customer contact), routed to the operations team of the point's centre, with a
  ``meter_reading`` field intervention when the occupant's mobile phone is known (the
  field needs it, CUST-5); without it the case waits in the operations team's list.
  A second request on a point whose case is still open joins that case.
* The **next valid actual reading** of the point (entry, import, field report,
  correction, a held reading validated) read after the rejected one closes the
  request and its case, as the system (``actor=None``: nobody decided it), with a
  resolution naming the reading; the case's live interventions are cancelled, except
  the one whose field report brings that reading.
* A METER-5 notice opens a ``DEGREVEMENT`` case for the occupant, as the system, due
  one calendar month after the notice (the customer's month to answer, BILL-9). Its
  dunning block comes from the case type (CASE-7).
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from robinet.core import clock
from robinet.core.exceptions import ValidationFailed
from robinet.metering.choices import ReadingSource
from robinet.metering.models import AbnormalConsumptionNotice, NewReadingRequest, Reading

NEW_READING_TYPE = "RELEVE"
LEAK_RELIEF_TYPE = "DEGREVEMENT"


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def case_type(code: str):
    """The dictionary entry ``code``, active; a clear error when the dictionary lacks it."""
    from robinet.cases.models import CaseType

    found = CaseType.objects.filter(code=code, active=True).first()
    if found is None:
        raise ValidationFailed(
            {
                "case_type": [
                    _(
                        "Le type de dossier %(code)s manque au dictionnaire ou est inactif "
                        "(robinet cases seed-dictionary)."
                    )
                    % {"code": code}
                ]
            }
        )
    return found


def add_months(moment: dt.datetime, months: int) -> dt.datetime:
    """The same local wall-clock time ``months`` later (last day of a shorter month)."""
    local = timezone.localtime(moment)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    return local.replace(
        year=year, month=month, day=min(local.day, calendar.monthrange(year, month)[1])
    )


# --- METER-2: a new reading requested -----------------------------------------------------------


def new_reading_request_open(*, actor, reading: Reading, comment: str = "") -> NewReadingRequest:
    """The internal case and the field intervention for a rejected reading (METER-2)."""
    from robinet.cases import field
    from robinet.cases.choices import Channel, InterventionKind
    from robinet.cases.services import case_open
    from robinet.metering import selectors

    service_point = reading.service_point
    open_request = (
        NewReadingRequest.objects.filter(service_point=service_point, closed_at__isnull=True)
        .select_related("case")
        .order_by("-id")
        .first()
    )
    if open_request is not None and open_request.case.is_open:
        case, intervention = open_request.case, open_request.intervention
    else:
        contract = selectors.active_contract(
            service_point.pk, on=clock.today()
        ) or selectors.active_contract(service_point.pk, on=reading.read_on)
        account = contract.account if contract is not None else None
        detail = _(
            "Relevé du %(date)s (compteur %(serial)s, index %(index)s m³) rejeté : %(anomaly)s. "
            "Relever l'index sur place."
        ) % {
            "date": reading.read_on.strftime("%d/%m/%Y"),
            "serial": reading.meter.serial,
            "index": number_format(reading.index, use_l10n=True),
            "anomaly": reading.get_anomaly_display(),
        }
        if comment.strip():
            detail = f"{detail}\n{comment.strip()}"
        case = case_open(
            actor=actor,
            case_type=case_type(NEW_READING_TYPE),
            centre=service_point.centre,
            account=account,
            channel=Channel.WEB_SERVICE,
            subject=_("Nouvelle relève — point %(ref)s") % {"ref": service_point.reference},
            description=detail,
        )
        intervention = None
        phone = (account.party.mobile or "").strip() if account is not None else ""
        if case.case_type.intervention and phone:
            intervention = field.intervention_create(
                actor=actor,
                case=case,
                kind=InterventionKind.METER_READING,
                service_point=service_point,
                contact_phone=phone,
                comment=detail[:2000],
            )
    return NewReadingRequest.objects.create(
        reading=reading,
        service_point=service_point,
        case=case,
        intervention=intervention,
        created_at=clock.now(),
        created_by=_user(actor),
    )


def _resolution(reading: Reading) -> str:
    return _(
        "Nouveau relevé valide reçu : %(date)s, index %(index)s m³ (%(source)s). "
        "La demande de relève est satisfaite."
    ) % {
        "date": reading.read_on.strftime("%d/%m/%Y"),
        "index": number_format(reading.index, use_l10n=True),
        "source": reading.get_source_display(),
    }


def _from_intervention_report(reading: Reading, intervention) -> bool:
    """The reading is the index of this intervention's own field report (cases.field)."""
    return reading.reader == _("Intervention %(number)s") % {"number": intervention.number}


def new_reading_requests_close(readings: list[Reading]) -> int:
    """Close the open requests that these valid actual readings satisfy; returns how many.

    A reading satisfies a request of its service point when it was read after the
    rejected reading. Runs inside the caller's transaction, as the system.
    """
    readings = [r for r in readings if r.source != ReadingSource.ESTIMATE]
    if not readings:
        return 0
    by_point: dict[int, list[Reading]] = {}
    for reading in readings:
        by_point.setdefault(reading.service_point_id, []).append(reading)
    requests = list(
        NewReadingRequest.objects.select_for_update(of=("self",))
        .filter(service_point_id__in=list(by_point), closed_at__isnull=True)
        .select_related("reading", "case")
        .order_by("id")
    )
    if not requests:
        return 0
    from robinet.cases.choices import LIVE_INTERVENTION_STATUSES
    from robinet.cases.field import intervention_cancel
    from robinet.cases.models import Intervention
    from robinet.cases.services import case_close

    closed = 0
    now = clock.now()
    for request in requests:
        candidates = sorted(
            (r for r in by_point[request.service_point_id] if r.read_on > request.reading.read_on),
            key=lambda r: (r.read_on, r.pk),
        )
        if not candidates:
            continue
        reading = candidates[0]
        request.closed_at = now
        request.closing_reading = reading
        request.save(update_fields=["closed_at", "closing_reading"])
        closed += 1
        case = request.case
        case.refresh_from_db(fields=["status"])
        if not case.is_open:
            continue
        for intervention in Intervention.objects.filter(
            case=case, status__in=LIVE_INTERVENTION_STATUSES
        ):
            if not _from_intervention_report(reading, intervention):
                intervention_cancel(
                    actor=None,
                    intervention=intervention,
                    reason=_("Nouveau relevé reçu par ailleurs"),
                )
        case_close(actor=None, case=case, resolution=_resolution(reading))
    return closed


# --- METER-5: the leak-relief case --------------------------------------------------------------


def _notice_texts(notice: AbnormalConsumptionNotice) -> tuple[str, str]:
    """Subject and description of a notice's leak-relief case."""
    subject = _("Consommation anormale du %(start)s au %(end)s : écrêtement possible") % {
        "start": notice.period_start.strftime("%d/%m/%Y"),
        "end": notice.period_end.strftime("%d/%m/%Y"),
    }
    description = _(
        "Information de consommation anormale (METER-5) : %(volume)s m³ pour une moyenne "
        "de référence de %(average)s m³. Le client a un mois pour envoyer l'attestation "
        "d'un plombier (fuite réparée après compteur) ou demander la vérification du "
        "compteur."
    ) % {
        "volume": number_format(notice.consumption, use_l10n=True),
        "average": number_format(notice.reference_average, use_l10n=True),
    }
    return subject, description


def notice_case_open(notice: AbnormalConsumptionNotice):
    """Open the DEGREVEMENT case of a METER-5 notice (as the system), due in one month."""
    from robinet.cases.choices import Channel
    from robinet.cases.services import case_open

    if notice.case_id is not None:
        return notice.case
    account = notice.account
    opened_at = clock.now()
    subject, description = _notice_texts(notice)
    case = case_open(
        actor=None,
        case_type=case_type(LEAK_RELIEF_TYPE),
        centre=account.centre,
        account=account,
        channel=Channel.LETTER,
        subject=subject,
        description=description,
        opened_at=opened_at,
        response_due=add_months(opened_at, 1),
    )
    notice.case = case
    notice.save(update_fields=["case"])
    return case


def notice_cases_open(notices: list[AbnormalConsumptionNotice]) -> int:
    """:func:`notice_case_open` for many notices not saved yet (a readings import): opens
    their cases in bulk and sets ``notice.case``; the caller then inserts the notices.
    Returns how many cases were opened."""
    from robinet.cases.choices import Channel
    from robinet.cases.services import SystemOpening, cases_open_by_system
    from robinet.customers.models import CustomerAccount

    notices = [notice for notice in notices if notice.case_id is None]
    if not notices:
        return 0
    accounts = CustomerAccount.objects.select_related("centre").in_bulk(
        {notice.account_id for notice in notices}
    )
    opened_at = clock.now()
    cases = cases_open_by_system(
        case_type=case_type(LEAK_RELIEF_TYPE),
        channel=Channel.LETTER,
        openings=[
            SystemOpening(accounts[notice.account_id], *_notice_texts(notice)) for notice in notices
        ],
        opened_at=opened_at,
        response_due=add_months(opened_at, 1),
    )
    for notice, case in zip(notices, cases, strict=True):
        notice.case = case
    return len(cases)


def notice_cases_expire(*, now: dt.datetime | None = None) -> int:
    """Close the leak-relief cases of METER-5 notices whose month passed without a request
    (no certificate, no meter check): the excess is due and dunning resumes (CASE-7).

    The daily job ``robinet notices close-expired``; one transaction per case, as the
    system. Returns how many cases were closed.
    """
    from django.db import transaction

    from robinet.cases.choices import OPEN_STATUSES
    from robinet.cases.models import Case
    from robinet.cases.services import case_close

    now = now or clock.now()
    ids = list(
        Case.objects.filter(
            abnormal_notice__isnull=False,
            status__in=OPEN_STATUSES,
            response_due__lt=now,
            leak_relief_requests__isnull=True,
        )
        .order_by("id")
        .values_list("pk", flat=True)
    )
    closed = 0
    for pk in ids:
        with transaction.atomic():
            case = Case.objects.select_for_update().filter(pk=pk).first()
            if case is None or not case.is_open or case.leak_relief_requests.exists():
                continue
            case_close(
                actor=None,
                case=case,
                resolution=_(
                    "Aucune attestation de réparation ni demande de vérification du compteur "
                    "reçue dans le mois suivant l'information : la consommation facturée est due."
                ),
            )
            closed += 1
    return closed
