"""The public-accountant bridge's settings: the collectivity's identifiers and the imputations.

Whether the utility is a *régie* is ``ROBINET_PUBLIC_REGIE`` (already read for the
time bar, COLL-10). The identifiers Hélios knows the budget by and the imputation of
each bill line are read from the environment (``ROBINET_PES_<KEY>``), or from a
``ROBINET_PES`` dict in the Django settings (tests, deployments that prefer Python),
with the demonstration utility's values as defaults. See
``docs/domain/public-accountant.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from robinet.conf import env_str

#: Imputation of a bill line: the most specific key wins, like the chart's posting roles:
#: ``service.beneficiary.component`` → ``service.beneficiary`` → ``service`` → ``""``.
#: Values are ``account:product`` — the M49 account (*Nature*) and the local product code
#: Hélios knows (*CodProdLoc*, 4 characters at most).
DEFAULT_IMPUTATIONS: dict[str, str] = {
    "water": "70111:EAU",  # ventes d'eau aux abonnés
    "sanitation": "70611:ASST",  # redevance d'assainissement collectif
    "public_bodies": "706129:AGEN",  # redevances de l'agence de l'eau (à reverser)
    "sanitation.water_agency": "706129:AGEN",
    "other": "7068:DIV",  # autres prestations de services
    "": "7068:DIV",
}

DEFAULTS: dict[str, str] = {
    "id_post": "067000",  # IdPost: the public accountant's office (codique, 6–7 digits)
    "id_coll": "",  # IdColl: the budget's SIRET (default: the utility's SIRET)
    "cod_col": "001",  # CodCol: code collectivité (3 digits)
    "cod_bud": "01",  # CodBud: code budget (2 characters)
    "budget_label": "",  # LibelleColBud (default: the utility's name)
    "nomenclature": "M49",  # water and sanitation budgets
    "sender": "ROBINET",  # Enveloppe/Emetteur/Sigle
    "min_title": "15.00",  # COLL-10: a régie issues titles of at least €15 per debtor
    "imputations": "",  # "water=70111:EAU,sanitation=70611:ASST,…" overrides the defaults
}


@dataclass(frozen=True)
class Imputation:
    account: str
    product: str


@dataclass(frozen=True)
class PesSettings:
    id_post: str
    id_coll: str
    cod_col: str
    cod_bud: str
    budget_label: str
    nomenclature: str
    sender: str
    min_title: str
    imputations: dict[str, Imputation]

    def imputation(self, service: str, beneficiary: str, component: str) -> Imputation:
        """The imputation of a line (most specific key first)."""
        for key in (
            f"{service}.{beneficiary}.{component}",
            f"{service}.{beneficiary}",
            service,
            "",
        ):
            if key in self.imputations:
                return self.imputations[key]
        return Imputation("7068", "DIV")


def parse_imputations(text: str) -> dict[str, str]:
    """``"water=70111:EAU, sanitation=70611:ASST"`` → a dict (blank entries ignored)."""
    result: dict[str, str] = {}
    for part in text.split(","):
        if not part.strip():
            continue
        key, _sep, value = part.partition("=")
        result[key.strip()] = value.strip()
    return result


def _imputation(value: str) -> Imputation:
    account, _sep, product = value.partition(":")
    return Imputation(account.strip(), (product.strip() or "DIV")[:4])


def pes_settings() -> PesSettings:
    """The settings in force (read at each call: tests override them)."""
    overrides = dict(getattr(settings, "ROBINET_PES", {}) or {})
    values = {
        key: str(overrides.get(key, env_str(f"ROBINET_PES_{key.upper()}", default)))
        for key, default in DEFAULTS.items()
        if key != "imputations"
    }
    utility = settings.ROBINET_UTILITY
    imputations = dict(DEFAULT_IMPUTATIONS)
    configured = overrides.get("imputations", env_str("ROBINET_PES_IMPUTATIONS", ""))
    if isinstance(configured, dict):
        imputations.update(configured)
    else:
        imputations.update(parse_imputations(configured))
    return PesSettings(
        id_post=values["id_post"],
        id_coll=values["id_coll"] or utility.get("siret", ""),
        cod_col=values["cod_col"],
        cod_bud=values["cod_bud"],
        budget_label=values["budget_label"] or utility.get("name", ""),
        nomenclature=values["nomenclature"],
        sender=values["sender"],
        min_title=values["min_title"],
        imputations={key: _imputation(value) for key, value in imputations.items()},
    )


def is_regie() -> bool:
    return bool(settings.ROBINET_PUBLIC_REGIE)
