"""``robinet cases``: the daily claim-effects job and the national dictionary.

* ``robinet cases claim-effects [--date YYYY-MM-DD]``: open claims not solved
  the same day suspend the monthly payment or hold the direct debit (CASE-7).
  Idempotent: a case already handled is skipped.
* ``robinet cases seed-dictionary``: add the entries of the national
  dictionary of requests that are missing (CASE-2).
"""

from django.core.management.base import BaseCommand

from robinet.cases.dictionary import seed
from robinet.cases.models import CaseType
from robinet.cases.services import claim_effects_apply
from robinet.core import clock
from robinet.core.commands import command_error, parse_date
from robinet.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Dossiers clients : effets des réclamations (CASE-7), dictionnaire national (CASE-2)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        effects = sub.add_parser(
            "claim-effects",
            help="suspendre prélèvement ou mensualisation des réclamations non résolues le jour même",
        )
        effects.add_argument("--date", help="AAAA-MM-JJ (par défaut : aujourd'hui)")
        sub.add_parser("seed-dictionary", help="ajouter les types de dossier manquants")

    def handle(self, *args, action: str, **options):
        if action == "seed-dictionary":
            created = seed(CaseType)
            self.stdout.write(f"Dictionnaire des demandes : {len(created)} type(s) ajouté(s).")
            return
        on = parse_date(options.get("date"), default=clock.today())
        try:
            changed = claim_effects_apply(actor=None, on=on)
        except ApplicationError as exc:
            raise command_error(exc) from None
        self.stdout.write(
            f"Réclamations au {on.strftime('%d/%m/%Y')} : {changed} dossier(s) ont suspendu "
            "le prélèvement ou la mensualisation."
        )
