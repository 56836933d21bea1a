"""The French wording of dunning notices, chosen by the document's flags (COLL-1, COLL-4).

Letters to customers are in French; the texts are literals here, not gettext
messages, because their legal content must not drift with a translation.
:func:`letter_wording` gives every text block of a letter in order; the PDF,
the e-mail and the SMS are built from it and each calls :func:`check_wording`
on the whole text it produces before returning it.

Guardrails, enforced by :func:`check_wording` (a ``ValueError`` names the
offending phrase), not only by the tests:

* **No cut-off wording** unless ``doc.cutoff_wording_allowed`` (COLL-4, CASF
  L115-3, Cons. const. 2015-470 QPC, Cass. 1re civ. 16 May 2018; FR-NEC): no
  word that mentions or implies cutting off, suspending, interrupting,
  reducing or restricting the supply, closing the connection, removing the
  meter or terminating the contract — :data:`CUTOFF_PATTERNS`.
* **No fee wording** on a letter without fee lines (COLL-1, CPCE L111-8 for
  consumers): no ``frais``, ``indemnité``, ``intérêts``, ``pénalité``,
  ``majoration`` — :data:`FEE_PATTERNS`. The only exception is the legal text
  CPCE R124-4 makes an agency letter reproduce (CPCE L111-8 al. 3–4, which
  says recovery costs stay with the creditor) and the R124-4 3° line stating
  there are no interests or other accessories: these exact texts
  (:data:`LEGAL_WHITELIST`) are removed before the check, and only when the
  letter carries the agency mentions. A paraphrase is not whitelisted.

Names and addresses (the customer's, the utility's, the agency's) are data,
not wording: their exact values are blanked before the check, so that a
customer living rue de la Coupure still gets a letter.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from .document import FeeLine, NoticeDocument

NBSP = "\u00a0"

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

# --- legal texts ---------------------------------------------------------------------------

FORMAL_NOTICE_TITLE = "MISE EN DEMEURE DE PAYER"
REMINDER_TITLE = "RAPPEL DE FACTURE(S) IMPAYÉE(S)"
CIVIL_CODE_1344 = (
    "Le présent courrier vaut mise en demeure au sens de l'article 1344 du Code civil."
)
# CPCE L111-8, third and fourth paragraphs, as CPCE R124-4 5° requires them reproduced.
L111_8_REPRODUCTION = (
    "Les frais de recouvrement entrepris sans titre exécutoire restent à la charge du "
    "créancier, sauf s'ils concernent un acte dont l'accomplissement est prescrit par la loi au "
    "créancier. Toute stipulation contraire est réputée non écrite, sauf disposition "
    "législative contraire. Cependant, le créancier qui justifie du caractère nécessaire des "
    "démarches entreprises pour recouvrer sa créance peut demander au juge de l'exécution de "
    "laisser tout ou partie des frais ainsi exposés à la charge du débiteur de mauvaise foi."
)
AGENCY_NO_ACCESSORIES = "Intérêts et autres accessoires : néant."
LEGAL_WHITELIST = (L111_8_REPRODUCTION, AGENCY_NO_ACCESSORIES)
INDEMNITY_LABEL = (
    "Indemnité forfaitaire pour frais de recouvrement (art. L441-10 et D441-5 du Code de commerce)"
)
INTEREST_LABEL = "Intérêts de retard"

# --- guardrails ----------------------------------------------------------------------------

_W = r"(?:\s+\S+){0,3}?\s+"  # up to three words in between
_SUPPLY = r"(?:debit|pression|fourniture|alimentation|distribution|service\s+de\s+l'eau)\b"

# (name, stems, pattern) on the normalised text: lower case, no accents, single spaces. The
# pattern only runs when one of its literal stems is in the text (a fast substring search).
CUTOFF_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "coupure",
        ("coup",),
        r"\bcoup(?:ure|ures|er|e|ee|es|ees|era|erait|eront|erons|ons|ez|ant)\b",
    ),
    ("suspension", ("suspen",), r"\bsuspen\w*"),
    ("interruption", ("interom", "interrom", "interrup"), r"\binterr?omp\w*|\binterruption\w*"),
    (
        "réduction du débit",
        ("redu",),
        r"\bredu(?:ction|ctions|ire|it|ite|its|ites|ira|irons|iront)\b" + _W + _SUPPLY,
    ),
    ("débit réduit", ("debit",), r"\bdebit\s+(?:reduit|limite|restreint)\w*"),
    ("limitation de la fourniture", ("limit",), r"\blimit\w*" + _W + _SUPPLY),
    (
        "fermeture du branchement",
        ("ferm",),
        r"\bferm\w*" + _W + r"(?:branchement|compteur|vanne|alimentation)\b",
    ),
    ("restriction", ("restri", "restrei"), r"\brestri\w*|\brestrei\w*"),
    ("privation d'eau", ("prive", "sans eau"), r"\bprive\w*\s+d'eau|\bsans\s+eau\b"),
    (
        "dispositif limiteur",
        ("pastille", "lentille", "limiteur", "reducteur"),
        r"\b(?:pastille|lentille|limiteur|reducteur)s?\b",
    ),
    ("dépose du compteur", ("depos",), r"\bdepos\w*(?:\s+\S+){0,2}?\s+compteur"),
    ("résiliation", ("resili",), r"\bresili\w*"),
    ("arrêt de la fourniture", ("arret",), r"\barret\w*" + _W + _SUPPLY),
)
FEE_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("frais", ("frais",), r"\bfrais\b"),
    ("indemnité", ("indemnit",), r"\bindemnit\w*"),
    ("intérêts", ("interet",), r"\binterets?\b"),
    ("pénalité", ("penalit",), r"\bpenalit\w*"),
    ("majoration", ("major",), r"\bmajor(?:ation|ations|e|ee|es|ees)\b"),
)


class _Patterns:
    """Named patterns, each run only when one of its stems occurs in the text."""

    def __init__(self, patterns: tuple[tuple[str, tuple[str, ...], str], ...]) -> None:
        self.patterns = tuple((name, stems, re.compile(p)) for name, stems, p in patterns)

    def found(self, text: str) -> list[str]:
        return [
            f"{name}: {m.group(0)!r}"
            for name, stems, rx in self.patterns
            if any(stem in text for stem in stems)
            for m in rx.finditer(text)
        ]


_CUTOFF = _Patterns(CUTOFF_PATTERNS)
_FEES = _Patterns(FEE_PATTERNS)


def _fold_table() -> dict[int, str]:
    """Accented Latin letters to their base letter (precomputed: NFKD per call is slow)."""
    table = {0x2019: "'", 0x02BC: "'"}
    for code in range(0xC0, 0x250):
        base = "".join(
            c for c in unicodedata.normalize("NFKD", chr(code)) if not unicodedata.combining(c)
        )
        if base and base != chr(code):
            table[code] = base
    return table


_FOLD = _fold_table()


def normalise(text: str) -> str:
    """Lower case, accents off, typographic quotes and spaces plain, whitespace collapsed."""
    return " ".join(text.translate(_FOLD).lower().split())


@lru_cache(maxsize=4096)
def _normalised(text: str) -> str:
    return normalise(text)


def forbidden_phrases(doc: NoticeDocument, text: str) -> list[str]:
    """What ``text`` says that this document must not say: ``"coupure: 'coupure'"``…"""
    clean = f" {normalise(text)} "
    for noun in doc.proper_nouns():
        clean = clean.replace(_normalised(noun), " ¤ ")
    found: list[str] = []
    if not doc.cutoff_wording_allowed:
        found += _CUTOFF.found(clean)
    if not doc.fees:
        if doc.agency_mentions:
            for legal in LEGAL_WHITELIST:
                clean = clean.replace(_normalised(legal), " § ")
        found += _FEES.found(clean)
    return found


def check_wording(doc: NoticeDocument, text: str) -> None:
    """Raise ``ValueError`` when ``text`` breaks a guardrail of ``doc`` (COLL-1, COLL-4)."""
    found = forbidden_phrases(doc, text)
    if found:
        rules = []
        if not doc.cutoff_wording_allowed:
            rules.append("FR-CASF-L115-3/FR-NEC: no cut-off wording")
        if not doc.fees:
            rules.append("FR-CPCE-L111-8: no fee wording")
        raise ValueError(
            f"notice {doc.number}: forbidden wording ({'; '.join(rules)}): " + ", ".join(found)
        )


# --- French formatting ---------------------------------------------------------------------


def fr_amount(value: Decimal) -> str:
    """``1234.5`` → ``"1 234,50 €"`` (no-break spaces, Helvetica-safe)."""
    q = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if not q:
        q = abs(q)
    return f"{q:,.2f}".replace(",", NBSP).replace(".", ",") + NBSP + "€"


def fr_rate(value: Decimal) -> str:
    text = f"{value.normalize():f}".replace(".", ",")
    return text + NBSP + "%"


def fr_date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def fr_long_date(value: dt.date) -> str:
    day = "1er" if value.day == 1 else str(value.day)
    return f"{day} {MONTHS[value.month - 1]} {value.year}"


def plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


# --- the blocks of a letter ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LetterWording:
    """Every text of a letter, in reading order; ``texts()`` is what the guard checks."""

    title: str
    salutation: str
    opening: tuple[str, ...]
    pay_by_line: str
    fees_notice: tuple[str, ...]
    consequences: tuple[str, ...]
    agency: tuple[str, ...]
    payment_heading: str
    payment: tuple[str, ...]
    help_heading: str
    help: tuple[str, ...]
    closing: str
    signature: str
    contacts: tuple[str, ...]

    def texts(self) -> tuple[str, ...]:
        return (
            self.title,
            self.salutation,
            *self.opening,
            self.pay_by_line,
            *self.fees_notice,
            *self.consequences,
            *self.agency,
            self.payment_heading,
            *self.payment,
            self.help_heading,
            *self.help,
            self.closing,
            self.signature,
            *self.contacts,
        )


def title(doc: NoticeDocument) -> str:
    return FORMAL_NOTICE_TITLE if doc.formal_notice else REMINDER_TITLE


def subject(doc: NoticeDocument) -> str:
    """E-mail subject: « Relance : facture(s) impayée(s) — compte 000123 »."""
    kind = "Mise en demeure" if doc.formal_notice else "Relance"
    return f"{kind} : facture(s) impayée(s) — compte {doc.account_number}"


def fee_label(fee: FeeLine, rate: Decimal | None = None) -> str:
    if fee.kind == "indemnity":
        return INDEMNITY_LABEL
    if rate is not None:
        return f"{INTEREST_LABEL} au taux annuel de {fr_rate(rate)}"
    return INTEREST_LABEL


def opening(doc: NoticeDocument) -> tuple[str, ...]:
    n = len(doc.items)
    invoices = plural(n, "la facture ci-dessous", "les factures ci-dessous")
    of_invoices = plural(n, "de la facture ci-dessous", "des factures ci-dessous")
    amount = fr_amount(doc.amount_to_pay)
    when = fr_long_date(doc.pay_by)
    if doc.formal_notice:
        return (
            f"Malgré nos précédents rappels, {invoices} "
            f"{plural(n, 'reste impayée', 'restent impayées')} à ce jour.",
            f"Par la présente, nous vous mettons en demeure de nous régler la somme de {amount} "
            f"dans un délai de {doc.delay_days} jours, soit au plus tard le {when}.",
            CIVIL_CODE_1344,
        )
    return (
        f"Sauf erreur de notre part, nous n'avons pas reçu le paiement {of_invoices}, "
        f"{plural(n, 'arrivée', 'arrivées')} à échéance. Il s'agit peut-être d'un simple oubli.",
        f"Nous vous remercions de bien vouloir régler la somme de {amount} au plus tard le "
        f"{when}, soit dans un délai de {doc.delay_days} jours.",
        "Si vous avez effectué ce paiement entre-temps, merci de ne pas tenir compte de ce "
        "courrier.",
    )


def pay_by_line(doc: NoticeDocument) -> str:
    return (
        f"Montant à régler au plus tard le {fr_date(doc.pay_by)} : {fr_amount(doc.amount_to_pay)}"
    )


def fees_notice(doc: NoticeDocument) -> tuple[str, ...]:
    """Professionals only: the legal basis of the €40 indemnity and of late interest."""
    if not doc.fees:
        return ()
    rate = (
        f" au taux annuel de {fr_rate(doc.late_interest_rate)} (taux de refinancement de la BCE "
        "majoré de 10 points)"
        if doc.late_interest_rate is not None
        else ""
    )
    return (
        "Conformément aux articles L441-10 et D441-5 du Code de commerce, une indemnité "
        "forfaitaire pour frais de recouvrement de 40 € est due pour chaque facture payée en "
        f"retard, ainsi que des intérêts de retard{rate}. Ils sont détaillés ci-dessus.",
    )


def consequences(doc: NoticeDocument) -> tuple[str, ...]:
    texts: list[str] = []
    if doc.formal_notice:
        texts.append(
            "À défaut de paiement dans ce délai, votre dossier sera transmis au service du "
            "contentieux, qui pourra engager une procédure judiciaire de recouvrement, notamment "
            "une requête en injonction de payer auprès du tribunal compétent, sans autre avis."
        )
    if doc.cutoff_wording_allowed and doc.restriction_on is not None:
        texts.append(
            f"À défaut de paiement au plus tard le {fr_long_date(doc.pay_by)}, la fourniture "
            "d'eau de ce local, qui n'est pas une résidence principale, pourra faire l'objet "
            f"d'une restriction à compter du {fr_long_date(doc.restriction_on)}, dans les "
            "conditions prévues par le règlement du service. Une telle mesure est exclue pour "
            "une résidence principale (article L115-3 du Code de l'action sociale et des "
            "familles)."
        )
    return tuple(texts)


def agency_mentions(doc: NoticeDocument) -> tuple[str, ...]:
    """The mentions of CPCE R124-4 (1° to 5°), for letters sent by or for an agency."""
    if not doc.agency_mentions or doc.agency is None:
        return ()
    a, u = doc.agency, doc.utility
    creditor_address = ", ".join((*u.address_lines, f"{u.postcode} {u.city}"))
    agency_address = a.address or "adresse communiquée sur simple demande"
    breakdown = [f"Montant dû en principal : {fr_amount(doc.total_due)}."]
    if doc.fees:
        breakdown.append(
            f"Intérêts de retard : {fr_amount(doc.interest_total)} ; autres accessoires "
            f"(indemnité forfaitaire pour frais de recouvrement) : "
            f"{fr_amount(doc.indemnity_total)}."
        )
    else:
        breakdown.append(AGENCY_NO_ACCESSORIES)
    return (
        f"Recouvrement amiable : ce courrier vous est adressé pour le compte du créancier par "
        f"{a.name}, {agency_address}, qui exerce une activité de recouvrement amiable de "
        "créances pour le compte d'autrui.",
        f"Créancier : {u.name}, {creditor_address}.",
        f"Fondement de la créance : factures d'eau et d'assainissement impayées du compte "
        f"{doc.account_number}, détaillées ci-dessus. " + " ".join(breakdown),
        f"Vous devez payer la somme de {fr_amount(doc.amount_to_pay)} selon les modalités de "
        "paiement indiquées ci-dessous.",
        "Article L111-8 du Code des procédures civiles d'exécution, alinéas 3 et 4 : "
        f"« {L111_8_REPRODUCTION} »",
    )


def payment_means(doc: NoticeDocument) -> tuple[str, ...]:
    u = doc.utility
    address = ", ".join((*u.address_lines, f"{u.postcode} {u.city}"))
    texts = [
        f"En ligne, par carte bancaire, sur votre espace client : {u.website}.",
    ]
    if u.iban:
        bic = f" — BIC {u.bic}" if u.bic else ""
        texts.append(
            f"Par virement : IBAN {u.iban}{bic}, en indiquant la référence {doc.payment_reference}."
        )
    texts += [
        f"Par chèque à l'ordre de {u.name}, adressé à {address}, avec la référence "
        f"{doc.payment_reference} au dos.",
        f"À notre accueil, {address}, {u.opening_hours}.",
        "Par prélèvement automatique : sur simple demande, pour vos prochaines factures.",
    ]
    return tuple(texts)


def help_texts(doc: NoticeDocument) -> tuple[str, ...]:
    u = doc.utility
    texts = [
        f"Vous rencontrez des difficultés pour payer ? Appelez-nous au {u.phone} "
        f"({u.opening_hours}) : nous pouvons convenir avec vous d'un échéancier de paiement "
        "adapté à votre situation.",
    ]
    if doc.fsl_information:
        texts.append(
            "Vous pouvez aussi demander une aide au Fonds de solidarité pour le logement (FSL) "
            "de votre département, qui peut prendre en charge tout ou partie de vos factures "
            "d'eau. Les services sociaux de votre commune, notamment le centre communal "
            "d'action sociale (CCAS), ou du département peuvent vous accompagner dans cette "
            "démarche. Informez-nous du dépôt de votre demande : pendant son examen, nous "
            "n'engageons aucune autre démarche de recouvrement (décret n° 2008-780 du "
            "13 août 2008)."
        )
    return tuple(texts)


def contacts(doc: NoticeDocument) -> tuple[str, ...]:
    u, m = doc.utility, doc.utility.mediator
    return (
        f"{u.name} — service clients : {u.phone}, {u.opening_hours} — {u.email} — {u.website}.",
        "Réclamation : adressez-vous d'abord à votre service de l'eau. En l'absence de réponse "
        f"satisfaisante sous deux mois, vous pouvez saisir gratuitement la {m.name}, "
        f"{', '.join(m.address_lines)}, {m.postcode} {m.city} — {m.website}.",
    )


def letter_wording(doc: NoticeDocument) -> LetterWording:
    """Every text block of the letter, checked against the guardrails."""
    wording = LetterWording(
        title=title(doc),
        salutation="Madame, Monsieur,",
        opening=opening(doc),
        pay_by_line=pay_by_line(doc),
        fees_notice=fees_notice(doc),
        consequences=consequences(doc),
        agency=agency_mentions(doc),
        payment_heading="Comment payer",
        payment=payment_means(doc),
        help_heading="Besoin d'aide ?",
        help=help_texts(doc),
        closing="Nous vous prions d'agréer, Madame, Monsieur, l'expression de nos salutations "
        "distinguées.",
        signature=f"Le service clients — {doc.utility.name}",
        contacts=contacts(doc),
    )
    check_wording(doc, "\n".join(wording.texts()))
    return wording


def items_text(doc: NoticeDocument) -> tuple[str, ...]:
    """The cited items and fees as plain lines (e-mail body)."""
    lines = [
        f"- Facture {i.document_number}, échéance du {fr_date(i.due_date)} : "
        f"{fr_amount(i.open_amount)} restant dus"
        for i in doc.items
    ]
    lines.append(f"Total des factures impayées : {fr_amount(doc.total_due)}")
    for fee in doc.fees:
        lines.append(
            f"- {fee_label(fee, doc.late_interest_rate)}, facture {fee.document_number} : "
            f"{fr_amount(fee.amount)}"
        )
    if doc.fees:
        lines.append(f"Montant total à régler : {fr_amount(doc.amount_to_pay)}")
    return tuple(lines)


def letter_text(doc: NoticeDocument) -> str:
    """The whole letter as plain text (the e-mail body), checked before it is returned."""
    w = letter_wording(doc)
    parts = [
        w.title,
        f"Compte client n° {doc.account_number} — avis n° {doc.number} du {fr_date(doc.issued_on)}",
        "",
        w.salutation,
        "",
        *w.opening,
        "",
        *items_text(doc),
        "",
        w.pay_by_line,
        *w.fees_notice,
        *w.consequences,
        "",
        *w.agency,
        "",
        w.payment_heading + " :",
        *(f"- {t}" for t in w.payment),
        "",
        w.help_heading,
        *w.help,
        "",
        w.closing,
        w.signature,
        "",
        *w.contacts,
    ]
    text = "\n".join(parts)
    text = re.sub(r"\n{3,}", "\n\n", text).replace(NBSP, " ")
    check_wording(doc, text)
    return text
