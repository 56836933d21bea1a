"""``robinet payments import-operator-statement FILE --operator CODE [--transfer REF]…``,
``robinet payments expire-card-checkouts [--minutes N]``.

The statement of an outsourced collection operator or agency (PAY-8): read
and checked whole (every problem printed by line and column, nothing
imported, exit code 1), then validated against the transfer it covers and
booked, or left in difference with the differences printed (exit code 2).
"""

import datetime as dt
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.commands import FILE_HELP, run_import
from robinet.core.exceptions import ApplicationError
from robinet.core.money import format_money
from robinet.payments import cards, operators
from robinet.payments.models import CollectionOperator, StatementStatus


class Command(BaseCommand):
    help = (
        "Règlements : relevés des opérateurs d'encaissement (PAY-8), paiements par carte (PAY-2)."
    )

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        statement = sub.add_parser(
            "import-operator-statement", help="importer et rapprocher le relevé d'un opérateur"
        )
        statement.add_argument("file", type=Path, help=FILE_HELP)
        statement.add_argument("--operator", required=True, help="code de l'opérateur")
        statement.add_argument(
            "--transfer",
            action="append",
            default=[],
            help="référence bancaire du virement couvert (répétable ; sinon celui du même montant)",
        )
        expire = sub.add_parser(
            "expire-card-checkouts", help="clore les paiements par carte jamais confirmés"
        )
        expire.add_argument("--minutes", type=int, default=60, help="âge minimal (60)")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _import_operator_statement(self, *, file, operator, transfer, **options):
        the_operator = CollectionOperator.objects.filter(code=operator.strip().upper()).first()
        if the_operator is None:
            raise CommandError(f"Opérateur inconnu : « {operator} ».")

        def importer(path, *, filename, force):
            return operators.operator_statement_import(
                actor=None,
                operator=the_operator,
                source=path,
                filename=filename,
                transfer_references=transfer,
                check_permission=False,
            )

        statement, elapsed = run_import(self, importer, file, force=False, refused="erreur(s)")
        self.stdout.write(
            f"Relevé n° {statement.pk} : {statement.line_count} ligne(s), "
            f"total {format_money(statement.total)}, "
            f"virement(s) {format_money(statement.transfer_total)} ({elapsed:.1f} s)."
        )
        if statement.status == StatementStatus.BOOKED:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Rapproché : {statement.line_count} règlement(s) comptabilisé(s)."
                )
            )
            return
        for difference in statement.differences:
            self.stderr.write(f"  {difference['message']}")
        raise CommandError(
            "Relevé en écart : rien n'a été comptabilisé. Enregistrez le virement manquant "
            "puis réexaminez le relevé (écran Relevés des opérateurs).",
            returncode=2,
        )

    def _expire_card_checkouts(self, *, minutes, **options):
        count = cards.card_checkouts_expire(older_than=dt.timedelta(minutes=minutes))
        self.stdout.write(f"{count} paiement(s) par carte expiré(s).")
