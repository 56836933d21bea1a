"""``robinet dunning run --date YYYY-MM-DD [--entity CODE] [--issue]``,
``robinet dunning issue --run N``, ``robinet dunning print --run N --out FILE.pdf``,
``robinet dunning seed-procedures``.

``run`` is the daily job: it first checks payment plans and promises (a
broken plan resumes dunning the same day), then writes the proposal — what
would be sent, nothing is sent; an officer reviews it on screen. ``issue``
runs the activity of a reviewed proposal (``--issue`` on ``run`` does both
at once, for sites that do not review). ``print`` renders the letters of an
activity run into one PDF for the printer (COLL-2).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.collections import runs, services
from robinet.core.commands import command_error, parse_date
from robinet.core.exceptions import ApplicationError
from robinet.core.models import BatchRun


def _run(pk: int, kind: str) -> BatchRun:
    run = BatchRun.objects.filter(pk=pk, kind=kind).first()
    if run is None:
        label = "de proposition" if kind == runs.PROPOSAL else "d'émission"
        raise CommandError(f"Aucun traitement {label} de relances n° {pk}.")
    return run


class Command(BaseCommand):
    help = "Relances : proposition, émission et impression (COLL-2)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser("run", help="proposer les relances d'une date")
        run.add_argument("--date", required=True, help="AAAA-MM-JJ")
        run.add_argument("--entity", default="", help="code d'une région, agence ou centre")
        run.add_argument("--issue", action="store_true", help="émettre aussitôt, sans revue")
        issue = sub.add_parser("issue", help="émettre les relances d'une proposition revue")
        issue.add_argument("--run", type=int, required=True, help="numéro de la proposition")
        printing = sub.add_parser("print", help="imprimer les lettres d'une émission")
        printing.add_argument("--run", type=int, required=True, help="numéro de l'émission")
        printing.add_argument("--out", type=Path, required=True, help="fichier PDF à écrire")
        printing.add_argument("--reprint", action="store_true", help="y compris déjà imprimées")
        sub.add_parser("seed-procedures", help="créer les procédures de relance par défaut")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ApplicationError as exc:
            raise command_error(exc) from None

    def _report(self, run: BatchRun, what: str) -> None:
        self.stdout.write(
            f"{what} n° {run.pk} du {run.run_date:%d/%m/%Y} : {run.total} élément(s), "
            f"{run.succeeded} traité(s), {run.skipped} écarté(s), {run.failed} en échec "
            f"— état {run.get_state_display()}."
        )

    def _run(self, *, date, entity, issue, **options):
        on = parse_date(date)
        proposal = services.dunning_propose(actor=None, on=on, entity_code=entity)
        self._report(proposal, "Proposition")
        if issue:
            self._report(services.dunning_issue(actor=None, proposal_run=proposal), "Émission")

    def _issue(self, *, run, **options):
        self._report(
            services.dunning_issue(actor=None, proposal_run=_run(run, runs.PROPOSAL)), "Émission"
        )

    def _print(self, *, run, out, reprint, **options):
        from robinet.collections.models import DunningNotice
        from robinet.collections.notices.printing import notices_print

        activity = _run(run, runs.ACTIVITY)
        if not out.parent.is_dir():
            raise CommandError(f"Dossier introuvable : {out.parent}")
        with out.open("wb") as stream:
            result = notices_print(
                DunningNotice.objects.filter(run=activity), stream, reprint=reprint
            )
        self.stdout.write(
            f"{result.notices} lettre(s), {result.pages} page(s) écrites dans {out} "
            f"en {result.seconds:.1f} s."
        )

    def _seed_procedures(self, **options):
        created = services.procedures_seed()
        self.stdout.write(f"{len(created)} procédure(s) créée(s).")
