"""``robinet sepa debit --collection-date YYYY-MM-DD --out FILE.xml [--version 001.02] [--chunk-size N]``,
``robinet sepa resume --collection-date YYYY-MM-DD --out FILE.xml``,
``robinet sepa export --collection-date YYYY-MM-DD --out FILE.xml``,
``robinet sepa expire-mandates``, ``robinet sepa settle [--date YYYY-MM-DD]``.

``debit`` collects every due, pre-notified invoice of the accounts with an
active mandate on that TARGET2 business day (PAY-3): one pain.008 file,
validated against the ISO 20022 schema before it is written, the debits
booked as direct-debit payments, with the monthly-payment (BILL-10) and
payment-plan (COLL-5) instalments due. The run is processed in chunks of
``--chunk-size`` accounts, in this process or on the ``robinet worker``
processes when a broker is configured; the command follows its progress.
``resume`` finishes a run that failed or was interrupted (only the chunks not
done are processed, then the file is built). ``settle`` marks settled the runs whose
settlement date has come (PAY-3: their payments stop being pending). ``export`` writes again the file of a run
already made. ``expire-mandates`` ends the mandates unused for 36 months. Exit code 1 with the reason when nothing is done.
"""

import datetime as dt
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.exceptions import ApplicationError
from robinet.core.models.runs import RunState
from robinet.core.money import format_money
from robinet.core.runs import wait_for_run
from robinet.payments import debit_runs, sepa
from robinet.payments.models import DirectDebitRun, PainVersion


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (attendu AAAA-MM-JJ).") from None


class Command(BaseCommand):
    help = "Prélèvements SEPA : remise pain.008 d'une date de prélèvement (PAY-3)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        debit = sub.add_parser("debit", help="créer la remise de prélèvements d'une date")
        debit.add_argument("--collection-date", required=True, help="AAAA-MM-JJ")
        debit.add_argument("--out", required=True, type=Path, help="fichier XML à écrire")
        debit.add_argument(
            "--version", choices=PainVersion.values, default=PainVersion.V08, help="001.08"
        )
        debit.add_argument(
            "--chunk-size", type=int, default=None,
            help=f"comptes par lot (défaut : {debit_runs.DEFAULT_CHUNK_SIZE})",
        )  # fmt: skip
        resume = sub.add_parser("resume", help="reprendre une remise en échec ou interrompue")
        resume.add_argument("--collection-date", required=True, help="AAAA-MM-JJ")
        resume.add_argument("--out", required=True, type=Path, help="fichier XML à écrire")
        export = sub.add_parser("export", help="réécrire le fichier d'une remise existante")
        export.add_argument("--collection-date", required=True, help="AAAA-MM-JJ")
        export.add_argument("--out", required=True, type=Path, help="fichier XML à écrire")
        sub.add_parser("expire-mandates", help="clore les mandats inutilisés depuis 36 mois")
        settle = sub.add_parser(
            "settle", help="régler les remises arrivées à leur date de règlement"
        )
        settle.add_argument("--date", default="", help="AAAA-MM-JJ (défaut : aujourd'hui)")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _write(self, run: DirectDebitRun, out: Path) -> None:
        out.write_bytes(bytes(run.file_content))
        self.stdout.write(
            f"{run.file_name} : {run.item_count} prélèvement(s), "
            f"{format_money(run.total)}, écrit dans {out}."
        )

    def _follow(self, run: DirectDebitRun, out: Path) -> None:
        """Wait for the run's chunks (on the workers), showing the progress; then write."""
        batch = run.batch_run
        if batch.state == RunState.RUNNING:
            seen = [-1]

            def progress(current) -> None:
                if current.processed != seen[0]:
                    seen[0] = current.processed
                    self.stdout.write(
                        f"  {current.processed}/{current.total} compte(s) traité(s) "
                        f"({current.progress_percent} %)"
                    )

            wait_for_run(batch, on_progress=progress)
        run.refresh_from_db()
        batch.refresh_from_db()
        if not run.is_built:
            raise CommandError(
                f"Remise du {run.collection_date:%d/%m/%Y} non terminée "
                f"({RunState(batch.state).label}) : {batch.last_error} "
                f"Reprenez-la : robinet sepa resume --collection-date "
                f"{run.collection_date.isoformat()} --out {out}"
            )
        self._write(run, out)

    def _debit(self, *, collection_date, out, version, chunk_size, **options):
        if not out.parent.is_dir():
            raise CommandError(f"Dossier introuvable : {out.parent}")
        if chunk_size is not None and chunk_size < 1:
            raise CommandError("--chunk-size doit être positif.")
        run = sepa.debit_run_create(
            actor=None,
            collection_date=_date(collection_date),
            version=version,
            check_permission=False,
            chunk_size=chunk_size,
            wait=False,
        )
        self._follow(run, out)

    def _resume(self, *, collection_date, out, **options):
        if not out.parent.is_dir():
            raise CommandError(f"Dossier introuvable : {out.parent}")
        run = DirectDebitRun.objects.filter(collection_date=_date(collection_date)).first()
        if run is None:
            raise CommandError(f"Aucune remise de prélèvements le {collection_date}.")
        run = sepa.debit_run_resume(actor=None, run=run, check_permission=False)
        self._follow(run, out)

    def _export(self, *, collection_date, out, **options):
        run = DirectDebitRun.objects.filter(collection_date=_date(collection_date)).first()
        if run is None:
            raise CommandError(f"Aucune remise de prélèvements le {collection_date}.")
        if not run.is_built:
            raise CommandError(f"La remise du {collection_date} n'est pas terminée.")
        self._write(run, out)

    def _expire_mandates(self, **options):
        count = sepa.mandates_expire(actor=None, check_permission=False)
        self.stdout.write(f"{count} mandat(s) expiré(s) (inutilisés depuis 36 mois).")

    def _settle(self, *, date, **options):
        runs = sepa.debit_runs_settle(
            actor=None, on=_date(date) if date else None, check_permission=False
        )
        total = sum((r.total for r in runs), Decimal("0.00"))
        self.stdout.write(
            f"{len(runs)} remise(s) réglée(s), {sum(r.item_count for r in runs)} prélèvement(s), "
            f"{format_money(total)}."
        )
