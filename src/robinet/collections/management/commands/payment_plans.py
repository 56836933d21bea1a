"""``robinet payment_plans monitor [--date YYYY-MM-DD]``: the daily check of plans and promises.

Marks instalments paid or missed, closes the plans kept (the debt is cleared)
and breaks those with an instalment unpaid after the grace period (dunning
resumes); promises are kept or broken the same way (COLL-5). Idempotent: run
it every day, a second run on the same date changes nothing.
"""

from django.core.management.base import BaseCommand

from robinet.collections.plans import plans_monitor
from robinet.core import clock
from robinet.core.commands import command_error, parse_date
from robinet.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Échéanciers et promesses de paiement : suivi quotidien (COLL-5)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        monitor = sub.add_parser("monitor", help="suivre les échéanciers et promesses à une date")
        monitor.add_argument("--date", help="AAAA-MM-JJ (par défaut : aujourd'hui)")

    def handle(self, *args, action: str, **options):
        on = parse_date(options.get("date"), default=clock.today())
        try:
            counts = plans_monitor(on=on)
        except ApplicationError as exc:
            raise command_error(exc) from None
        self.stdout.write(
            f"Suivi au {on.strftime('%d/%m/%Y')} : {counts.plans_checked} échéancier(s) suivi(s), "
            f"{counts.plans_kept} respecté(s), {counts.plans_broken} rompu(s), "
            f"{counts.plans_reopened} rouvert(s) ; "
            f"promesses : {counts.promises_kept} tenue(s), {counts.promises_broken} non tenue(s)."
        )
