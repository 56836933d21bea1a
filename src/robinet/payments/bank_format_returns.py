"""``robinet bank import`` recognises direct-debit returns and rejects too (PAY-4).

pain.002 (status report) and camt.054 (debit notification) are tried before
the statements: a camt.054 would not pass for a camt.053, but the order
makes the most specific format win whatever the heads contain.
"""

from robinet.payments import camt054, pain002, returns
from robinet.payments.bank_formats import register


def _importer(*, actor, source: bytes, filename: str, check_permission: bool = True):
    return returns.import_file(
        actor=actor, data=source, filename=filename, check_permission=check_permission
    )


def _describe(outcome: returns.ReturnImportOutcome) -> str:
    text = (
        f"{len(outcome.reversed)} rejet(s) contre-passé(s), "
        f"{len(outcome.accepted)} opération(s) acceptée(s), "
        f"{len(outcome.already_reversed)} déjà annulée(s)"
    )
    if outcome.direct_debit_stopped:
        text += f", prélèvement arrêté pour {', '.join(outcome.direct_debit_stopped)}"
    return text + "."


register(
    "pain002", label="pain.002", detect=pain002.detect, importer=_importer, describe=_describe,
    order=10,
)  # fmt: skip
register(
    "camt054", label="camt.054", detect=camt054.detect, importer=_importer, describe=_describe,
    order=10,
)  # fmt: skip
