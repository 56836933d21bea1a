"""``robinet collections train-model [--as-of D] [--seed 7] [--horizon 60]``,
``robinet collections score [--date D]`` (COLL-7),
``robinet collections close-paid-assignments [--agency CODE] [--date D]`` (COLL-8).

``train-model`` learns the probability that an overdue debt stays unpaid from
the utility's own history, prints its evaluation on a held-back later period
(AUC and calibration by deciles) and stores it. ``score`` is the nightly job:
it scores every overdue account and refreshes the officers' worklist.
``close-paid-assignments`` is the nightly counterpart of the agency page's
« Clore les dettes soldées » button: every live assignment whose items are
all paid is closed and its block lifted (as the system, every centre).
"""

from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from robinet.collections import agencies, risk_model, worklist
from robinet.collections.models import CollectionAgency
from robinet.core.commands import command_error, parse_date
from robinet.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Recouvrement : modèle de risque, liste de travail (COLL-7), dettes confiées (COLL-8)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        train = sub.add_parser("train-model", help="apprendre le modèle de risque sur l'historique")
        train.add_argument("--as-of", default="", help="AAAA-MM-JJ (par défaut aujourd'hui)")
        train.add_argument("--seed", type=int, default=7)
        train.add_argument("--horizon", type=int, default=risk_model.HORIZON_DAYS)
        score = sub.add_parser("score", help="calculer les scores des comptes en retard")
        score.add_argument("--date", default="", help="AAAA-MM-JJ (par défaut aujourd'hui)")
        close = sub.add_parser(
            "close-paid-assignments", help="clore les dettes confiées aux agences et soldées"
        )
        close.add_argument("--agency", default="", help="code de l'agence (par défaut toutes)")
        close.add_argument("--date", default="", help="AAAA-MM-JJ (par défaut aujourd'hui)")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action.replace('-', '_')}")(**options)
        except ApplicationError as exc:
            raise command_error(exc) from None

    def _train_model(self, *, as_of, seed, horizon, **options):
        model = risk_model.train(
            as_of=parse_date(as_of) if as_of else None, seed=seed, horizon=horizon
        )
        m = model.metrics
        self.stdout.write(
            f"Modèle n° {model.pk} : apprentissage du {model.period_start:%d/%m/%Y} au "
            f"{model.period_end:%d/%m/%Y} ({m['train_rows']} situations), contrôle à partir du "
            f"{model.test_start:%d/%m/%Y} ({m['test_rows']} situations, "
            f"{m['test_positive_rate']:.1%} encore impayées à {model.horizon_days} jours)."
        )
        auc = "non calculable (une seule issue)" if m["auc"] is None else f"{m['auc']:.3f}"
        self.stdout.write(f"AUC sur la période de contrôle : {auc}")
        self.stdout.write("Calibration par décile (prédit / observé, effectif) :")
        for row in m["calibration"]:
            self.stdout.write(
                f"  {row['decile']:>2}  {row['predicted']:6.1%}  {row['observed']:6.1%}  "
                f"{row['n']:>7}"
            )
        for name, coef in zip(model.features, model.coefficients, strict=True):
            self.stdout.write(f"  {name:<16} {Decimal(coef):+.3f}")

    def _score(self, *, date, **options):
        result = worklist.score_run(on=parse_date(date) if date else None)
        how = (
            "score de repli (aucun modèle appris)"
            if result.fallback
            else f"modèle n° {result.model.pk}"
        )
        self.stdout.write(
            f"Scores du {result.on:%d/%m/%Y} : {result.scored} compte(s) en retard, "
            f"{result.removed} score(s) retiré(s) — {how}."
        )

    def _close_paid_assignments(self, *, agency, date, **options):
        chosen = None
        if agency:
            chosen = CollectionAgency.objects.filter(code=agency.strip().upper()).first()
            if chosen is None:
                raise CommandError(f"Agence inconnue : {agency}.")
        closed = agencies.assignments_close_paid(
            actor=None, agency=chosen, on=parse_date(date) if date else None
        )
        for assignment in closed:
            self.stdout.write(
                f"  {assignment.reference}  {assignment.account.number}  {assignment.agency.code}"
            )
        self.stdout.write(f"{len(closed)} dette(s) confiée(s) soldée(s) close(s).")
