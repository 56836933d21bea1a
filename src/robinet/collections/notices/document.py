"""What a dunning notice shows: a frozen dataclass, loaded from the database in batches.

An activity run issues a :class:`~robinet.collections.models.DunningNotice`
per account with the items it cites, the fees it charges (professionals
only) and the actions and rule ids the legal rule pack kept (COLL-1, COLL-2,
COLL-4). :func:`notice_documents` turns a batch of them into
:class:`NoticeDocument` values in a fixed number of queries; the wording,
PDF, e-mail and SMS renderers work from the document alone and never look
anything up.

The letter's kind follows from what the rule pack recorded, never from the
level's configuration alone:

* ``formal_notice``: ``"formal_notice"`` among the notice's actions;
* ``cutoff_wording_allowed``: ``"restriction"`` among the actions, and not a
  main residence, and neither ``FR-CASF-L115-3`` nor ``FR-NEC`` among the
  rules (COLL-4; the document refuses any other combination);
* ``fsl_information``: ``FR-D2008-780-ART2`` among the rules;
* ``agency_mentions``: ``"agency"`` among the actions (CPCE R124-4).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from robinet.billing.documents import Seller

ZERO = Decimal("0.00")

FORMAL_NOTICE = "formal_notice"
RESTRICTION = "restriction"
AGENCY = "agency"
LETTER = "letter"
EMAIL = "email"
SMS = "sms"

RULE_FSL = "FR-D2008-780-ART2"
RULE_MAIN_RESIDENCE = "FR-CASF-L115-3"
RULE_NEC = "FR-NEC"
RULE_CONSUMER_NO_FEES = "FR-CPCE-L111-8"
RULE_PROFESSIONAL_FEES = "FR-CCOM-L441-10"
RULE_AGENCY = "FR-CPCE-R124-4"
# Rules whose presence forbids any cut-off wording, whatever the actions say (COLL-4).
NO_CUTOFF_RULES = frozenset({RULE_MAIN_RESIDENCE, RULE_NEC})

FEE_KINDS = ("indemnity", "interest")

# Until the utility configures the agency it works with (``ROBINET_COLLECTION_AGENCY``, a
# dict with the keys of :class:`Agency`), letters name this placeholder.
PLACEHOLDER_AGENCY = {
    "name": "Agence de recouvrement amiable mandatée",
    "address": "adresse communiquée sur simple demande",
    "postcode": "",
    "city": "",
    "phone": "",
}


@dataclass(frozen=True, slots=True)
class Recipient:
    """The account holder and the postal address the letter goes to."""

    name: str
    address_lines: tuple[str, ...]
    postcode: str
    city: str
    country: str = "FR"

    @property
    def postal_lines(self) -> tuple[str, ...]:
        lines = [self.name, *self.address_lines, f"{self.postcode} {self.city}".strip()]
        if self.country and self.country != "FR":
            lines.append(self.country)
        return tuple(line for line in lines if line)


@dataclass(frozen=True, slots=True)
class Agency:
    """The amicable collection agency a letter is sent by or for (CPCE R124-4 1°)."""

    name: str
    address_lines: tuple[str, ...] = ()
    postcode: str = ""
    city: str = ""
    phone: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Agency:
        address = data.get("address_lines") or tuple(
            line for line in str(data.get("address", "")).split("\n") if line
        )
        return cls(
            name=str(data.get("name") or PLACEHOLDER_AGENCY["name"]),
            address_lines=tuple(address),
            postcode=str(data.get("postcode", "")),
            city=str(data.get("city", "")),
            phone=str(data.get("phone", "")),
        )

    @property
    def address(self) -> str:
        town = f"{self.postcode} {self.city}".strip()
        return ", ".join(part for part in (*self.address_lines, town) if part)


@dataclass(frozen=True, slots=True)
class NoticeLine:
    """One overdue item the notice cites."""

    document_number: str
    due_date: dt.date
    open_amount: Decimal
    level: int

    def __post_init__(self) -> None:
        if not isinstance(self.open_amount, Decimal):
            raise TypeError(f"open_amount must be a Decimal, got {self.open_amount!r}")
        if self.open_amount <= 0:
            raise ValueError("a notice cites open items only")


@dataclass(frozen=True, slots=True)
class FeeLine:
    """A fee charged for one late invoice: the €40 indemnity or late interest (C. com. L441-10)."""

    document_number: str
    kind: str  # "indemnity" | "interest"
    amount: Decimal

    def __post_init__(self) -> None:
        if self.kind not in FEE_KINDS:
            raise ValueError(f"unknown fee kind {self.kind!r}")
        if not isinstance(self.amount, Decimal) or self.amount <= 0:
            raise ValueError(f"a fee is a positive Decimal, got {self.amount!r}")


@dataclass(frozen=True, slots=True)
class NoticeDocument:
    """Everything a notice shows, text-ready. Amounts are Decimals rounded to the cent."""

    number: str
    issued_on: dt.date
    pay_by: dt.date
    account_number: str
    utility: Seller
    recipient: Recipient
    level_label: str
    level_sequence: int
    delay_days: int
    items: tuple[NoticeLine, ...]
    total_due: Decimal
    actions: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    main_residence: bool = False
    professional: bool = False
    fees: tuple[FeeLine, ...] = ()
    agency: Agency | None = None
    late_interest_rate: Decimal | None = None
    email_to: str = ""
    sms_to: str = ""
    # Derived from actions and rules in __post_init__ (never passed in).
    formal_notice: bool = field(default=False, init=False)
    cutoff_wording_allowed: bool = field(default=False, init=False)
    fsl_information: bool = field(default=False, init=False)
    agency_mentions: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        actions, rules = tuple(self.actions), tuple(self.rules)
        object.__setattr__(self, "actions", actions)
        object.__setattr__(self, "rules", rules)
        if not isinstance(self.total_due, Decimal):
            raise TypeError(f"total_due must be a Decimal, got {self.total_due!r}")
        if not self.items:
            raise ValueError(f"notice {self.number} cites no item")
        items_total = sum((i.open_amount for i in self.items), ZERO)
        if items_total != self.total_due:
            raise ValueError(
                f"notice {self.number}: items sum to {items_total}, total due is {self.total_due}"
            )
        if self.pay_by < self.issued_on:
            raise ValueError(f"notice {self.number}: pay-by date before the issue date")
        if self.fees and (self.main_residence or not self.professional):
            # CPCE L111-8: no fee to a consumer without an enforceable title (COLL-1).
            raise ValueError(f"notice {self.number}: fees on a consumer's notice")
        object.__setattr__(self, "formal_notice", FORMAL_NOTICE in actions)
        object.__setattr__(
            self,
            "cutoff_wording_allowed",
            RESTRICTION in actions
            and not self.main_residence
            and not NO_CUTOFF_RULES.intersection(rules),
        )
        object.__setattr__(self, "fsl_information", RULE_FSL in rules)
        agency_mentions = AGENCY in actions
        object.__setattr__(self, "agency_mentions", agency_mentions)
        if agency_mentions and self.agency is None:
            object.__setattr__(self, "agency", Agency.from_dict(PLACEHOLDER_AGENCY))

    # --- figures --------------------------------------------------------------------------

    @property
    def fee_total(self) -> Decimal:
        return sum((f.amount for f in self.fees), ZERO)

    @property
    def amount_to_pay(self) -> Decimal:
        """The items plus the fees (professionals only)."""
        return self.total_due + self.fee_total

    @property
    def interest_total(self) -> Decimal:
        return sum((f.amount for f in self.fees if f.kind == "interest"), ZERO)

    @property
    def indemnity_total(self) -> Decimal:
        return sum((f.amount for f in self.fees if f.kind == "indemnity"), ZERO)

    @property
    def restriction_on(self) -> dt.date | None:
        """The first day a restriction may apply: the day after the pay-by date (COLL-4)."""
        return self.pay_by + dt.timedelta(days=1) if self.cutoff_wording_allowed else None

    @property
    def is_letter(self) -> bool:
        """A paper letter is printed for the letter and formal-notice actions."""
        return LETTER in self.actions or FORMAL_NOTICE in self.actions

    @property
    def payment_reference(self) -> str:
        return f"{self.account_number} {self.number}"

    def proper_nouns(self) -> tuple[str, ...]:
        """Names and addresses the letter prints as data, not as wording (see ``check_wording``).

        Not the level's label: staff write it, the letter prints it as its object, so it is
        wording and a label such as « Avant coupure » is refused on a main residence's letter.
        """
        u, r = self.utility, self.recipient
        values = [
            r.name,
            *r.address_lines,
            r.city,
            u.name,
            u.legal_form,
            *u.address_lines,
            u.city,
            u.opening_hours,
            u.website,
            u.email,
            u.mediator.name,
            *u.mediator.address_lines,
            u.mediator.city,
            self.number,
            self.account_number,
        ]
        if self.agency is not None:
            values += [self.agency.name, *self.agency.address_lines, self.agency.city]
        values += [i.document_number for i in self.items]
        # Longest first, so that a name containing another is blanked whole.
        return tuple(sorted({v for v in values if v and v.strip()}, key=len, reverse=True))


# --- from the database ---------------------------------------------------------------------


def utility_identity() -> Seller:
    """The utility as billing prints it (settings ``ROBINET_UTILITY``)."""
    from robinet.billing.selectors import seller

    return seller()


def configured_agency(agency: dict[str, Any] | None = None) -> Agency:
    """The agency named by the caller, else by ``ROBINET_COLLECTION_AGENCY``, else a placeholder."""
    from django.conf import settings

    data = agency or getattr(settings, "ROBINET_COLLECTION_AGENCY", None) or PLACEHOLDER_AGENCY
    return Agency.from_dict(data)


def late_interest_rate() -> Decimal:
    from django.conf import settings

    return Decimal(str(getattr(settings, "ROBINET_LATE_INTEREST_RATE", "12.15")))


def notice_documents(
    notices: Iterable[Any], *, agency: dict[str, Any] | None = None
) -> list[NoticeDocument]:
    """The documents of a batch of notices (instances, ids or a queryset), in the given order.

    Three queries whatever the batch size (four from a queryset, whose ids come first): the
    notices with their account, party and level; their items; their charges with the charged
    open item.
    """
    from django.db.models import Prefetch, QuerySet

    from robinet.collections.models import DunningCharge, DunningNotice, NoticeItem

    if isinstance(notices, QuerySet):
        ids = list(notices.values_list("pk", flat=True))
    else:
        ids = [n if isinstance(n, int) else n.pk for n in notices]
    if not ids:
        return []
    rows = (
        DunningNotice.objects.filter(pk__in=ids)
        .select_related("account__party", "level")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=NoticeItem.objects.order_by("due_date", "document_number", "id"),
            ),
            Prefetch(
                "charges",
                queryset=DunningCharge.objects.select_related("open_item").order_by(
                    "open_item__due_date", "open_item__document_number", "kind", "id"
                ),
            ),
        )
    )
    by_id = {row.pk: row for row in rows}
    seller = utility_identity()
    chosen_agency = configured_agency(agency)
    rate = late_interest_rate()
    return [
        _document(by_id[pk], seller=seller, agency=chosen_agency, rate=rate)
        for pk in ids
        if pk in by_id
    ]


def notice_document(notice: Any, *, agency: dict[str, Any] | None = None) -> NoticeDocument:
    """The document of one notice (an instance or an id)."""
    documents = notice_documents([notice], agency=agency)
    if not documents:
        raise LookupError(f"no dunning notice {notice!r}")
    return documents[0]


def _document(notice, *, seller: Seller, agency: Agency, rate: Decimal) -> NoticeDocument:
    from robinet.billing.selectors import buyer
    from robinet.collections.rules.france import PROFESSIONAL_CLASSES

    account = notice.account
    billed = buyer(account)
    actions = tuple(a for a in (notice.actions or ()) if isinstance(a, str))
    professional = account.customer_class in PROFESSIONAL_CLASSES
    fees = tuple(
        FeeLine(
            document_number=charge.open_item.document_number,
            kind=charge.kind,
            amount=charge.amount,
        )
        for charge in notice.charges.all()
    )
    return NoticeDocument(
        number=notice.number,
        issued_on=notice.issued_on,
        pay_by=notice.pay_by,
        account_number=account.number,
        utility=seller,
        recipient=Recipient(
            name=billed.name,
            address_lines=billed.address_lines,
            postcode=billed.postcode,
            city=billed.city,
            country=billed.country,
        ),
        level_label=notice.level.label,
        level_sequence=notice.level.sequence,
        delay_days=(notice.pay_by - notice.issued_on).days,
        items=tuple(
            NoticeLine(
                document_number=item.document_number,
                due_date=item.due_date,
                open_amount=item.open_amount,
                level=item.level,
            )
            for item in notice.items.all()
        ),
        total_due=notice.total_due,
        actions=actions,
        rules=tuple(notice.rules or ()),
        main_residence=notice.main_residence,
        professional=professional,
        fees=fees,
        agency=agency if AGENCY in actions else None,
        late_interest_rate=rate if professional else None,
        email_to=notice.email_to,
        sms_to=notice.sms_to,
    )


# --- a sample, for previews, tests and the bench -------------------------------------------


def sample_document(
    *,
    items: int = 2,
    formal_notice: bool = False,
    restriction: bool = False,
    main_residence: bool = True,
    professional: bool = False,
    fees: bool = False,
    fsl: bool | None = None,
    agency: bool = False,
    nec: bool = False,
    number: str = "REL-2026-000001",
    account_number: str = "000123",
) -> NoticeDocument:
    """A realistic notice document without a database, rules recorded as the French pack would."""
    from robinet.billing.documents.sample import SELLER
    from robinet.collections.rules.france import LEGAL_INDEMNITY

    issued = dt.date(2026, 3, 2)
    actions = ["letter", "email", "sms"]
    if formal_notice:
        actions.append(FORMAL_NOTICE)
    if agency:
        actions.append(AGENCY)
    rules = ["FR-PRESCRIPTION"]
    consumer = main_residence or not professional
    if fsl if fsl is not None else consumer:
        rules.append(RULE_FSL)
    if main_residence:
        rules.append(RULE_MAIN_RESIDENCE)
    if nec:
        rules.append(RULE_NEC)
    if restriction and not main_residence and not nec:
        actions.append(RESTRICTION)
        rules.append("FR-RESTRICTION-AFTER-NOTICE")
    if consumer:
        rules.append(RULE_CONSUMER_NO_FEES)
    if agency:
        rules.append(RULE_AGENCY)
    lines = tuple(
        NoticeLine(
            document_number=f"F2025-{i + 1:06d}",
            due_date=dt.date(2025, 7, 15) + dt.timedelta(days=30 * i),
            open_amount=Decimal("48.50") + Decimal(i * 7) + Decimal("0.25"),
            level=2 if formal_notice else 1,
        )
        for i in range(items)
    )
    fee_lines: tuple[FeeLine, ...] = ()
    if fees and professional and not main_residence:
        rules.append(RULE_PROFESSIONAL_FEES)
        fee_lines = tuple(
            f
            for line in lines
            for f in (
                FeeLine(line.document_number, "indemnity", LEGAL_INDEMNITY),
                FeeLine(line.document_number, "interest", Decimal("1.87")),
            )
        )
    recipient = (
        Recipient("SARL Boulangerie du Marché", ("3 place du Marché",), "25290", "Ornans")
        if professional
        else Recipient(
            "Mme Hélène Lefèvre", ("12 rue des Tanneurs", "Bâtiment B"), "25290", "Ornans"
        )
    )
    delay = 8 if formal_notice else 15
    return NoticeDocument(
        number=number,
        issued_on=issued,
        pay_by=issued + dt.timedelta(days=delay),
        account_number=account_number,
        utility=SELLER,
        recipient=recipient,
        level_label="Mise en demeure" if formal_notice else "Premier rappel",
        level_sequence=2 if formal_notice else 1,
        delay_days=delay,
        items=lines,
        total_due=sum((line.open_amount for line in lines), ZERO),
        actions=tuple(actions),
        rules=tuple(rules),
        main_residence=main_residence,
        professional=professional,
        fees=fee_lines,
        agency=Agency.from_dict(PLACEHOLDER_AGENCY) if agency else None,
        late_interest_rate=Decimal("12.15") if professional else None,
        email_to="client@example.fr",
        sms_to="0612345678",
    )
