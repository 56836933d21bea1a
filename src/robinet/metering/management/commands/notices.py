"""``robinet notices close-expired``: the leak-relief cases of METER-5 notices left unanswered.

Daily: a notice opens a DEGREVEMENT case that blocks dunning (CASE-7) for the month the
customer has to send a plumber's certificate or ask for a meter check (BILL-9); when the
month has passed without a request, the case is closed and dunning resumes.
"""

from django.core.management.base import BaseCommand

from robinet.metering.case_links import notice_cases_expire


class Command(BaseCommand):
    help = (
        "Informations de consommation anormale : clôture des dossiers de dégrèvement sans "
        "demande un mois après l'information (robinet notices close-expired)."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["close-expired"], help="ce qu'il faut faire")

    def handle(self, *args, action: str, **options):
        closed = notice_cases_expire()
        self.stdout.write(
            self.style.SUCCESS(f"{closed} dossier(s) de dégrèvement clôturé(s) sans demande.")
        )
