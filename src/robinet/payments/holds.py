"""Direct-debit holds (CASE-7): a claim not solved the same day suspends the direct debit.

Services of other apps (a case) call :func:`hold_open` / :func:`hold_close`
inside their own transaction after checking their own permission; the SEPA
run (:func:`robinet.payments.sepa.collectable`) skips accounts with a live hold.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from robinet.core import audit, clock
from robinet.core.exceptions import InvalidTransition, ValidationFailed
from robinet.payments.models import DirectDebitHold


def _user(actor):
    return actor if getattr(actor, "pk", None) else None


def hold_open(*, actor, account, reason: str, reference: str = "") -> DirectDebitHold:
    """Suspend the direct debit of ``account`` (inside the caller's transaction)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Le motif de la suspension est obligatoire.")]})
    hold = DirectDebitHold.objects.create(
        account=account,
        reference=reference[:40],
        reason=reason[:255],
        created_at=clock.now(),
        created_by=_user(actor),
    )
    audit.record(
        actor=actor,
        verb="direct_debit.held",
        target=hold,
        subject=account,
        data={"reference": hold.reference, "reason": hold.reason},
    )
    return hold


def hold_close(*, actor, hold: DirectDebitHold) -> DirectDebitHold:
    """Lift a hold (inside the caller's transaction): the next SEPA run collects again."""
    locked = DirectDebitHold.objects.select_for_update().get(pk=hold.pk)
    if locked.lifted_at is not None:
        raise InvalidTransition(_("Cette suspension du prélèvement est déjà levée."))
    locked.lifted_at = clock.now()
    locked.lifted_by = _user(actor)
    locked.save(update_fields=["lifted_at", "lifted_by"])
    audit.record(
        actor=actor,
        verb="direct_debit.hold_lifted",
        target=locked,
        subject=locked.account,
        data={"reference": locked.reference},
    )
    return locked


def live_holds(account):
    return DirectDebitHold.objects.filter(account=account, lifted_at__isnull=True)
