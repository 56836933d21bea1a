"""``robinet provisions run [--date YYYY-MM-DD]``: doubtful debts and provisions (COLL-11).

Transfers overdue items older than the first age bucket from customers (411)
to doubtful customers (416), provisions them by age bucket (6817 / 491) and
takes back what is no longer needed (491 / 7817) — paid, written off, or
moved back. Posts only the difference since the last run: a second run at
the same date posts nothing.
"""

from django.core.management.base import BaseCommand

from robinet.collections.provisions import provision_run
from robinet.core import clock
from robinet.core.commands import command_error, parse_date
from robinet.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Créances douteuses et provisions par ancienneté (COLL-11)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="calculer les provisions à une date")
        run.add_argument("--date", help="AAAA-MM-JJ (par défaut : aujourd'hui)")

    def handle(self, *args, action: str, **options):
        on = parse_date(options.get("date"), default=clock.today())
        try:
            run = provision_run(on=on)
        except ApplicationError as exc:
            raise command_error(exc) from None
        self.stdout.write(
            f"Provisions au {on.strftime('%d/%m/%Y')} : transféré en douteux (net) "
            f"{run.doubtful_moved} €, dotation {run.increase} €, reprise {run.decrease} €."
        )
