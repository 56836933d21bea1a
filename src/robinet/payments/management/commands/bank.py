"""``robinet bank import FILE``: import a bank file, its format recognised (PAY-5).

The formats are those of :mod:`robinet.payments.bank_formats` (bank
statements camt.053 and CFONB 120, and whatever other module registers
there). The file is read and checked whole: every problem is printed with its
line and nothing is imported (exit code 1); the same file twice is refused.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.commands import run_import
from robinet.core.exceptions import ApplicationError
from robinet.payments import bank_formats


class Command(BaseCommand):
    help = "Fichiers bancaires : import des relevés (camt.053, CFONB 120, MT940) et retours."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        one = sub.add_parser("import", help="importer un fichier bancaire (format reconnu)")
        one.add_argument("file", type=Path, help="fichier XML (ISO 20022) ou CFONB")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _import(self, *, file, **options):
        found = {}

        def importer(path, *, filename, force):
            data = Path(path).read_bytes()
            found["format"], result = bank_formats.import_file(
                actor=None, source=data, filename=filename, check_permission=False
            )
            return result

        result, elapsed = run_import(self, importer, file, force=False, refused="erreur(s)")
        self.stdout.write(
            self.style.SUCCESS(
                f"{found['format'].label} : {found['format'].describe(result)} ({elapsed:.1f} s)"
            )
        )
