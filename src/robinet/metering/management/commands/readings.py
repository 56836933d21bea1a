"""``robinet readings import FILE.csv [--force]``: bulk import of readings (METER-1)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.metering.imports import import_readings

SHOWN = 200


class Command(BaseCommand):
    help = "Relevés de compteurs : import d'un fichier CSV (robinet readings import FICHIER.csv)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["import"], help="ce qu'il faut faire")
        parser.add_argument(
            "file", type=Path, help="fichier CSV (séparateur ; ou ,, UTF-8 ou Windows-1252)"
        )
        parser.add_argument(
            "--force", action="store_true", help="réimporter un fichier déjà importé"
        )

    def handle(self, *args, action: str, file: Path, force: bool, **options):
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        started = time.perf_counter()
        self.stdout.write(f"Lecture et contrôle de {file.name}…")
        try:
            result = import_readings(file, filename=file.name, force=force)
        except InvalidImportFile as exc:
            for issue in exc.issues[:SHOWN]:
                self.stderr.write(f"  {issue}")
            if len(exc.issues) > SHOWN:
                self.stderr.write(f"  … et {len(exc.issues) - SHOWN} autres erreurs")
            raise CommandError(
                f"Fichier refusé : {len(exc.issues)} ligne(s) rejetée(s), rien n'a été importé."
            ) from None
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        elapsed = time.perf_counter() - started
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
