"""Field interventions and the field-workforce system (CASE-8).

* ``robinet interventions export [--centre CODE] [--format csv|json] [--output FILE]``:
  the interventions ready for the field (marked DISPATCHED); standard output
  without ``--output``;
* ``robinet interventions import-reports FILE.csv``: the field reports, all or
  nothing (every error printed with its line; exit code ≠ 0).
"""

from pathlib import Path

from django.core.management.base import BaseCommand

from robinet.cases import field_files
from robinet.core.commands import command_error, run_import
from robinet.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Interventions terrain : export vers l'outil terrain, import des comptes rendus."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="exporter les interventions prêtes")
        export.add_argument("--centre", default="", help="code du centre (par défaut : tous)")
        export.add_argument("--format", choices=field_files.FORMATS, default="csv")
        export.add_argument("--output", type=Path, help="fichier (par défaut : sortie standard)")
        reports = sub.add_parser("import-reports", help="importer un fichier de comptes rendus")
        reports.add_argument("file", type=Path, help="fichier CSV des comptes rendus")

    def handle(self, *args, action: str, **options):
        if action == "export":
            self._export(options)
        else:
            self._import(options["file"])

    def _export(self, options):
        try:
            data = field_files.interventions_export(
                actor=None, centre=options["centre"], fmt=options["format"]
            )
        except ApplicationError as exc:
            raise command_error(exc) from None
        output = options.get("output")
        if output:
            output.write_bytes(data)
            self.stderr.write(f"Export écrit dans {output}.")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")

    def _import(self, file: Path):
        def importer(path, *, filename, force):
            return field_files.reports_import(actor=None, source=path, filename=filename)

        result, seconds = run_import(self, importer, file, force=False, refused="erreur(s)")
        self.stdout.write(
            f"{len(result.reported)} compte(s) rendu(s) enregistré(s) en {seconds:.1f} s."
        )
