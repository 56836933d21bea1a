"""Written answers to customers: the catalogue of templates and their rendering (CASE-3a, CASE-4).

Seed 003 §5.1.7.4: simple requests are answered from a template, complex
or sensitive ones by a personalised text; every answer is signed with the
first name, last name and title of its signer, gives the single national
address of the customer service and the consumer mediator's contact
(C. consom. L612-1), and apologises for any failure.

Templates are French text with ``{placeholders}`` filled from the case and
the customer (:func:`answer_context`). Pure except :func:`answer_context`,
which reads the case's related rows and the settings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

#: the template of the holding reply (CASE-3: the deadline cannot be met)
HOLDING_TEMPLATE = "attente"


@dataclass(frozen=True)
class AnswerTemplate:
    code: str
    label: str
    subject: str
    body: str


@dataclass(frozen=True)
class Signature:
    """Who signs an answer (seed 003 §5.1.7.4)."""

    first_name: str
    last_name: str
    title: str

    def lines(self) -> tuple[str, str]:
        return (f"{self.first_name} {self.last_name}".strip(), self.title)


_GREETING = "{salutation},\n\n"
_CLOSING = (
    "\n\nNous restons à votre disposition pour tout renseignement complémentaire et vous "
    "prions d'agréer, {salutation}, l'expression de nos salutations distinguées."
)

TEMPLATES: dict[str, AnswerTemplate] = {
    t.code: t
    for t in (
        AnswerTemplate(
            "accuse-reception",
            "Accusé de réception",
            "Votre demande n° {case_number}",
            _GREETING + "Nous avons bien reçu votre demande du {opened_on} concernant "
            "« {subject} », enregistrée sous le numéro {case_number}. Elle est en cours de "
            "traitement et vous recevrez une réponse au plus tard le {response_due}." + _CLOSING,
        ),
        AnswerTemplate(
            "reponse-facture",
            "Réponse type facture",
            "Votre facture — dossier n° {case_number}",
            _GREETING + "Vous nous avez interrogés le {opened_on} au sujet de votre facture "
            "(compte client n° {account_number}). Après vérification, votre facture a été "
            "établie d'après les index relevés sur votre compteur et les tarifs en vigueur, "
            "que vous retrouvez au verso de celle-ci." + _CLOSING,
        ),
        AnswerTemplate(
            "reponse-reglement",
            "Réponse type règlement",
            "Votre règlement — dossier n° {case_number}",
            _GREETING + "Suite à votre demande du {opened_on} concernant le règlement de vos "
            "factures (compte client n° {account_number}), nous vous confirmons que les "
            "relances sont suspendues pendant le traitement de votre dossier. Vous pouvez "
            "régler par prélèvement, carte bancaire, chèque ou espèces." + _CLOSING,
        ),
        AnswerTemplate(
            "reponse-information",
            "Réponse type information",
            "Votre demande d'information — dossier n° {case_number}",
            _GREETING + "Vous trouverez ci-dessous la réponse à votre demande du {opened_on} "
            "concernant « {subject} ». Vous pouvez aussi retrouver ces informations sur "
            "{utility_website}." + _CLOSING,
        ),
        AnswerTemplate(
            HOLDING_TEMPLATE,
            "Réponse d'attente",
            "Votre demande n° {case_number} est en cours de traitement",
            _GREETING + "Votre demande du {opened_on} concernant « {subject} » nécessite des "
            "vérifications complémentaires. Nous ne pouvons pas vous répondre dans le délai "
            "annoncé et nous vous prions de nous en excuser. Nous reviendrons vers vous dans "
            "les meilleurs délais." + _CLOSING,
        ),
        AnswerTemplate(
            "excuses-dysfonctionnement",
            "Excuses pour un dysfonctionnement",
            "Dossier n° {case_number}",
            _GREETING + "Vous nous avez signalé le {opened_on} un dysfonctionnement "
            "concernant « {subject} ». Nous vous présentons toutes nos excuses pour la gêne "
            "occasionnée ; les mesures nécessaires ont été prises pour qu'il ne se "
            "reproduise pas." + _CLOSING,
        ),
    )
}


def template_choices() -> list[tuple[str, str]]:
    """The answer templates an officer may pick (the holding reply has its own button)."""
    return [(t.code, t.label) for t in TEMPLATES.values() if t.code != HOLDING_TEMPLATE]


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fr_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date()
    return value.strftime("%d/%m/%Y")


def fill(text: str, context: dict[str, str]) -> str:
    """``text`` with its ``{placeholders}`` filled; an unknown one is left as is."""
    return text.format_map(_Missing(context))


def salutation(party) -> str:
    civility = (getattr(party, "civility", "") or "").strip()
    if civility in ("Mme", "Madame"):
        return "Madame"
    if civility in ("M.", "Monsieur", "M"):
        return "Monsieur"
    return "Madame, Monsieur"


def mediation_text() -> str:
    """CASE-3a: the mediator's contact, on every answer."""
    u = settings.ROBINET_UTILITY
    return _(
        "En cas de désaccord persistant après cette réponse écrite, et au plus tôt un mois "
        "après votre réclamation écrite, vous pouvez saisir gratuitement le médiateur de la "
        "consommation : %(name)s, %(address)s, %(postcode)s %(city)s, %(website)s."
    ) % {
        "name": u["mediator_name"],
        "address": u["mediator_address"],
        "postcode": u["mediator_postcode"],
        "city": u["mediator_city"],
        "website": u["mediator_website"],
    }


def national_address_lines() -> tuple[str, ...]:
    """The single address where customers write to the customer service."""
    u = settings.ROBINET_UTILITY
    return (
        _("%(name)s — Service clients") % {"name": u["name"]},
        u["address"],
        f"{u['postcode']} {u['city']}",
    )


def answer_context(case) -> dict[str, str]:
    """The values of the placeholders for ``case`` and its customer."""
    u = settings.ROBINET_UTILITY
    party = case.account.party if case.account_id else None
    return {
        "salutation": salutation(party),
        "customer_name": " ".join(
            p for p in (party.civility, party.first_name, party.name) if p
        ).strip()
        if party
        else "",
        "account_number": case.account.number if case.account_id else "",
        "case_number": case.number,
        "subject": case.subject,
        "opened_on": fr_date(case.opened_at),
        "response_due": fr_date(case.response_due) or _("dès que possible"),
        "utility_name": u["name"],
        "utility_phone": u["phone"],
        "utility_website": u["website"],
    }


def render(
    *, case, signature: Signature, template_code: str | None = None, body: str | None = None
) -> tuple[str, str]:
    """``(subject, text)`` of an answer: a template or a personalised body, then the mentions."""
    context = answer_context(case)
    if template_code:
        template = TEMPLATES[template_code]
        subject = fill(template.subject, context)
        text = fill(template.body, context)
    else:
        subject = fill(_("Votre dossier n° {case_number}"), context)
        text = (body or "").strip()
    lines = [
        text,
        "",
        *signature.lines(),
        "",
        mediation_text(),
        _("Pour nous écrire, une seule adresse : %(a)s.")
        % {"a": ", ".join(national_address_lines())},
    ]
    return subject, "\n".join(lines)
