"""Reads of vouchers (PAY-10): agreements, stock and alerts, movements, yearly statement.

Scoping (ORG-2): a user sees the stock of the entities under his own for
``PAYMENT_VIEW``, and the agreements of the regions he works in (a centre's
officer sees his region's agreements: he takes their vouchers at the counter).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from robinet.core.exceptions import NotFound
from robinet.organisation.access import scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm
from robinet.payments import voucher_rules as rules
from robinet.payments.models import (
    Denomination,
    VoucherAgreement,
    VoucherMovement,
    VoucherStock,
)
from robinet.payments.models import VoucherAgreementStatus as Status


def region_ids_for(user, perm: str = Perm.PAYMENT_VIEW) -> list[int]:
    """The regions the user works in (holds ``perm`` on them or below them)."""
    scope = scope_for(user)
    regions = Entity.objects.filter(kind=EntityKind.REGION).order_by("pk")
    if scope.is_superuser:
        return list(regions.values_list("pk", flat=True))
    paths = scope.paths_by_perm.get(perm, ())
    return [
        pk
        for pk, path in regions.values_list("pk", "path")
        if any(p.startswith(path) for p in paths)
    ]


def agreement_list(
    *, user, year: int | None = None, status: str = "", search: str = ""
) -> QuerySet[VoucherAgreement]:
    agreements = VoucherAgreement.objects.filter(region_id__in=region_ids_for(user)).select_related(
        "region", "administration_account"
    )
    if year:
        agreements = agreements.filter(year=year)
    if status:
        agreements = agreements.filter(status=status)
    if search.strip():
        term = search.strip()
        agreements = agreements.filter(
            Q(number__icontains=term)
            | Q(administration_name__icontains=term)
            | Q(accounts__number=term)
        ).distinct()
    return agreements.order_by("-year", "-number")


def agreement_get_for_user(*, user, pk: int | None = None, number: str = "") -> VoucherAgreement:
    lookup = {"pk": pk} if pk is not None else {"number": number}
    agreement = agreement_list(user=user).filter(**lookup).first()
    if agreement is None:
        raise NotFound(_("Convention vignettes introuvable."))
    return agreement


def agreements_for_account(account) -> QuerySet[VoucherAgreement]:
    return account.voucher_agreements.exclude(status=Status.DRAFT).order_by("-year")


def stock_list(*, user, entity: Entity | None = None) -> list[VoucherStock]:
    """Stock rows of the user's entities (all face values that ever moved or have a threshold)."""
    scope = scope_for(user)
    rows = VoucherStock.objects.filter(scope.entity_filter(Perm.PAYMENT_VIEW, "entity"))
    if entity is not None:
        rows = rows.filter(entity__path__startswith=entity.path)
    return list(rows.select_related("entity").order_by("entity__path", "denomination"))


def stock_alerts(*, user) -> list[VoucherStock]:
    """Centres below their alert threshold, the largest shortfall first (PAY-10)."""
    rows = [
        row
        for row in stock_list(user=user)
        if row.entity.kind == EntityKind.CENTRE and row.quantity < row.alert_threshold
    ]
    return sorted(rows, key=lambda r: (r.quantity - r.alert_threshold, r.entity.path))


def stock_by_entity(*, user) -> list[dict]:
    """The stock table: one row per entity, one cell per face value (``Denomination`` order)."""
    values = list(Denomination.values)
    by_entity: dict[int, dict] = {}
    for row in stock_list(user=user):
        item = by_entity.setdefault(
            row.entity_id,
            {
                "entity": row.entity,
                "cells": [None] * len(values),
                "total": Decimal(0),
                "alert": False,
            },
        )
        item["cells"][values.index(row.denomination)] = row
        item["total"] += Decimal(row.denomination) * row.quantity
        item["alert"] = item["alert"] or row.below_threshold
    return list(by_entity.values())


def movement_list(
    *, user, agreement: VoucherAgreement | None = None, limit: int = 100
) -> list[VoucherMovement]:
    scope = scope_for(user)
    movements = VoucherMovement.objects.select_related(
        "source", "destination", "agreement", "centre", "payment"
    )
    if agreement is not None:
        movements = movements.filter(agreement=agreement)
    elif not scope.is_superuser:
        visible = scope.entity_filter(Perm.PAYMENT_VIEW)
        entity_ids = list(Entity.objects.filter(visible).values_list("pk", flat=True))
        movements = movements.filter(
            Q(source_id__in=entity_ids)
            | Q(destination_id__in=entity_ids)
            | Q(centre_id__in=entity_ids)
            | Q(agreement__region_id__in=region_ids_for(user))
        )
    return list(movements.order_by("-pk")[:limit])


def agreement_figures(agreement: VoucherAgreement) -> list[rules.DenominationFigures]:
    agreed = dict(agreement.lines.values_list("denomination", "quantity"))
    moves = (
        VoucherMovement.objects.filter(agreement=agreement)
        .values_list("kind", "denomination")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    return rules.agreement_figures(agreed, list(moves))


@dataclass
class StatementRow:
    agreement: VoucherAgreement
    figures: list[rules.DenominationFigures]

    @property
    def issued_amount(self) -> Decimal:
        return sum((f.issued_amount for f in self.figures), Decimal(0))

    @property
    def redeemed_amount(self) -> Decimal:
        return sum((f.redeemed_amount for f in self.figures), Decimal(0))

    @property
    def unused_amount(self) -> Decimal:
        return sum((f.unused_amount for f in self.figures), Decimal(0))

    @property
    def paid_amount(self) -> Decimal:
        paid = self.agreement.status in (Status.PAID, Status.CLOSED)
        return self.agreement.total_amount if paid else Decimal(0)


@dataclass
class Statement:
    """The yearly statement (*bilan d'exercice des vignettes*) of the user's regions."""

    year: int
    rows: list[StatementRow] = field(default_factory=list)

    def _sum(self, name: str) -> Decimal:
        return sum((getattr(r, name) for r in self.rows), Decimal(0))

    @property
    def agreed_amount(self) -> Decimal:
        return sum((r.agreement.total_amount for r in self.rows), Decimal(0))

    @property
    def issued_amount(self) -> Decimal:
        return self._sum("issued_amount")

    @property
    def redeemed_amount(self) -> Decimal:
        return self._sum("redeemed_amount")

    @property
    def unused_amount(self) -> Decimal:
        return self._sum("unused_amount")

    @property
    def paid_amount(self) -> Decimal:
        return self._sum("paid_amount")

    def by_denomination(self) -> list[rules.DenominationFigures]:
        totals: dict[int, rules.DenominationFigures] = {}
        for row in self.rows:
            for f in row.figures:
                t = totals.setdefault(f.denomination, rules.DenominationFigures(f.denomination))
                t.agreed += f.agreed
                t.issued += f.issued
                t.redeemed += f.redeemed
                t.cancelled += f.cancelled
        return [totals[d] for d in sorted(totals)]


def statement(
    *, user, year: int, all_regions: bool = False, region: Entity | None = None
) -> Statement:
    """The yearly statement of the user's regions (``all_regions``: operator commands only)."""
    if all_regions:
        agreements_qs = VoucherAgreement.objects.filter(year=year).select_related("region")
    else:
        agreements_qs = agreement_list(user=user, year=year)
    if region is not None:
        agreements_qs = agreements_qs.filter(region=region)
    agreements = list(agreements_qs.exclude(status=Status.DRAFT).order_by("number"))
    agreed: dict[int, dict[int, int]] = {a.pk: {} for a in agreements}
    from robinet.payments.models import VoucherAgreementLine

    for agreement_id, d, q in VoucherAgreementLine.objects.filter(
        agreement_id__in=agreed
    ).values_list("agreement_id", "denomination", "quantity"):
        agreed[agreement_id][d] = q
    moves: dict[int, list] = {a.pk: [] for a in agreements}
    for agreement_id, kind, d, total in (
        VoucherMovement.objects.filter(agreement_id__in=agreed)
        .values_list("agreement_id", "kind", "denomination")
        .annotate(total=Sum("quantity"))
        .order_by()
    ):
        moves[agreement_id].append((kind, d, total))
    return Statement(
        year=year,
        rows=[
            StatementRow(a, rules.agreement_figures(agreed[a.pk], moves[a.pk])) for a in agreements
        ],
    )


def statement_csv(result: Statement) -> str:
    """The statement as CSV (semicolons, decimal commas: opens in a French spreadsheet)."""

    def money(value: Decimal) -> str:
        return f"{value:.2f}".replace(".", ",")

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(
        [
            _("Convention"),
            _("Administration"),
            _("État"),
            _("Valeur faciale"),
            _("Quantité convenue"),
            _("Remises"),
            _("Utilisées"),
            _("Annulées"),
            _("Non utilisées"),
            _("Montant remis"),
            _("Montant utilisé"),
            _("Montant non utilisé"),
            _("Payée le"),
            _("Référence Trésor"),
        ]
    )
    for row in result.rows:
        a = row.agreement
        for f in row.figures:
            writer.writerow(
                [
                    a.number,
                    a.administration_name,
                    a.get_status_display(),
                    f.denomination,
                    f.agreed,
                    f.issued,
                    f.redeemed,
                    f.cancelled,
                    f.unused,
                    money(f.issued_amount),
                    money(f.redeemed_amount),
                    money(f.unused_amount),
                    a.paid_on.isoformat() if a.paid_on else "",
                    a.treasury_reference,
                ]
            )
    writer.writerow(
        [
            _("Total"),
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            money(result.issued_amount),
            money(result.redeemed_amount),
            money(result.unused_amount),
            "",
            money(result.paid_amount),
        ]
    )
    return out.getvalue()


DENOMINATIONS = Denomination.values
