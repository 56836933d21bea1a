"""``robinet bank import FILE``: import a bank file, its format recognised (PAY-5);
``robinet bank resume RUN_ID``: resume a bank statement's booking run.

The formats are those of :mod:`robinet.payments.bank_formats` (bank
statements camt.053, CFONB 120 and MT940, and whatever other module registers
there). The file is read and checked whole: every problem is printed with its
line and nothing is imported (exit code 1); the same file twice is refused.
A statement's matched credits are then booked by its booking run, whose number
and progress are printed (on the workers when a broker is configured); a run
that failed or was interrupted is finished by ``resume`` (exit code 3 while
credits remain to book).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.commands import RunProgress, run_import
from robinet.core.exceptions import ApplicationError, NotFound
from robinet.core.models import BatchRun
from robinet.core.models.runs import RunState
from robinet.payments import bank_formats, statement_booking
from robinet.payments.bank_statements import import_outcome
from robinet.payments.models import BankStatement

NOUN = "virements"


class Command(BaseCommand):
    help = "Fichiers bancaires : import des relevés (camt.053, CFONB 120, MT940) et retours."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        one = sub.add_parser("import", help="importer un fichier bancaire (format reconnu)")
        one.add_argument("file", type=Path, help="fichier XML (ISO 20022) ou CFONB")
        one.add_argument(
            "--chunk-size", type=int, help="virements par lot de comptabilisation (1000)"
        )
        resume = sub.add_parser(
            "resume", help="reprendre la comptabilisation interrompue d'un relevé"
        )
        resume.add_argument("run_id", type=int, help="numéro du traitement")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _import(self, *, file, chunk_size=None, **options):
        found = {}

        def importer(path, *, filename, force):
            data = Path(path).read_bytes()
            found["format"] = bank_formats.detect(data)
            extra = {}
            if found["format"].name in bank_formats.STATEMENT_FORMATS:
                extra["executor"] = RunProgress(self.stdout, NOUN)
                extra["chunk_size"] = chunk_size
            return found["format"].importer(
                actor=None, source=data, filename=filename, check_permission=False, **extra
            )

        result, elapsed = run_import(self, importer, file, force=False, refused="erreur(s)")
        self.stdout.write(
            self.style.SUCCESS(
                f"{found['format'].label} : {found['format'].describe(result)} ({elapsed:.1f} s)"
            )
        )
        self._run_line(getattr(result, "run_id", None))

    def _run_line(self, run_id) -> None:
        if not run_id:
            return
        run = BatchRun.objects.get(pk=run_id)
        line = (
            f"Comptabilisation n° {run.pk} : {run.get_state_display()}, "
            f"{run.succeeded}/{run.total} {NOUN} comptabilisés."
        )
        if run.state == RunState.DONE:
            self.stdout.write(line)
            return
        self.stderr.write(line + (f" {run.last_error}" if run.last_error else ""))
        raise CommandError(
            f"Des virements reconnus restent à comptabiliser : robinet bank resume {run.pk}",
            returncode=3,
        )

    def _resume(self, *, run_id, **options):
        run = BatchRun.objects.filter(pk=run_id, kind=statement_booking.KIND).first()
        if run is None:
            raise NotFound(f"Comptabilisation de relevé n° {run_id} introuvable.")
        run = statement_booking.booking_resume(
            actor=None,
            run=run,
            executor=RunProgress(self.stdout, NOUN),
            check_permission=False,
            running=True,  # the operator says the process that ran it died
        )
        statements = list(BankStatement.objects.filter(pk__in=run.parameters["statements"]))
        self.stdout.write(
            bank_formats.DETECTORS["camt053"].describe(import_outcome(statements, run))
        )
        self._run_line(run.pk)
