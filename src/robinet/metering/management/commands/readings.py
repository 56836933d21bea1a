"""``robinet readings import FILE.csv [--force]``: bulk import of readings (METER-1)."""

from pathlib import Path

from django.core.management.base import BaseCommand

from robinet.core.commands import SHOWN, add_file_arguments, run_import
from robinet.metering.imports import import_readings


class Command(BaseCommand):
    help = "Relevés de compteurs : import d'un fichier CSV (robinet readings import FICHIER.csv)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import"], help="ce qu'il faut faire")
        add_file_arguments(parser)

    def handle(self, *args, action: str, file: Path, force: bool, **options):
        result, elapsed = run_import(
            self, import_readings, file, force=force, refused="ligne(s) rejetée(s)"
        )
        for outcome in result.anomalies[:SHOWN]:
            self.stdout.write(
                f"  ligne {outcome.line} : anomalie {outcome.anomaly} — {outcome.detail}"
            )
        if len(result.anomalies) > SHOWN:
            self.stdout.write(f"  … et {len(result.anomalies) - SHOWN} autres anomalies")
        self.stdout.write(
            self.style.SUCCESS(
                f"Import terminé : {result.rows} relevés en {elapsed:.1f} s — "
                f"{result.valid} valides, {result.held} en anomalie (à traiter), "
                f"{result.replaced_estimates} estimations remplacées, "
                f"{result.notices} informations de consommation anormale."
            )
        )
