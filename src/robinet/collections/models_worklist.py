"""Models of the collection officer's worklist (COLL-7).

``RiskModel`` keeps a logistic regression learnt from the utility's own
payment history as plain numbers (coefficients, intercept, the means and
scales that standardise each feature, evaluation metrics), so that scoring
needs no machine-learning library at run time. ``AccountScore`` is the
current score of one overdue account: one row per account, replaced by each
nightly scoring run.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from robinet.customers.models import CustomerAccount

__all__ = ["AccountScore", "NextAction", "RiskModel"]


class NextAction(models.TextChoices):
    """What the officer should do next on an overdue account (rules in ``scoring``)."""

    AGENCY = "agency", _("Transmettre à l'agence")
    CHECK_ADDRESS = "check_address", _("Vérifier l'adresse")
    FOLLOW_PLAN = "follow_plan", _("Suivre l'échéancier")
    FOLLOW_PROMISE = "follow_promise", _("Suivre la promesse")
    WAIT_NOTICE = "wait_notice", _("Attendre l'échéance de la relance")
    CALL = "call", _("Appeler")
    OFFER_PLAN = "offer_plan", _("Proposer un échéancier")
    DUNNING = "dunning", _("Laisser la relance suivre son cours")


class RiskModel(models.Model):
    """A trained estimate of the probability that an overdue debt stays unpaid."""

    trained_at = models.DateTimeField(_("entraîné le"))
    as_of = models.DateField(_("données jusqu'au"))
    period_start = models.DateField(_("début de la période d'apprentissage"))
    period_end = models.DateField(_("fin de la période d'apprentissage"))
    test_start = models.DateField(_("début de la période de contrôle"))
    horizon_days = models.PositiveSmallIntegerField(_("horizon (jours)"))
    seed = models.IntegerField(_("graine"))
    features = models.JSONField(_("variables"), default=list)
    coefficients = models.JSONField(_("coefficients"), default=list)
    intercept = models.FloatField(_("constante"))
    means = models.JSONField(_("moyennes"), default=list)
    scales = models.JSONField(_("écarts-types"), default=list)
    metrics = models.JSONField(_("évaluation"), default=dict)

    class Meta:
        verbose_name = _("modèle de risque")
        verbose_name_plural = _("modèles de risque")
        ordering = ["-trained_at", "-pk"]

    def __str__(self) -> str:
        auc = self.metrics.get("auc")
        return f"{self.as_of:%d/%m/%Y} (AUC {'—' if auc is None else f'{auc:.3f}'})"


class AccountScore(models.Model):
    """The current risk score of an overdue account (one row per account)."""

    account = models.OneToOneField(
        CustomerAccount, on_delete=models.CASCADE, related_name="collection_score"
    )
    scored_on = models.DateField(_("calculé le"))
    risk_model = models.ForeignKey(
        RiskModel, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    probability = models.FloatField(_("probabilité de non-paiement"))
    amount_at_stake = models.DecimalField(_("montant en jeu"), max_digits=12, decimal_places=2)
    expected_loss = models.DecimalField(_("perte attendue"), max_digits=12, decimal_places=2)
    level = models.PositiveSmallIntegerField(_("niveau de relance"), default=0)
    oldest_days = models.PositiveIntegerField(_("ancienneté (jours)"), default=0)
    reasons = models.JSONField(_("raisons principales"), default=list)
    next_action = models.CharField(_("prochaine action"), max_length=16, choices=NextAction.choices)
    features = models.JSONField(_("variables"), default=dict)

    class Meta:
        verbose_name = _("score de recouvrement")
        verbose_name_plural = _("scores de recouvrement")
        indexes = [models.Index(fields=["-expected_loss", "id"], name="score_by_expected_loss")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.expected_loss}"
