"""``robinet import customers|service_points|contracts|open-items FILE.csv`` (API-2, principle 5)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from robinet.core.commands import add_file_arguments, run_import
from robinet.customers.imports import IMPORTERS as CUSTOMER_IMPORTERS
from robinet.ledger.imports import import_open_items

# Opening balances belong to the ledger; one command imports every legacy file.
IMPORTERS = {**CUSTOMER_IMPORTERS, "open-items": import_open_items}


class Command(BaseCommand):
    help = (
        "Importe un fichier CSV d'un ancien système (clients, points de desserte, abonnements, "
        "soldes repris)."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="ce que contient le fichier")
        add_file_arguments(parser)

    def handle(self, *args, kind: str, file: Path, force: bool, **options):
        result, elapsed = run_import(self, IMPORTERS[kind], file, force=force, refused="erreur(s)")
        created = ", ".join(f"{count} {name}" for name, count in result.created.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Import terminé : {result.rows} lignes ({created}) en {elapsed:.1f} s."
            )
        )
