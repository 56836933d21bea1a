"""Back-office screens of metering (METER-1…6).

Thin views: each validates a presentation form, calls one service or
selector of ``robinet.metering``, and renders. The services check the
permissions again and validate every value; their refusals come back as field
errors and an inline alert (``robinet.backoffice.forms.add_service_errors``).

* the anomaly worklist (METER-2): filters, held readings, per-row actions
  updated in place with htmx;
* reading entry and correction from the customer page (modal with htmx, a
  plain page without JavaScript);
* the readings of a service point on the customer page (history, consumption
  chart), loaded with htmx;
* the import of a readings file (the same import as the command), its result
  and its per-line report as CSV.
"""

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django_htmx.http import HttpResponseClientRedirect

from robinet.backoffice.forms import add_service_errors
from robinet.backoffice.http import StaffViewMixin
from robinet.backoffice.templatetags.backoffice import quantity
from robinet.core import clock, exceptions
from robinet.core.exceptions import ApplicationError
from robinet.core.imports import AlreadyImported, InvalidImportFile
from robinet.customers import selectors as customer_selectors
from robinet.customers.views import AccountMixin, ContractActionView
from robinet.metering import forms, selectors, services
from robinet.metering.choices import (
    AnomalyReason,
    AnomalyResolution,
    ReadingSource,
    ReadingStatus,
)
from robinet.metering.imports import import_readings
from robinet.organisation.access import scope_for
from robinet.organisation.roles import Perm

#: rows shown at once in the worklist (the oldest first): filter to see the others
WORKLIST_LIMIT = 100

#: readings shown in the customer page's history (the service point's page shows them all)
HISTORY_LIMIT = 12

#: the permission to enter, correct and resolve readings (services check it again)
CHANGE_PERM = Perm.CUSTOMER_CHANGE

RESOLUTION_MESSAGES = {
    AnomalyResolution.VALIDATED: gettext_lazy("Relevé validé."),
    AnomalyResolution.NEW_READING_REQUESTED: gettext_lazy("Nouvelle relève demandée."),
    AnomalyResolution.METER_NOT_SEEN: gettext_lazy(
        "Compteur non vu : la consommation sera estimée."
    ),
    AnomalyResolution.CORRECTED: gettext_lazy("Relevé corrigé."),
}


def verdict_message(reading) -> tuple[str, str]:
    """(level, text) telling the officer what became of a recorded reading (METER-2)."""
    if reading.status == ReadingStatus.HELD:
        text = _("Relevé enregistré mais mis en anomalie : %(reason)s.") % {
            "reason": reading.get_anomaly_display()
        }
        if reading.anomaly_detail:
            text = f"{text} {reading.anomaly_detail}"
        return messages.WARNING, text
    return messages.SUCCESS, _("Relevé enregistré et validé.")


def safe_next(url: str | None) -> str:
    """Where to go back after an action: a local path, else the worklist."""
    if url and url.startswith("/") and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
        return url
    return reverse("metering:anomalies")


# --- the anomaly worklist ---------------------------------------------------------------------


class AnomalyWorklistView(StaffViewMixin, View):
    """Held readings of the user's centres; filters by centre, reason and age (GET, htmx)."""

    permission = Perm.CUSTOMER_VIEW

    def get(self, request):
        centres = customer_selectors.entity_centres_for(user=request.user, perm=Perm.CUSTOMER_VIEW)
        form = forms.AnomalyFilterForm(request.GET or None, centres=centres.order_by("name"))
        readings = selectors.anomaly_worklist(user=request.user, **form.filters())
        total = readings.count()
        context = {
            "form": form,
            "rows": selectors.worklist_rows(readings[:WORKLIST_LIMIT]),
            "total": total,
            "limit": WORKLIST_LIMIT,
            "can_change": scope_for(request.user).allows(CHANGE_PERM),
            "resolutions": forms.ROW_RESOLUTIONS,
            "validatable": services.VALIDATABLE,
            "back_url": request.get_full_path(),
        }
        partial = request.htmx and not request.htmx.history_restore_request
        template = "metering/_anomaly_table.html" if partial else "metering/anomalies.html"
        return render(request, template, context)


class ReadingMixin(StaffViewMixin):
    """Loads the reading of the URL: 404 outside the user's centres."""

    permission = CHANGE_PERM

    def get_reading(self):
        return selectors.reading_get_for_user(
            user=self.request.user, pk=self.kwargs["pk"], perm=CHANGE_PERM
        )


class AnomalyResolveView(ReadingMixin, View):
    """Valider / Demander une nouvelle relève / Compteur non vu on one held reading."""

    def post(self, request, pk):
        reading = self.get_reading()
        form = forms.AnomalyResolveForm(request.POST)
        error, resolution = "", None
        if not form.is_valid():
            error = _("Action inconnue.")
        else:
            resolution = form.cleaned_data["resolution"]
            try:
                services.anomaly_resolve(actor=request.user, reading=reading, resolution=resolution)
            except (exceptions.PermissionDenied, exceptions.NotFound):
                raise
            except ApplicationError as exc:
                error = exc.message
        message = "" if error else str(RESOLUTION_MESSAGES.get(resolution, ""))
        case = None
        if not error and resolution == AnomalyResolution.NEW_READING_REQUESTED:
            case = selectors.new_reading_case(self.get_reading())
            if case is not None:
                message = _("Nouvelle relève demandée : dossier %(n)s pour l'équipe terrain.") % {
                    "n": case.number
                }
        if request.htmx:
            reading.refresh_from_db()
            return render(
                request,
                "metering/_anomaly_row.html",
                {
                    "row": selectors.worklist_rows([reading])[0],
                    "done": not error,
                    "done_message": message,
                    "case": case,
                    "error_message": error,
                    "can_change": True,
                    "resolutions": forms.ROW_RESOLUTIONS,
                    "validatable": services.VALIDATABLE,
                    "back_url": safe_next(request.POST.get("next")),
                },
            )
        if error:
            messages.error(request, error)
        else:
            messages.success(request, message)
        return redirect(safe_next(request.POST.get("next")))


class ReadingCorrectView(ReadingMixin, View):
    """A corrected index/date for a held or valid reading; the original stays as "corrigé"."""

    def back_url(self, reading) -> str:
        return safe_next(self.request.GET.get("next") or self.request.POST.get("next"))

    def render_form(self, reading, form, error_message=""):
        contract = selectors.active_contract(reading.service_point_id, on=reading.read_on)
        account = contract.account if contract is not None else None
        modal = bool(self.request.htmx)
        intro = _(
            "Compteur %(serial)s, relevé du %(date)s, index %(index)s m³. "
            "Il reste visible dans l'historique comme « corrigé »."
        ) % {
            "serial": reading.meter.serial,
            "date": date_format(reading.read_on, "SHORT_DATE_FORMAT"),
            "index": quantity(reading.index),
        }
        return render(
            self.request,
            "metering/correct.html",
            {
                "reading": reading,
                "account": account,
                "party": account.party if account is not None else None,
                "form": form,
                "error_message": error_message,
                "title": _("Corriger un relevé"),
                "intro": intro,
                "submit_label": _("Enregistrer la correction"),
                "action_url": self.request.get_full_path(),
                "cancel_url": self.back_url(reading),
                "next": self.back_url(reading),
                "base_template": (
                    "customers/actions/modal.html" if modal else "customers/actions/page.html"
                ),
            },
        )

    def get(self, request, pk):
        reading = self.get_reading()
        initial = {"read_on": reading.read_on, "index": reading.index}
        return self.render_form(reading, forms.ReadingCorrectForm(initial=initial))

    def post(self, request, pk):
        reading = self.get_reading()
        form = forms.ReadingCorrectForm(request.POST)
        if not form.is_valid():
            return self.render_form(reading, form)
        try:
            new = services.reading_correct(
                actor=request.user, reading=reading, index=form.cleaned_data["index"],
                read_on=form.cleaned_data["read_on"],
            )  # fmt: skip
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            add_service_errors(form, exc)
            return self.render_form(reading, form, error_message=exc.message)
        level, text = verdict_message(new)
        messages.add_message(request, level, _("Correction enregistrée.") + " " + text)
        if request.htmx:
            return HttpResponseClientRedirect(self.back_url(reading))
        return redirect(self.back_url(reading))


# --- reading entry from the customer page -----------------------------------------------------


class ReadingRecordView(ContractActionView):
    """ "Saisir un relevé" for the active meter of a contract's service point (METER-1, METER-2)."""

    account_perm = CHANGE_PERM
    form_class = forms.ReadingRecordForm
    title = gettext_lazy("Saisir un relevé")
    submit_label = gettext_lazy("Enregistrer le relevé")
    success_anchor = "readings"

    def get_context(self):
        return {
            **super().get_context(),
            "intro": _("Abonnement %(number)s — %(address)s")
            % {"number": self.contract.number, "address": self.contract.service_point.address},
        }

    def perform(self, form):
        data = form.cleaned_data
        reading = services.reading_record(
            actor=self.request.user, service_point=self.contract.service_point,
            read_on=data["read_on"], index=data["index"], source=data["source"],
        )  # fmt: skip
        # The verdict (METER-2): validated, or held with its reason.
        self.success_level, self.success_message = verdict_message(reading)


class MeterChangeView(ContractActionView):
    """ "Changer le compteur" (METER-4): removal index, new meter, install index."""

    form_class = forms.MeterChangeForm
    title = gettext_lazy("Changer le compteur")
    submit_label = gettext_lazy("Enregistrer le changement")
    success_anchor = "readings"

    def load(self):
        super().load()
        if self.contract.service_point.meters.filter(removed_on__isnull=True).first() is None:
            raise Http404

    def get_context(self):
        meter = self.contract.service_point.meters.filter(removed_on__isnull=True).first()
        return {
            **super().get_context(),
            "intro": _(
                "Point de desserte %(reference)s — %(address)s. Compteur déposé : %(serial)s. "
                "La consommation de la période additionnera la part de l'ancien compteur "
                "et celle du nouveau."
            )
            % {
                "reference": self.contract.service_point.reference,
                "address": self.contract.service_point.address,
                "serial": meter.serial,
            },
        }

    def get_initial(self):
        return {"changed_on": clock.today(), "install_index": "0", "new_digits": 5}

    def perform(self, form):
        data = form.cleaned_data
        removal, install = services.meter_change(
            actor=self.request.user, service_point=self.contract.service_point,
            changed_on=data["changed_on"], removal_index=data["removal_index"],
            new_serial=data["new_serial"], new_diameter_mm=data["new_diameter_mm"],
            new_digits=data["new_digits"], install_index=data["install_index"],
        )  # fmt: skip
        # The removal reading's verdict (METER-2): validated, or held with its reason.
        self.success_level, text = verdict_message(removal)
        done = _("Changement de compteur enregistré : compteur %(serial)s posé.") % {
            "serial": install.meter.serial
        }
        self.success_message = f"{done} {text}"


# --- METER-5 notices ---------------------------------------------------------------------------


class NoticeMarkSentView(StaffViewMixin, View):
    """Record that the abnormal-consumption information was sent (loi Warsmann, METER-5)."""

    permission = CHANGE_PERM

    def post(self, request, pk):
        notice = selectors.notice_get_for_user(user=request.user, pk=pk, perm=CHANGE_PERM)
        form = forms.NoticeSentForm(request.POST)
        url = reverse("customers:detail", args=[notice.account.number])
        if not form.is_valid():
            messages.error(request, _("Choisissez le canal d'envoi."))
            return redirect(f"{url}#readings")
        try:
            services.notice_mark_sent(
                actor=request.user, notice=notice, channel=form.cleaned_data["channel"]
            )
        except (exceptions.PermissionDenied, exceptions.NotFound):
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Envoi de l'information enregistré."))
        return redirect(f"{url}#readings")


# --- the readings of a service point on the customer page ---------------------------------------


class ServicePointReadingsView(AccountMixin, View):
    """History and consumption chart of one of the account's service points (METER-1, METER-6).

    Loaded into the customer page with htmx (the page's query count does not
    grow with its contracts); a plain page without JavaScript.
    """

    def get(self, request, number, reference):
        account = self.get_account()
        contract = (
            customer_selectors.contract_list(user=request.user)
            .filter(account=account, service_point__reference=reference)
            .select_related("service_point")
            .order_by("-start_date")
            .first()
        )
        if contract is None:
            raise Http404
        service_point = contract.service_point
        full_page = not request.htmx or request.htmx.history_restore_request
        series = [period_row(p) for p in selectors.consumption_series(service_point=service_point)]
        context = {
            "account": account,
            "party": account.party,
            "contract": contract,
            "service_point": service_point,
            **history_rows(
                selectors.reading_history(service_point=service_point),
                limit=None if full_page else HISTORY_LIMIT,
            ),
            "series": series,
            "chart": {
                "labels": [p["label"] for p in series],
                "current": [p["daily_litres"] for p in series],
                "previous": [p["last_year_litres"] for p in series],
            },
            "chart_id": f"consumption-data-{service_point.pk}",
            "can_read": scope_for(request.user).covers(CHANGE_PERM, account.centre),
            "back_url": reverse("customers:detail", args=[account.number]),
        }
        template = (
            "metering/service_point.html" if full_page else "metering/_service_point_readings.html"
        )
        return render(request, template, context)


def history_rows(readings, *, limit: int | None) -> dict[str, Any]:
    """The newest readings (all with ``limit=None``), each flagged ``correctable``.

    A display hint only (``reading_correct`` decides): a held reading, or a
    valid one no later actual reading was measured from.
    """
    readings = list(readings)
    later_actual = None
    for reading in readings:  # newest first
        reading.correctable = reading.status == ReadingStatus.HELD or (
            reading.status == ReadingStatus.VALID
            and (later_actual is None or later_actual <= reading.read_on)
        )
        if reading.status == ReadingStatus.VALID and reading.source != ReadingSource.ESTIMATE:
            later_actual = later_actual or reading.read_on
    shown = readings if limit is None else readings[:limit]
    return {"readings": shown, "more_readings": len(readings) - len(shown)}


def period_row(period: dict[str, Any]) -> dict[str, Any]:
    """One period of the consumption series, with its daily averages in litres (METER-6)."""
    return {
        **period,
        "label": period["end"].strftime("%d/%m/%Y"),
        "daily_litres": _litres(period["daily_average"]),
        "last_year_litres": _litres(period["last_year_daily_average"]),
    }


def _litres(m3_per_day: Decimal | None) -> int | None:
    """m³/day → whole litres/day (what an officer and the chart read)."""
    if m3_per_day is None:
        return None
    return int((m3_per_day * 1000).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# --- readings file import (METER-1) --------------------------------------------------------------

#: file errors shown on the page (all of them are counted)
ERRORS_SHOWN = 200
#: anomalies listed on the result page (the CSV report has every line)
ANOMALIES_SHOWN = 200


class ReadingsImportView(StaffViewMixin, View):
    """Upload a readings CSV: the same import as ``robinet readings import`` (principle 5).

    Atomic: a refused file is listed line by line and nothing is written. A
    line for a service point outside the user's centres refuses the file.
    Once imported, the result page tells the counts and the anomalies and
    offers the per-line report as CSV.
    """

    permission = selectors.IMPORT_PERM

    def render_page(self, form, *, issues=None, error_message="", status=200):
        issues = list(issues or [])
        return render(
            self.request,
            "metering/import.html",
            {
                "form": form,
                "issues": issues[:ERRORS_SHOWN],
                "issues_total": len(issues),
                "issues_more": max(0, len(issues) - ERRORS_SHOWN),
                "error_message": error_message,
            },
            status=status,
        )

    def get(self, request):
        return self.render_page(forms.ReadingsImportForm())

    def post(self, request):
        form = forms.ReadingsImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(form, status=422)
        upload = form.cleaned_data["file"]
        try:
            result = import_readings(
                upload.read(),
                filename=upload.name,
                actor=request.user,
                centres=selectors.import_centres_for(user=request.user),
            )
        except InvalidImportFile as exc:
            return self.render_page(
                form,
                issues=exc.issues,
                error_message=_("Fichier refusé : rien n'a été importé. Corrigez ces lignes puis "
                                "importez à nouveau le fichier entier."),
                status=422,
            )  # fmt: skip
        except AlreadyImported as exc:
            return self.render_page(form, error_message=exc.message, status=409)
        rows = ngettext("%(rows)s relevé", "%(rows)s relevés", result.rows) % {"rows": result.rows}
        valid = ngettext("%(n)s valide", "%(n)s valides", result.valid) % {"n": result.valid}
        messages.success(
            request,
            _("Import terminé : %(rows)s, %(valid)s, %(held)s en anomalie.")
            % {"rows": rows, "valid": valid, "held": result.held},
        )
        return redirect("metering:readings-import-result", pk=result.import_id)


class ReadingsImportResultView(StaffViewMixin, View):
    """What became of each line of an imported file; the full report as CSV (``?format=csv``)."""

    permission = selectors.IMPORT_PERM

    def get(self, request, pk):
        record = selectors.readings_import_get_for_user(user=request.user, pk=pk)
        outcome = record.outcome
        reasons = dict(AnomalyReason.choices)
        anomalies = [
            {"line": line, "reason": reasons.get(reason, reason), "detail": detail}
            for line, reason, detail in outcome.get("anomalies", [])[:ANOMALIES_SHOWN]
        ]
        return render(
            request,
            "metering/import_result.html",
            {
                "record": record,
                "outcome": outcome,
                "anomalies": anomalies,
                "anomalies_more": max(0, outcome.get("held", 0) - ANOMALIES_SHOWN),
            },
        )


class ReadingsImportReportView(StaffViewMixin, View):
    """The per-line outcome report of an import, as a CSV for a spreadsheet (``;``, UTF-8 BOM)."""

    permission = selectors.IMPORT_PERM

    def get(self, request, pk):
        record = selectors.readings_import_get_for_user(user=request.user, pk=pk)
        statuses = dict(ReadingStatus.choices)
        reasons = dict(AnomalyReason.choices)

        def lines():
            buffer = io.StringIO()
            writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
            buffer.write("\ufeff")
            writer.writerow([_("ligne"), _("résultat"), _("motif"), _("détail")])
            for line, status, reason, detail in selectors.readings_import_report(record):
                writer.writerow([line, statuses[status], reasons.get(reason, reason), detail])
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
            yield buffer.getvalue()

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        name = f"rapport-import-releves-{record.pk}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
