"""ISO 20022 / EPC reason codes of SEPA direct-debit rejects and returns, with French labels (PAY-4).

Pure: no database. ``label(code)`` never fails (an unknown code is shown as such).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The code a bank puts on accepted items of a status report or notification.
ACCEPTED_CODE = "0000"

REASON_LABELS = {
    "AC01": gettext_lazy("Identifiant de compte incorrect (IBAN invalide)"),
    "AC04": gettext_lazy("Compte clôturé"),
    "AC06": gettext_lazy("Compte bloqué ou prélèvement interdit par le débiteur"),
    "AC13": gettext_lazy("Compte du débiteur : compte de consommateur"),
    "AG01": gettext_lazy("Opération interdite sur ce type de compte"),
    "AG02": gettext_lazy("Code opération ou format de fichier invalide"),
    "AM04": gettext_lazy("Provision insuffisante"),
    "AM05": gettext_lazy("Opération en double"),
    "BE05": gettext_lazy("Identifiant du créancier incorrect"),
    "CNOR": gettext_lazy("Banque du créancier non joignable"),
    "DNOR": gettext_lazy("Banque du débiteur non joignable"),
    "FF01": gettext_lazy("Format de fichier invalide"),
    "MD01": gettext_lazy("Absence de mandat"),
    "MD02": gettext_lazy("Données du mandat manquantes ou erronées"),
    "MD06": gettext_lazy("Remboursement demandé par le débiteur (contestation)"),
    "MD07": gettext_lazy("Débiteur décédé"),
    "MS02": gettext_lazy("Refus du débiteur (raison non communiquée)"),
    "MS03": gettext_lazy("Raison non communiquée par la banque"),
    "RC01": gettext_lazy("Code BIC incorrect"),
    "RR01": gettext_lazy("Identification du compte ou du débiteur manquante (réglementaire)"),
    "RR02": gettext_lazy("Nom ou adresse du débiteur manquant (réglementaire)"),
    "RR03": gettext_lazy("Nom ou adresse du créancier manquant (réglementaire)"),
    "RR04": gettext_lazy("Motif réglementaire"),
    "SL01": gettext_lazy("Service spécifique de la banque du débiteur (liste blanche/noire)"),
}


def is_accepted(status: str, reason_code: str) -> bool:
    """An item accepted by the bank: status ACCP/ACSC/ACTC/ACWC or reason 0000 (never reversed)."""
    return status.upper() in {"ACCP", "ACSC", "ACTC", "ACWC", "ACSP"} or (
        reason_code == ACCEPTED_CODE
    )


def label(code: str) -> str:
    """The French label of ``code``; a code not in the list is named as unknown, with itself."""
    code = (code or "").strip().upper()
    if code in REASON_LABELS:
        return str(REASON_LABELS[code])
    if not code:
        return _("Motif non communiqué")
    return _("Code motif inconnu %(code)s") % {"code": code}
