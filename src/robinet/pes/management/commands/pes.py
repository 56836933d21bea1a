"""``robinet pes export RUN_ID --out FILE.xml`` and ``robinet pes import-status FILE``.

The public-accountant bridge of a *régie* (PES V2, ``docs/domain/public-accountant.md``):

* ``export RUN_ID --out FILE.xml [--date AAAA-MM-JJ]`` titles the invoices of a
  finished billing run (ORMC) and adds the pending reductions (credit notes on
  earlier titles); ``export --reductions-only --out FILE.xml`` sends only them;
* ``import-status FILE`` imports the accountant's recovery statuses (CSV) and
  reconciles them on the accounts; a refused file prints every error by line.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core import clock
from robinet.core.commands import command_error, parse_date, run_import
from robinet.core.exceptions import ApplicationError
from robinet.core.models import BatchRun
from robinet.pes.services import pes_export
from robinet.pes.status import status_import


class Command(BaseCommand):
    help = "Comptable public (régie) : titres PES V2 et retours de recouvrement."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="titrer une facturation (PES V2 ORMC)")
        export.add_argument("run_id", type=int, nargs="?", help="n° de la facturation")
        export.add_argument("--out", type=Path, required=True, help="fichier XML à écrire")
        export.add_argument("--date", help="date d'émission AAAA-MM-JJ (par défaut : aujourd'hui)")
        export.add_argument(
            "--reductions-only",
            action="store_true",
            help="n'envoyer que les réductions de titres en attente (avoirs)",
        )
        status = sub.add_parser("import-status", help="importer les retours du comptable (CSV)")
        status.add_argument("file", type=Path, help="fichier CSV (titre;statut;montant;date)")

    def handle(self, *args, action: str, **options):
        if action == "export":
            self._export(options)
        else:
            self._import(options["file"])

    def _export(self, options):
        on = parse_date(options.get("date"), default=clock.today())
        run = None
        if not options["reductions_only"]:
            if options["run_id"] is None:
                raise CommandError("Indiquez le n° de la facturation (ou --reductions-only).")
            run = BatchRun.objects.filter(pk=options["run_id"], kind="billing").first()
            if run is None:
                raise CommandError(f"Facturation n° {options['run_id']} introuvable.")
        try:
            export = pes_export(actor=None, run=run, on=on)
        except ApplicationError as exc:
            raise command_error(exc) from None
        out: Path = options["out"]
        out.write_bytes(bytes(export.content))
        self.stdout.write(
            f"{out} : {export.titles} titre(s) pour {export.total} €, "
            f"{export.reductions} réduction(s) pour {export.reductions_total} €, "
            f"{len(export.skipped)} facture(s) non titrée(s). SHA-256 {export.sha256}."
        )
        for skipped in export.skipped[:50]:
            self.stdout.write(
                f"  {skipped['invoice']} ({skipped['account']}) : {skipped['reason']}"
            )

    def _import(self, file: Path):
        def importer(path, *, filename, force):
            return status_import(actor=None, source=path, filename=filename)

        record, seconds = run_import(self, importer, file, force=False, refused="erreur(s)")
        outcome = record.outcome
        self.stdout.write(
            f"{outcome['lines']} ligne(s) en {seconds:.1f} s : {outcome['paid_count']} paiement(s) "
            f"pour {outcome['paid_amount']} €, {outcome['enforcement_count']} poursuite(s), "
            f"{outcome['written_off_count']} admission(s) en non-valeur pour "
            f"{outcome['written_off_amount']} €, {outcome['cancelled_count']} annulation(s)."
        )
