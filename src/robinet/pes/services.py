"""Exporting a billing run's titles to the public accountant (PES V2 ORMC).

:func:`pes_export` titles the invoices of a billing run still due — one
title per invoice (a database constraint), numbered per exercise — and
sends, in the same file, the annulation/reduction of the titles of earlier
exports that a credit note has reduced since. It writes the file (validated
against the schema), the export row with its hash and totals, the titles and
the reductions in one transaction: nothing is half-written.

Invoices that are not titled are listed in the export with their reason:
below the €15 threshold per debtor (COLL-10, CGCT D1611-1), nothing due,
collected by direct debit or monthly payment by the régie itself, a debtor
address the file cannot carry (abroad, no postcode), or a line that cannot be
imputed (negative imputation).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from robinet.billing.choices import InvoiceKind
from robinet.billing.models import Invoice
from robinet.core import audit, clock
from robinet.core.exceptions import ApplicationError
from robinet.core.models import BatchRun
from robinet.core.money import round_money
from robinet.core.numbering import next_number, next_numbers
from robinet.customers.choices import CustomerClass, PartyKind
from robinet.ledger.models import OpenItem
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.pes import ormc
from robinet.pes.conf import PesSettings, is_regie, pes_settings
from robinet.pes.models import PesExport, Title, TitleReduction

ZERO = Decimal("0.00")
BORDEREAU_SERIES = "PES-BORD-ORMC"
REDUCTION_BORDEREAU_SERIES = "PES-BORD-RED"
TITLE_SERIES = "PES-TITRE"
REDUCTION_SERIES = "PES-REDUC"

#: (CatTiers, NatJur) per customer class, for companies and for persons.
COMPANY_CATEGORY = {
    CustomerClass.LOCAL_AUTHORITY: ("23", "09"),  # communes — collectivité territoriale
    CustomerClass.ADMINISTRATION: ("20", "07"),  # État — État ou organisme d'État
}
PERSON_CATEGORY = {
    CustomerClass.PROFESSIONAL: ("01", "02"),  # personne physique — artisan/commerçant
    CustomerClass.FARMER: ("01", "02"),  # personne physique — agriculteur
}


def title_number(year: int, piece: int) -> str:
    """``T2026-0000017``: the title's exercise and IdPce, as shown to users and in files."""
    return f"T{year}-{piece:07d}"


def debtor_category(party_kind: str, customer_class: str) -> tuple[str, str]:
    """(CatTiers, NatJur) of a debtor: private persons 01/01, companies 60/03, public bodies."""
    if customer_class in COMPANY_CATEGORY:
        return COMPANY_CATEGORY[customer_class]
    if party_kind == PartyKind.COMPANY:
        return ("60", "03")  # personne morale de droit privé — société
    return PERSON_CATEGORY.get(customer_class, ("01", "01"))  # personne physique — particulier


def debtor_of(invoice: Invoice) -> tuple[ormc.Debtor | None, str]:
    """The invoice's debtor as the file carries it, or (None, why it cannot)."""
    account = invoice.account
    party = account.party
    street, complement, postcode, city, country = (
        party.address_line,
        party.address_complement,
        party.postcode,
        party.city,
        party.country or "FR",
    )
    if not (street and postcode and city) and invoice.service_point_id:
        point = invoice.service_point
        street = f"{point.street_number} {point.street}".strip()
        complement, postcode, city, country = (
            point.address_complement,
            point.postcode,
            point.city,
            "FR",
        )
    if country != "FR":
        return None, _("débiteur domicilié à l'étranger : titre à émettre à la main")
    if not (street and city) or len(postcode) != 5 or not postcode.isdigit():
        return None, _("adresse du débiteur incomplète (voie, code postal à 5 chiffres, commune)")
    category, nature = debtor_category(party.kind, account.customer_class)
    person = party.kind == PartyKind.PERSON
    siret = party.siret if len(party.siret or "") == 14 and party.siret.isdigit() else ""
    return (
        ormc.Debtor(
            category=category,
            legal_nature=nature,
            name=party.name,
            first_name=party.first_name if person else "",
            civility=party.civility if person else "",
            name_complement=party.name_complement,
            siret="" if person and category == "01" and nature == "01" else siret,
            reference=account.number,
            street=street,
            complement=complement,
            postcode=postcode,
            city=city,
        ),
        "",
    )


def _spread(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` spread pro rata over ``weights`` to the cent, the rest on the largest."""
    base = sum(weights, ZERO)
    if not weights:
        return []
    if base == 0:
        shares = [ZERO] * len(weights)
        shares[0] = total
        return shares
    shares = [round_money(total * w / base) for w in weights]
    largest = max(range(len(weights)), key=lambda i: abs(weights[i]))
    shares[largest] += total - sum(shares, ZERO)
    return shares


def piece_lines(
    invoice: Invoice, lines: Iterable, config: PesSettings, *, due: Decimal
) -> list[ormc.Line] | None:
    """The title's lines: one per imputation and VAT rate, HT and VAT, for ``due`` TTC.

    The invoice's VAT per rate (BILL-3, rounded once per rate) is spread over the
    imputations of that rate; when less than the invoice is due (partly paid or
    credited), every line is reduced pro rata, to the cent. None when an
    imputation would be negative (a deduction larger than what it is deducted from).
    """
    groups: dict[tuple[str, str, Decimal], list] = defaultdict(lambda: [ZERO, []])
    for line in lines:
        imputation = config.imputation(line.service, line.beneficiary, line.component_code)
        rate = Decimal(line.vat_rate).quantize(Decimal("0.01"))
        group = groups[(imputation.account, imputation.product, rate)]
        group[0] += line.amount_excl_vat
        group[1].append(line.label)
    keys = sorted(groups, key=lambda k: (k[0], k[2]))
    vat_by_rate = {
        Decimal(v["rate"]).quantize(Decimal("0.01")): Decimal(v["amount"])
        for v in invoice.vat_breakdown or []
    }
    vat: dict[tuple, Decimal] = {}
    for rate in {k[2] for k in keys}:
        of_rate = [k for k in keys if k[2] == rate]
        for key, share in zip(
            of_rate,
            _spread(vat_by_rate.get(rate, ZERO), [groups[k][0] for k in of_rate]),
            strict=True,
        ):
            vat[key] = share
    excl = [groups[k][0] for k in keys]
    taxes = [vat[k] for k in keys]
    total = sum(excl, ZERO) + sum(taxes, ZERO)
    if due != total and total > 0:
        excl = [round_money(x * due / total) for x in excl]
        taxes = [round_money(t * due / total) for t in taxes]
        rest = due - sum(excl, ZERO) - sum(taxes, ZERO)
        largest = max(range(len(keys)), key=lambda i: excl[i])
        excl[largest] += rest
    result = []
    for key, amount_excl, tax in zip(keys, excl, taxes, strict=True):
        if amount_excl == 0 and tax == 0:
            continue
        if amount_excl <= 0 or tax < 0:
            return None
        labels = groups[key][1]
        label = labels[0] if len(labels) == 1 else ", ".join(dict.fromkeys(labels))
        result.append(
            ormc.Line(
                label=label,
                account=key[0],
                product=key[1],
                amount_excl_vat=amount_excl,
                vat=tax,
                vat_rate=key[2],
            )
        )
    return result


def _object(invoice: Invoice) -> str:
    return _("Facture %(n)s du %(s)s au %(e)s") % {
        "n": invoice.number,
        "s": invoice.period_start.strftime("%d/%m/%Y"),
        "e": invoice.period_end.strftime("%d/%m/%Y"),
    }


def _skip(skipped: list, invoice: Invoice, reason: str) -> None:
    skipped.append(
        {
            "invoice": invoice.number,
            "account": invoice.account.number,
            "amount": str(invoice.total_incl_vat),
            "reason": str(reason),
        }
    )


def _titles_to_issue(run: BatchRun, config: PesSettings):
    """[(invoice, due, debtor, lines)] and the skipped invoices with their reason."""
    invoices = list(
        Invoice.objects.filter(run=run, pes_title__isnull=True)
        .exclude(kind=InvoiceKind.CREDIT_NOTE)
        .select_related("account__party", "service_point")
        .prefetch_related("lines")
        .order_by("account__number", "number")
    )
    open_amounts = dict(
        OpenItem.objects.filter(invoice__in=invoices).values_list("invoice_id", "open_amount")
    )
    skipped: list[dict] = []
    minimum = Decimal(config.min_title)
    per_account: dict[int, Decimal] = defaultdict(lambda: ZERO)
    candidates = []
    for invoice in invoices:
        due = Decimal(open_amounts.get(invoice.pk, ZERO))
        account = invoice.account
        if due <= 0:
            _skip(skipped, invoice, _("rien à recouvrer (réglée, créditée ou nulle)"))
            continue
        if account.direct_debit or account.monthly_payment:
            _skip(skipped, invoice, _("prélevée ou mensualisée par la régie : hors titre"))
            continue
        candidates.append((invoice, due))
        per_account[account.pk] += due
    titles = []
    for invoice, due in candidates:
        if per_account[invoice.account_id] < minimum:
            _skip(
                skipped,
                invoice,
                _("sous le seuil de %(min)s € par débiteur (COLL-10)") % {"min": config.min_title},
            )
            continue
        debtor, why = debtor_of(invoice)
        if debtor is None:
            _skip(skipped, invoice, why)
            continue
        lines = piece_lines(invoice, invoice.lines.all(), config, due=due)
        if not lines:
            _skip(skipped, invoice, _("une imputation serait négative : titre à émettre à la main"))
            continue
        titles.append((invoice, due, debtor, lines))
    return titles, skipped


def _reductions_to_send(config: PesSettings):
    """[(credit note, title, amount, debtor, lines)] of credit notes on earlier titles."""
    notes = list(
        Invoice.objects.filter(
            kind=InvoiceKind.CREDIT_NOTE,
            credited_invoice__pes_title__isnull=False,
            pes_reduction__isnull=True,
        )
        .select_related(
            "credited_invoice__pes_title", "credited_invoice__service_point", "account__party"
        )
        .prefetch_related("lines")
        .order_by("number")
    )
    result = []
    reduced: dict[int, Decimal] = defaultdict(lambda: ZERO)  # by this file, per title
    for note in notes:
        title = note.credited_invoice.pes_title
        amount = min(note.total_incl_vat, title.outstanding - reduced[title.pk])
        if amount <= 0:
            continue
        debtor, _why = debtor_of(note.credited_invoice)
        lines = piece_lines(note, note.lines.all(), config, due=amount) if debtor else None
        if not lines:
            continue
        reduced[title.pk] += amount
        result.append((note, title, amount, debtor, lines))
    return result


def _refuse(message: str, code: str, status: int = 400):
    raise ApplicationError(message, code=code, fields={"__all__": [message]}, http_status=status)


def pes_export(*, actor, run: BatchRun | None, on: dt.date | None = None) -> PesExport:
    """Export ``run``'s titles (and the pending reductions) in one PES Aller file.

    ``run=None`` sends only the reductions. Refused when the utility is not a
    régie, when the run is not a finished billing run, or when there is nothing
    to send.
    """
    if actor is not None:  # None: the system (``robinet pes``), as the billing commands
        require(actor, Perm.BILLING_RUN)
    if not is_regie():
        _refuse(
            _(
                "Le service n'est pas géré en régie (ROBINET_PUBLIC_REGIE) : "
                "ses factures ne sont pas titrées par le comptable public."
            ),
            "not_regie",
        )
    if run is not None and (run.kind != "billing" or run.state != "done"):
        _refuse(_("Seule une facturation terminée peut être titrée."), "run_not_done", 409)
    config = pes_settings()
    on = on or clock.today()
    year = on.year
    with transaction.atomic():
        if run is not None:
            BatchRun.objects.select_for_update().get(pk=run.pk)
        titles, skipped = _titles_to_issue(run, config) if run is not None else ([], [])
        reductions = _reductions_to_send(config)
        if not titles and not reductions:
            _refuse(
                _("Rien à transmettre : aucune facture à titrer ni réduction en attente."),
                "nothing_to_export",
                409,
            )
        bordereau = next_number(BORDEREAU_SERIES, year) if titles else None
        reduction_bordereau = next_number(REDUCTION_BORDEREAU_SERIES, year) if reductions else None
        pieces = list(next_numbers(TITLE_SERIES, len(titles), year)) if titles else []
        reduction_pieces = (
            list(next_numbers(REDUCTION_SERIES, len(reductions), year)) if reductions else []
        )
        filename = (
            f"PES_{config.cod_col}_{config.cod_bud}_{year}_{bordereau or 0:07d}"
            f"_{reduction_bordereau or 0:07d}.xml"
        )
        header = ormc.Header(
            filename=filename,
            created_on=on,
            id_post=config.id_post,
            id_coll=config.id_coll,
            cod_col=config.cod_col,
            cod_bud=config.cod_bud,
            budget_label=config.budget_label,
            sender=config.sender,
        )
        bordereaux = []
        if titles:
            bordereaux.append(
                ormc.Bordereau(
                    kind=ormc.ORMC,
                    year=year,
                    number=bordereau,
                    issued_on=on,
                    object=_("Facturation n° %(n)s — eau et assainissement") % {"n": run.pk},
                    pieces=tuple(
                        ormc.Piece(
                            piece=piece,
                            object=_object(invoice),
                            debtor=debtor,
                            lines=tuple(lines),
                            invoice_number=invoice.number,
                            debt_number=f"{invoice.year}{invoice.sequence:09d}",
                            asp_date=on,
                            period_start=invoice.period_start,
                            period_end=invoice.period_end,
                        )
                        for piece, (invoice, _due, debtor, lines) in zip(
                            pieces, titles, strict=True
                        )
                    ),
                )
            )
        if reductions:
            bordereaux.append(
                ormc.Bordereau(
                    kind=ormc.REDUCTION,
                    year=year,
                    number=reduction_bordereau,
                    issued_on=on,
                    object=_("Réductions et annulations de titres (avoirs)"),
                    pieces=tuple(
                        ormc.Piece(
                            piece=piece,
                            object=_("Avoir %(n)s sur le titre %(t)s")
                            % {"n": note.number, "t": title.number},
                            debtor=debtor,
                            lines=tuple(lines),
                            invoice_number=note.number,
                            original_year=title.year,
                            original_piece=title.piece,
                        )
                        for piece, (note, title, _amount, debtor, lines) in zip(
                            reduction_pieces, reductions, strict=True
                        )
                    ),
                )
            )
        content = ormc.build(header, bordereaux)
        now = clock.now()
        export = PesExport.objects.create(
            run=run,
            year=year,
            issued_on=on,
            bordereau=bordereau,
            reduction_bordereau=reduction_bordereau,
            filename=filename,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            titles=len(titles),
            total=sum((due for _i, due, _d, _l in titles), ZERO),
            reductions=len(reductions),
            reductions_total=sum((amount for _n, _t, amount, _d, _l in reductions), ZERO),
            skipped=skipped,
            created_at=now,
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        try:
            with transaction.atomic():
                Title.objects.bulk_create(
                    [
                        Title(
                            invoice=invoice,
                            account_id=invoice.account_id,
                            export=export,
                            number=title_number(year, piece),
                            year=year,
                            piece=piece,
                            amount=due,
                            status_on=on,
                        )
                        for piece, (invoice, due, _d, _l) in zip(pieces, titles, strict=True)
                    ]
                )
        except IntegrityError:
            _refuse(_("Ces factures viennent d'être titrées par un autre export."), "race", 409)
        TitleReduction.objects.bulk_create(
            [
                TitleReduction(
                    title=title,
                    credit_note=note,
                    export=export,
                    year=year,
                    piece=piece,
                    amount=amount,
                )
                for piece, (note, title, amount, _d, _l) in zip(
                    reduction_pieces, reductions, strict=True
                )
            ]
        )
        for _note, title, amount, _d, _l in reductions:
            Title.objects.filter(pk=title.pk).update(reduced=F("reduced") + amount)
        audit.record(
            actor=actor,
            verb="pes.exported",
            target=export,
            data={
                "run": run.pk if run else None,
                "titles": len(titles),
                "total": str(export.total),
                "reductions": len(reductions),
                "sha256": export.sha256,
            },
        )
        return export
