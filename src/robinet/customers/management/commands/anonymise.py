"""``robinet anonymise``: GDPR anonymisation of customers closed past retention (CUST-8)."""

import datetime as dt

from django.conf import settings
from django.core.management.base import BaseCommand

from robinet.core import clock
from robinet.customers.services import parties_anonymise


class Command(BaseCommand):
    help = "Anonymise les clients dont tous les comptes sont clos depuis plus que la durée de conservation."

    def add_arguments(self, parser):
        parser.add_argument(
            "--as-of",
            type=dt.date.fromisoformat,
            default=None,
            help="date de référence (AAAA-MM-JJ)",
        )
        parser.add_argument("--retention-years", type=int, default=settings.ROBINET_RETENTION_YEARS)
        parser.add_argument("--dry-run", action="store_true", help="compter sans rien modifier")

    def handle(self, *args, as_of, retention_years: int, dry_run: bool, **options):
        ids = parties_anonymise(
            as_of=as_of or clock.today(), retention_years=retention_years, dry_run=dry_run
        )
        verb = "seraient anonymisés" if dry_run else "anonymisés"
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(ids)} acteur(s) {verb} (conservation : {retention_years} ans)."
            )
        )
