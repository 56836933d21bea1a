"""Outsourced collection operators and agencies: transfers, statements, booking (PAY-8).

* :func:`operator_transfer_record` — an officer records the lump sum an
  operator transferred (the bank-statement import will call it later);
* :func:`operator_statement_import` — the operator's statement file (CSV,
  ``docs/import-formats.md``) is parsed and validated whole before anything is
  written (errors name the line and column; the same file twice is refused by
  its hash), stored with its lines, then examined;
* :func:`operator_statement_examine` — the pure rule of
  :mod:`robinet.payments.operator_matching` decides: when every line is sound
  and the statement total equals the transfer(s) it covers, every line is
  booked through :func:`~robinet.payments.services.payment_record` (means
  ``operator`` or ``agency``, external reference ``CODE:line reference``) in
  one transaction; otherwise nothing is booked and the differences are
  listed. A statement in difference is examined again after the missing
  transfer is recorded (or with the transfer the officer selects).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from robinet.billing.models import Invoice
from robinet.core import audit, clock, imports
from robinet.core.exceptions import ApplicationError, NotFound, ValidationFailed
from robinet.core.money import format_money, is_rounded, to_decimal
from robinet.customers.models import CustomerAccount
from robinet.organisation.access import require
from robinet.organisation.roles import Perm
from robinet.payments import operator_matching as matching
from robinet.payments.models import (
    CollectionOperator,
    LineOutcome,
    OperatorKind,
    OperatorStatement,
    OperatorStatementLine,
    OperatorTransfer,
    Payment,
    StatementStatus,
)
from robinet.payments.services import DuplicatePayment, payment_record, validate_amount

IMPORT_KIND = "operator_statement"
REQUIRED_COLUMNS = ("reference", "account", "amount", "paid_on")
OPTIONAL_COLUMNS = ("invoice",)
_CODE = re.compile(r"^[A-Z0-9_-]{2,16}$")
_MAX_LINE_AMOUNT = Decimal("10000000")


def _check(actor, check_permission: bool, perm: str = Perm.PAYMENT_IMPORT, entity=None) -> None:
    if check_permission:
        require(actor, perm, entity)


def external_reference(operator: CollectionOperator, reference: str) -> str:
    return f"{operator.code}:{reference}"


# --- operators and transfers -------------------------------------------------------------------


def operator_create(
    *, actor, code: str, name: str, kind: str, check_permission: bool = True
) -> CollectionOperator:
    """A collection operator or agency (PAYMENT_IMPORT). Validates its input."""
    _check(actor, check_permission)
    code = (code or "").strip().upper()
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not _CODE.match(code):
        errors["code"] = [_("Code de 2 à 16 lettres, chiffres, tirets.")]
    elif CollectionOperator.objects.filter(code=code).exists():
        errors["code"] = [_("Ce code est déjà pris.")]
    if not name:
        errors["name"] = [_("Le nom est obligatoire.")]
    if kind not in OperatorKind.values:
        errors["kind"] = [_("Type inconnu.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        operator = CollectionOperator.objects.create(code=code, name=name[:120], kind=kind)
        audit.record(actor=actor, verb="operator_created", target=operator, data={"code": code})
    return operator


def operator_transfer_record(
    *,
    actor,
    operator: CollectionOperator,
    amount: Decimal,
    received_on: dt.date,
    bank_reference: str,
    check_permission: bool = True,
) -> OperatorTransfer:
    """Record a transfer received from ``operator`` (PAYMENT_IMPORT). Validates its input;
    the same bank reference twice for an operator is refused (field ``bank_reference``)."""
    _check(actor, check_permission)
    errors: dict[str, list[str]] = {}
    try:
        validate_amount(amount)
    except ValidationFailed as error:
        errors.update(error.fields)
    bank_reference = (bank_reference or "").strip()
    if not bank_reference:
        errors["bank_reference"] = [_("La référence bancaire est obligatoire.")]
    elif len(bank_reference) > 80:
        errors["bank_reference"] = [_("80 caractères au plus.")]
    elif OperatorTransfer.objects.filter(operator=operator, bank_reference=bank_reference).exists():
        errors["bank_reference"] = [_("Ce virement est déjà enregistré.")]
    if received_on is None:
        errors["received_on"] = [_("La date de réception est obligatoire.")]
    elif received_on > clock.today():
        errors["received_on"] = [_("La date de réception ne peut pas être dans le futur.")]
    if errors:
        raise ValidationFailed(errors)
    with transaction.atomic():
        transfer = OperatorTransfer.objects.create(
            operator=operator,
            amount=amount,
            received_on=received_on,
            bank_reference=bank_reference,
            created_at=clock.now(),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        audit.record(
            actor=actor,
            verb="operator_transfer_recorded",
            target=transfer,
            data={"operator": operator.code, "amount": amount, "reference": bank_reference},
        )
    return transfer


# --- statements --------------------------------------------------------------------------------


def _parse_day(text: str) -> dt.date | None:
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def parse_statement(source) -> list[dict]:
    """The statement's lines, checked one by one; raises ``InvalidImportFile`` listing every
    problem by line and column (nothing is written by this function)."""
    reader = imports.read_csv(source, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)
    errors = reader.errors
    today = clock.today()
    rows: list[dict] = []
    for line, row in reader:
        reference = row["reference"]
        if not reference:
            errors.add(line, "reference", _("référence de l'opérateur absente."))
        elif len(reference) > 60:
            errors.add(line, "reference", _("60 caractères au plus."))
        account = row["account"]
        if not account:
            errors.add(line, "account", _("numéro de compte client absent."))
        elif len(account) > 32:
            errors.add(line, "account", _("32 caractères au plus."))
        if len(row["invoice"]) > 32:
            errors.add(line, "invoice", _("32 caractères au plus."))
        amount = None
        try:
            amount = to_decimal(row["amount"])
        except (TypeError, ValueError):
            errors.add(line, "amount", _("montant illisible : « %(v)s ».") % {"v": row["amount"]})
        else:
            if amount <= 0:
                errors.add(line, "amount", _("le montant doit être positif."))
            elif amount >= _MAX_LINE_AMOUNT:  # before is_rounded: it cannot round 40 digits
                errors.add(line, "amount", _("montant trop élevé."))
            elif not is_rounded(amount):
                errors.add(line, "amount", _("le montant s'exprime au centime près."))
        paid_on = _parse_day(row["paid_on"])
        if paid_on is None:
            errors.add(
                line,
                "paid_on",
                _("date illisible : « %(v)s » (AAAA-MM-JJ ou JJ/MM/AAAA).") % {"v": row["paid_on"]},
            )
        elif paid_on > today:
            errors.add(line, "paid_on", _("date de paiement dans le futur."))
        rows.append(
            {
                "line": line,
                "reference": reference,
                "account_number": account,
                "invoice_number": row["invoice"],
                "amount": amount,
                "paid_on": paid_on,
            }
        )
    if not rows:
        errors.add(None, None, _("le relevé ne contient aucune ligne."))
    errors.raise_if_any()
    return rows


def _transfers_by_reference(operator, references: Sequence[str]) -> list[OperatorTransfer]:
    references = [r.strip() for r in references if r and r.strip()]
    if not references:
        return []
    found = {
        t.bank_reference: t
        for t in OperatorTransfer.objects.filter(operator=operator, bank_reference__in=references)
    }
    missing = [r for r in references if r not in found]
    if missing:
        raise ValidationFailed(
            {
                "transfer": [
                    _("Virement inconnu pour cet opérateur : %(refs)s.")
                    % {"refs": ", ".join(missing)}
                ]
            }
        )
    taken = [t.bank_reference for t in found.values() if t.statement_id is not None]
    if taken:
        raise ValidationFailed(
            {
                "transfer": [
                    _("Virement déjà rapproché d'un autre relevé : %(refs)s.")
                    % {"refs": ", ".join(taken)}
                ]
            }
        )
    return list(found.values())


def operator_statement_import(
    *,
    actor,
    operator: CollectionOperator,
    source,
    filename: str,
    transfer_references: Sequence[str] = (),
    check_permission: bool = True,
) -> OperatorStatement:
    """Import an operator's statement and examine it at once (PAY-8).

    Refusals write nothing: ``AlreadyImported`` (same file), ``InvalidImportFile``
    (every problem by line and column), ``ValidationFailed`` naming ``transfer``
    for an unknown or already used transfer reference.
    """
    _check(actor, check_permission)
    data = imports.read_bytes(source)
    sha = imports.file_sha256(data)
    imports.ensure_not_imported(IMPORT_KIND, sha)
    rows = parse_statement(data)
    chosen = _transfers_by_reference(operator, transfer_references)
    with transaction.atomic(durable=True):
        record = imports.record_import(
            kind=IMPORT_KIND, sha256=sha, filename=filename, rows=len(rows), actor=actor
        )
        statement = OperatorStatement.objects.create(
            operator=operator,
            import_file=record,
            filename=record.filename,
            status=StatementStatus.IMPORTED,
            line_count=len(rows),
            total=sum((r["amount"] for r in rows), Decimal("0.00")),
            imported_at=clock.now(),
            imported_by=actor if getattr(actor, "pk", None) else None,
        )
        OperatorStatementLine.objects.bulk_create(
            OperatorStatementLine(statement=statement, **row) for row in rows
        )
        audit.record(
            actor=actor,
            verb="operator_statement_imported",
            target=statement,
            data={"operator": operator.code, "lines": len(rows), "total": statement.total},
        )
        _examine(actor=actor, statement=statement, chosen=chosen, check_permission=check_permission)
    statement.refresh_from_db()
    return statement


def operator_statement_examine(
    *,
    actor,
    statement: OperatorStatement,
    transfer_references: Sequence[str] = (),
    check_permission: bool = True,
) -> OperatorStatement:
    """Examine a statement again (after a missing transfer was recorded, or with the
    transfer(s) the officer selects); books it when it now matches."""
    _check(actor, check_permission)
    chosen = _transfers_by_reference(statement.operator, transfer_references)
    with transaction.atomic(durable=True):
        locked = OperatorStatement.objects.select_for_update().get(pk=statement.pk)
        if locked.status == StatementStatus.BOOKED:
            raise ApplicationError(
                _("Ce relevé est déjà rapproché et comptabilisé."),
                code="statement_already_booked",
                http_status=409,
            )
        _examine(actor=actor, statement=locked, chosen=chosen, check_permission=check_permission)
    statement.refresh_from_db()
    return statement


def _examine(*, actor, statement, chosen, check_permission: bool) -> None:
    operator = statement.operator
    lines = list(statement.lines.order_by("line"))
    accounts = {
        a.number: a
        for a in CustomerAccount.objects.select_related("centre").filter(
            number__in={x.account_number for x in lines}
        )
    }
    invoices = {
        i.number: i
        for i in Invoice.objects.filter(number__in={x.invoice_number for x in lines} - {""})
    }
    booked = dict(
        Payment.objects.filter(
            means=operator.kind,
            external_reference__in=[external_reference(operator, x.reference) for x in lines],
        ).values_list("external_reference", "number")
    )
    pure_lines = []
    for item in lines:
        item.account = accounts.get(item.account_number)
        invoice = invoices.get(item.invoice_number) if item.invoice_number else None
        item.invoice = (
            invoice if invoice is not None and item.account is not None
            and invoice.account_id == item.account.pk else None
        )  # fmt: skip
        pure_lines.append(
            matching.StatementLine(
                line=item.line,
                reference=item.reference,
                amount=item.amount,
                account_known=item.account is not None,
                invoice_known=not item.invoice_number or item.invoice is not None,
                already_booked=external_reference(operator, item.reference) in booked,
            )
        )
    candidates = [
        matching.Transfer(key=t.pk, amount=t.amount, received_on=t.received_on)
        for t in operator.transfers.filter(statement__isnull=True).order_by("received_on", "pk")
    ]
    result = matching.examine(
        pure_lines,
        chosen=[matching.Transfer(key=t.pk, amount=t.amount) for t in chosen] or None,
        candidates=candidates,
    )
    differences = _describe(result, lines, booked, operator)
    statement.transfer_total = result.transfer_total
    statement.examined_at = clock.now()
    if not result.bookable:
        for item in lines:
            codes = result.line_issues.get(item.line, [])
            item.outcome = codes[0] if codes else LineOutcome.PENDING
            item.message = " ".join(
                d["message"] for d in differences if d.get("line") == item.line
            )[:255]
        OperatorStatementLine.objects.bulk_update(
            lines, ["account", "invoice", "outcome", "message"]
        )
        statement.status = StatementStatus.DIFFERENCE
        statement.differences = differences
        statement.save(update_fields=["transfer_total", "examined_at", "status", "differences"])
        audit.record(
            actor=actor,
            verb="operator_statement_in_difference",
            target=statement,
            data={"differences": len(differences), "total": statement.total},
        )
        return
    if check_permission:
        for centre in {item.account.centre for item in lines}:
            require(actor, Perm.PAYMENT_IMPORT, centre)
    for item in lines:
        try:
            payment = payment_record(
                actor=actor,
                account=item.account,
                means=operator.kind,
                amount=item.amount,
                received_on=item.paid_on,
                invoice=item.invoice,
                payer_reference=item.reference,
                external_reference=external_reference(operator, item.reference),
                check_permission=False,
            )
        except DuplicatePayment as exc:  # booked by a concurrent examination
            raise ApplicationError(
                _("Ligne %(line)s : %(message)s") % {"line": item.line, "message": exc.message},
                code="statement_line_duplicate",
                http_status=409,
            ) from None
        item.payment = payment
        item.outcome = LineOutcome.BOOKED
        item.message = ""
    OperatorStatementLine.objects.bulk_update(
        lines, ["account", "invoice", "outcome", "message", "payment"]
    )
    OperatorTransfer.objects.filter(pk__in=result.transfers, statement__isnull=True).update(
        statement=statement
    )
    statement.status = StatementStatus.BOOKED
    statement.differences = []
    statement.booked_at = clock.now()
    statement.save(
        update_fields=["transfer_total", "examined_at", "status", "differences", "booked_at"]
    )
    audit.record(
        actor=actor,
        verb="operator_statement_booked",
        target=statement,
        data={"lines": len(lines), "total": statement.total, "transfers": result.transfers},
    )


def _describe(result: matching.Examination, lines, booked: dict, operator) -> list[dict]:
    """The differences, in French, for the screen and the API (statement level first)."""
    out: list[dict] = []
    for code in result.issues:
        if code == matching.NO_TRANSFER:
            message = _(
                "Aucun virement de %(total)s reçu de cet opérateur : enregistrez le virement "
                "puis réexaminez le relevé (ou choisissez le virement qu'il couvre)."
            ) % {"total": format_money(result.statement_total)}
        else:
            message = _(
                "Total du relevé %(total)s ≠ virement(s) reçu(s) %(transfers)s "
                "(écart %(difference)s)."
            ) % {
                "total": format_money(result.statement_total),
                "transfers": format_money(result.transfer_total),
                "difference": format_money(result.difference),
            }
        out.append({"code": code, "line": None, "message": message})
    by_line = {x.line: x for x in lines}
    for line_no in sorted(result.line_issues):
        item = by_line[line_no]
        for code in result.line_issues[line_no]:
            if code == matching.UNKNOWN_ACCOUNT:
                text = _("compte client « %(v)s » inconnu.") % {"v": item.account_number}
            elif code == matching.UNKNOWN_INVOICE:
                text = _("facture « %(v)s » inconnue pour ce compte.") % {"v": item.invoice_number}
            elif code == matching.DUPLICATE:
                text = _("référence « %(v)s » en double dans le relevé.") % {"v": item.reference}
            else:
                text = _("référence « %(v)s » déjà comptabilisée (règlement %(n)s).") % {
                    "v": item.reference,
                    "n": booked.get(external_reference(operator, item.reference), "?"),
                }
            out.append(
                {
                    "code": code,
                    "line": line_no,
                    "message": _("Ligne %(line)s : %(text)s") % {"line": line_no, "text": text},
                }
            )
    return out


# --- reads -------------------------------------------------------------------------------------


def operator_list(*, user, active_only: bool = False):
    require(user, Perm.PAYMENT_VIEW)
    qs = CollectionOperator.objects.all()
    if active_only:
        qs = qs.filter(active=True)
    return qs.order_by("code")


def operator_get(*, user, code: str) -> CollectionOperator:
    operator = operator_list(user=user).filter(code=(code or "").strip().upper()).first()
    if operator is None:
        raise NotFound(_("Opérateur d'encaissement inconnu : %(code)s.") % {"code": code})
    return operator


def transfer_list(*, user, operator: CollectionOperator | None = None, unassigned: bool = False):
    require(user, Perm.PAYMENT_VIEW)
    qs = OperatorTransfer.objects.select_related("operator", "statement")
    if operator is not None:
        qs = qs.filter(operator=operator)
    if unassigned:
        qs = qs.filter(statement__isnull=True)
    return qs.order_by("-received_on", "-pk")


def statement_list(*, user, operator: CollectionOperator | None = None, status: str = ""):
    require(user, Perm.PAYMENT_VIEW)
    qs = OperatorStatement.objects.select_related("operator")
    if operator is not None:
        qs = qs.filter(operator=operator)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-imported_at", "-pk")


def statement_get_for_user(*, user, pk: int) -> OperatorStatement:
    statement = statement_list(user=user).filter(pk=pk).first()
    if statement is None:
        raise NotFound(_("Relevé introuvable."))
    return statement


def statement_lines(statement: OperatorStatement):
    return statement.lines.select_related("account", "invoice", "payment").order_by("line")
