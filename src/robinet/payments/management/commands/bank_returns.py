"""``robinet bank_returns import FILE``, ``robinet bank_returns refunds [--propose] [--approve-all]
[--export FILE.xml [--execution-date YYYY-MM-DD]]``.

A pain.002 or camt.054 of direct-debit returns (PAY-4) is read and checked
whole: any problem is printed and nothing is imported (exit code 1); else the
rejected payments are reversed and the outcome printed per operation.
Refunds of credit balances (PAY-6): propose, approve, export as pain.001.
"""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.exceptions import ApplicationError
from robinet.core.money import format_money
from robinet.payments import refunds, returns
from robinet.payments.models import Refund, RefundStatus


class Command(BaseCommand):
    help = (
        "Retours de prélèvements (pain.002, camt.054 — PAY-4) et remboursements (pain.001 — PAY-6)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="importer un fichier de rejets / retours")
        imp.add_argument("file", type=Path, help="fichier pain.002 ou camt.054")
        ref = sub.add_parser("refunds", help="proposer, approuver, virer les remboursements")
        ref.add_argument("--propose", action="store_true", help="proposer les soldes créditeurs")
        ref.add_argument(
            "--approve-all", action="store_true", help="approuver tous les remboursements proposés"
        )
        ref.add_argument("--export", type=Path, help="écrire le fichier pain.001 des approuvés")
        ref.add_argument(
            "--execution-date", type=dt.date.fromisoformat, help="date d'exécution (AAAA-MM-JJ)"
        )

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApplicationError as exc:
            details = " ".join(m for messages in exc.fields.values() for m in messages)
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _import(self, *, file, **options):
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Fichier illisible : {exc}") from None
        outcome = returns.return_file_import(
            actor=None, data=data, filename=file.name, check_permission=False
        )
        for item in outcome.file.items.select_related("payment", "reversal"):
            payment = item.payment.number if item.payment else "—"
            reason = f" {item.reason_code} {item.reason_label}" if item.reason_code else ""
            self.stdout.write(
                f"{item.position:>5} {item.end_to_end_id:<35} {format_money(item.amount):>12} "
                f"{payment:<14} {item.get_outcome_display()}{reason}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{outcome.file.get_kind_display()} « {outcome.file.message_id} » : "
                f"{len(outcome.reversed)} règlement(s) annulé(s), "
                f"{len(outcome.accepted)} accepté(s), "
                f"{len(outcome.already_reversed)} déjà annulé(s), {outcome.fees} frais facturé(s)."
            )
        )
        for number in outcome.direct_debit_stopped:
            self.stdout.write(f"Prélèvement arrêté sur le compte {number} (rejets répétés).")

    def _refunds(self, *, propose, approve_all, export, execution_date, **options):
        if not (propose or approve_all or export):
            raise CommandError("Indiquez --propose, --approve-all et/ou --export FICHIER.xml.")
        if propose:
            outcome = refunds.refunds_propose(actor=None, check_permission=False)
            for refund in outcome.proposed:
                self.stdout.write(
                    f"Proposé {refund.number} : {refund.account.number} {format_money(refund.amount)}"
                )
            for account, reason in outcome.skipped:
                self.stdout.write(f"Écarté {account.number} : {reason}")
        if approve_all:
            for refund in Refund.objects.filter(status=RefundStatus.PROPOSED).order_by("pk"):
                try:
                    refunds.refund_approve(actor=None, refund=refund, check_permission=False)
                except ApplicationError as exc:
                    details = " ".join(m for ms in exc.fields.values() for m in ms)
                    self.stdout.write(f"Non approuvé {refund.number} : {exc.message} {details}")
                else:
                    self.stdout.write(f"Approuvé {refund.number}")
        if export:
            refund_file = refunds.refunds_export(
                actor=None, execution_date=execution_date, check_permission=False
            )
            export.write_text(refund_file.content, encoding="utf-8")
            self.stdout.write(
                self.style.SUCCESS(
                    f"Fichier {refund_file.message_id} : {refund_file.refunds_count} virement(s), "
                    f"{format_money(refund_file.total)} → {export}"
                )
            )
