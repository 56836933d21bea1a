"""The METER-5 letter (loi Warsmann, article L2224-12-4 III bis du CGCT). Pure."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _


def _m3(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP):f}"


def abnormal_consumption_letter(
    *,
    service_point_address: str,
    period_start: dt.date,
    period_end: dt.date,
    consumption: Decimal,
    reference_volume: Decimal,
    basis: str,
) -> str:
    """The information sent to the customer on an abnormal increase (METER-5, BILL-9)."""
    reference = (
        _("votre consommation moyenne des trois dernières années")
        if basis == "own_history"
        else _("la consommation moyenne de locaux d'habitation comparables")
    )
    return _(
        "Madame, Monsieur,\n\n"
        "Le relevé de votre compteur d'eau au %(address)s fait apparaître, pour la période "
        "du %(start)s au %(end)s, une consommation de %(volume)s m³, soit plus du double de "
        "%(reference)s (%(ref_volume)s m³ pour une période de même durée).\n\n"
        "Cette augmentation anormale peut être due à une fuite. Si c'est le cas, vous pouvez "
        "bénéficier de l'écrêtement de votre facture (loi n° 2011-525 du 17 mai 2011, dite "
        "« loi Warsmann ») : vous ne paierez pas la part de consommation excédant le double "
        "de votre consommation moyenne.\n\n"
        "Pour cela, vous devez nous adresser, dans un délai d'un mois à compter de la "
        "présente information, une attestation d'une entreprise de plomberie indiquant que "
        "la fuite a été réparée, en précisant la localisation de la fuite et la date de la "
        "réparation. Seules les fuites sur les canalisations après compteur sont concernées ; "
        "les fuites dues à des appareils ménagers, des équipements sanitaires ou de "
        "chauffage en sont exclues.\n\n"
        "Vous pouvez aussi, dans le même délai, demander la vérification du bon "
        "fonctionnement de votre compteur.\n\n"
        "Nous vous prions d'agréer, Madame, Monsieur, nos salutations distinguées."
    ) % {
        "address": service_point_address,
        "start": period_start.strftime("%d/%m/%Y"),
        "end": period_end.strftime("%d/%m/%Y"),
        "volume": _m3(consumption),
        "reference": reference,
        "ref_volume": _m3(reference_volume),
    }
