"""The default chart of accounts (French PCG) and the posting role each account serves.

A role is the key the posting module asks for (``vat.20.00``,
``revenue.operator.water``, ``treasury.cash``…). A role that has no account
falls back to its parent (``vat.20.00`` → ``vat``), so a utility can post
finer or coarser by adding or removing accounts in the chart.
"""

DEFAULT_CHART: tuple[tuple[str, str, str], ...] = (
    ("411000", "Clients", "customers"),
    ("416000", "Clients douteux ou litigieux", "doubtful"),
    ("445710", "TVA collectée", "vat"),
    ("445711", "TVA collectée 5,5 %", "vat.5.50"),
    ("445712", "TVA collectée 10 %", "vat.10.00"),
    ("445713", "TVA collectée 20 %", "vat.20.00"),
    ("467100", "Collectivités — part à reverser", "revenue.authority"),
    ("467200", "Agence de l'eau — redevances à reverser", "revenue.water_agency"),
    ("467300", "Administrations — vignettes", "treasury.voucher"),
    ("467400", "Agences de recouvrement — remises", "treasury.agency"),
    ("467500", "Opérateurs d'encaissement", "treasury.operator"),
    ("467800", "Autres tiers — sommes à reverser", "revenue.other"),
    ("471000", "Compte d'attente — reprise des soldes", "opening"),
    ("471100", "Compte d'attente — virements à affecter", "suspense"),
    ("491000", "Dépréciation des comptes clients", "provision"),
    ("511200", "Chèques à encaisser", "treasury.cheque"),
    ("511500", "Cartes bancaires à encaisser", "treasury.card"),
    ("512000", "Banque", "treasury"),
    ("531000", "Caisse", "treasury.cash"),
    ("654000", "Pertes sur créances irrécouvrables", "losses"),
    ("681700", "Dotations aux dépréciations des actifs circulants", "provision_expense"),
    ("706000", "Prestations de services", "revenue"),
    ("706110", "Ventes d'eau", "revenue.operator.water"),
    ("706120", "Redevances d'assainissement", "revenue.operator.sanitation"),
    ("706800", "Autres prestations de services", "revenue.operator"),
    ("781700", "Reprises sur dépréciations des actifs circulants", "provision_income"),
)


def resolve(role: str, chart: dict[str, str]) -> str:
    """The account code serving ``role``: its own, else its nearest parent's."""
    key = role
    while True:
        code = chart.get(key)
        if code is not None:
            return code
        if "." not in key:
            raise KeyError(f"no account in the chart for posting role {role!r}")
        key = key.rsplit(".", 1)[0]
