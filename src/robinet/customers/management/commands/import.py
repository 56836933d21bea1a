"""``robinet import customers|service_points|contracts FILE.csv`` (API-2, principle 5)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.exceptions import ApplicationError
from robinet.core.imports import InvalidImportFile
from robinet.customers.imports import IMPORTERS


class Command(BaseCommand):
    help = "Importe un fichier CSV d'un ancien système (clients, points de desserte, abonnements)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="ce que contient le fichier")
        parser.add_argument(
            "file", type=Path, help="fichier CSV (séparateur ; ou ,, UTF-8 ou Windows-1252)"
        )
        parser.add_argument(
            "--force", action="store_true", help="réimporter un fichier déjà importé"
        )

    def handle(self, *args, kind: str, file: Path, force: bool, **options):
        if not file.is_file():
            raise CommandError(f"Fichier introuvable : {file}")
        started = time.perf_counter()
        self.stdout.write(f"Lecture et contrôle de {file.name}…")
        try:
            result = IMPORTERS[kind](file, filename=file.name, force=force)
        except InvalidImportFile as exc:
            for issue in exc.issues[:200]:
                self.stderr.write(f"  {issue}")
            if len(exc.issues) > 200:
                self.stderr.write(f"  … et {len(exc.issues) - 200} autres erreurs")
            raise CommandError(
                f"Fichier refusé : {len(exc.issues)} erreur(s), rien n'a été importé."
            ) from None
        except ApplicationError as exc:
            raise CommandError(str(exc.message)) from None
        elapsed = time.perf_counter() - started
        created = ", ".join(f"{count} {name}" for name, count in result.created.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Import terminé : {result.rows} lignes ({created}) en {elapsed:.1f} s."
            )
        )
