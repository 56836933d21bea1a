"""PES V2 "Recette Aller" files: ORMC titles and annulation/reduction bordereaux. Pure: no database.

:func:`build` writes one ``PES_Aller`` file (ISO-8859-1, as Hélios expects)
with one ``Bordereau`` per :class:`Bordereau` given, and validates it against
our schema of the subset we emit (``schemas/``) before returning it: an
invalid file is never handed out. The mapping field by field is in
``docs/domain/public-accountant.md``; the official XSD is the DGFiP's.

* an ORMC bordereau (``TypBord`` 06) carries one *pièce* per invoice
  (``TypPce`` 15 titre ORMC, ``NatPce`` 01), mono-debtor, one line per
  imputation and VAT rate (HT and VAT), the debtor (``Tiers``) on each line;
* an annulation/reduction bordereau (``TypBord`` 02) carries one *pièce* per
  credit note (``TypPce`` 02, ``NatPce`` 06), each line tied to the title it
  reduces (``RattachPiece``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from pathlib import Path

from lxml import etree
from unidecode import unidecode

from robinet.core.exceptions import ApplicationError

NAMESPACE = "http://www.minefi.gouv.fr/cp/helios/pes_v2/Rev0/aller"
SCHEMA = Path(__file__).parent / "schemas" / "pes-recette-aller-subset.xsd"
ENCODING = "ISO-8859-1"
ORMC = "06"
REDUCTION = "02"
CENT = Decimal("0.01")
_SPACES = re.compile(r"\s+")
#: Letters of the modulo-23 key (no I, O nor Z).
KEY23 = "ABCDEFGHJKLMNPQRSTUVWXY"


@dataclass(frozen=True)
class Header:
    filename: str
    created_on: dt.date
    id_post: str
    id_coll: str
    cod_col: str
    cod_bud: str
    budget_label: str = ""
    sender: str = "ROBINET"
    application: str = "Robinet"


@dataclass(frozen=True)
class Debtor:
    category: str  # CatTiers
    legal_nature: str  # NatJur
    name: str
    first_name: str = ""
    civility: str = ""
    name_complement: str = ""
    siret: str = ""
    reference: str = ""  # RefTiers: the customer account number
    street: str = ""
    complement: str = ""
    postcode: str = ""
    city: str = ""


@dataclass(frozen=True)
class Line:
    label: str
    account: str  # Nature (M49 account)
    product: str  # CodProdLoc
    amount_excl_vat: Decimal
    vat: Decimal = Decimal("0.00")
    vat_rate: Decimal | None = None


@dataclass(frozen=True)
class Piece:
    piece: int  # IdPce
    object: str  # ObjPce
    debtor: Debtor
    lines: tuple[Line, ...]
    invoice_number: str = ""
    debt_number: str = ""  # NumDette (digits)
    period: str = "1"  # Per
    asp_date: dt.date | None = None  # DteAsp: date of the avis des sommes à payer
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    # A reduction: the title it reduces (exercise, IdPce).
    original_year: int | None = None
    original_piece: int | None = None

    @property
    def amount_excl_vat(self) -> Decimal:
        return sum((line.amount_excl_vat for line in self.lines), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Bordereau:
    kind: str  # ORMC or REDUCTION
    year: int
    number: int  # IdBord
    issued_on: dt.date
    object: str
    pieces: tuple[Piece, ...] = field(default_factory=tuple)

    @property
    def amount_excl_vat(self) -> Decimal:
        return sum((p.amount_excl_vat for p in self.pieces), Decimal("0.00"))

    @property
    def vat(self) -> Decimal:
        return sum((p.vat for p in self.pieces), Decimal("0.00"))


def text(value: str, limit: int) -> str:
    """``value`` on one line, in ISO-8859-1 (other characters transliterated), cut at ``limit``."""
    value = _SPACES.sub(" ", value or "").strip()
    try:
        value.encode(ENCODING)
    except UnicodeEncodeError:
        value = "".join(c if c.encode(ENCODING, errors="ignore") else unidecode(c) for c in value)
    return value[:limit].strip()


def amount(value: Decimal) -> str:
    return f"{Decimal(value).quantize(CENT):.2f}"


def key_mod23(year: int, period: str, debt_number: str) -> str:
    """*Cle2* of an ORMC article: modulo 23 of the exercise's last two digits, the period,
    ``00`` and the debt number on 13 digits (ORMC technical annex)."""
    digits = f"{year % 100:02d}{period}00{int(debt_number):013d}"
    return KEY23[int(digits) % 23]


def key_mod11(cod_col: str, bordereau: str, year: int, period: str, debt_number: str) -> str:
    """*Cle1*: modulo 11 with weights 2…7 from the right over the collectivity code, the
    bordereau, the exercise's last two digits, the period and the debt number on 13 digits."""
    digits = f"{cod_col}{bordereau}{year % 100:02d}{period}{int(debt_number):013d}"
    total = sum(int(d) * (2 + i % 6) for i, d in enumerate(reversed(digits)))
    key = 11 - total % 11
    return str(1 if key > 9 else key)


@cache
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def validate(content: bytes) -> None:
    """Raise :class:`ApplicationError` unless ``content`` is valid against our schema."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
    document = etree.fromstring(content, parser).getroottree()
    xsd = schema()
    if not xsd.validate(document):
        error = xsd.error_log.last_error
        raise ApplicationError(
            f"Le fichier PES n'est pas conforme au schéma (ligne {error.line} : {error.message}).",
            code="pes_invalid",
        )


def _v(parent, tag: str, value) -> None:
    etree.SubElement(parent, tag, V=str(value))


def _tiers(parent, debtor: Debtor) -> None:
    tiers = etree.SubElement(parent, "Tiers")
    info = etree.SubElement(tiers, "InfoTiers")
    if debtor.siret:
        _v(info, "IdTiers", debtor.siret)
        _v(info, "NatIdTiers", "01")  # SIRET
    if debtor.reference:
        _v(info, "RefTiers", text(debtor.reference, 32))
    _v(info, "CatTiers", debtor.category)
    _v(info, "NatJur", debtor.legal_nature)
    _v(info, "TypTiers", "01")  # débiteur principal
    if text(debtor.civility, 10):
        _v(info, "Civilite", text(debtor.civility, 10))
    _v(info, "Nom", text(debtor.name, 38) or "INCONNU")
    if text(debtor.name_complement, 38):
        _v(info, "ComplNom", text(debtor.name_complement, 38))
    if text(debtor.first_name, 38):
        _v(info, "Prenom", text(debtor.first_name, 38))
    address = etree.SubElement(tiers, "Adresse")
    _v(address, "TypAdr", "1")  # principale
    _v(address, "Adr2", text(debtor.street, 38) or "-")
    if text(debtor.complement, 38):
        _v(address, "Adr3", text(debtor.complement, 38))
    _v(address, "CP", debtor.postcode)
    _v(address, "Ville", text(debtor.city, 38).upper() or "-")
    _v(address, "CodRes", "0")  # résident


def _piece(parent, bordereau: Bordereau, piece: Piece, header: Header) -> None:
    element = etree.SubElement(parent, "Piece")
    bloc = etree.SubElement(element, "BlocPiece")
    reduction = bordereau.kind == REDUCTION
    _v(bloc, "IdPce", piece.piece)
    _v(bloc, "TypPce", "02" if reduction else "15")
    _v(bloc, "NatPce", "06" if reduction else "01")
    if piece.asp_date is not None:
        _v(bloc, "DteAsp", max(piece.asp_date, bordereau.issued_on).isoformat())
    _v(bloc, "ObjPce", text(piece.object, 160))
    if piece.period_start is not None and piece.period_end is not None:
        _v(bloc, "DebFact", piece.period_start.isoformat())
        _v(bloc, "FinFact", piece.period_end.isoformat())
    if piece.debt_number and not reduction:
        _v(bloc, "NumDette", piece.debt_number)
        _v(bloc, "Per", piece.period)
        _v(
            bloc,
            "Cle1",
            key_mod11(
                header.cod_col,
                f"{bordereau.number:07d}",
                bordereau.year,
                piece.period,
                piece.debt_number,
            ),
        )
        _v(bloc, "Cle2", key_mod23(bordereau.year, piece.period, piece.debt_number))
    if piece.invoice_number:
        _v(bloc, "NumeroFacture", text(piece.invoice_number, 20))
    for position, line in enumerate(piece.lines, start=1):
        ligne = etree.SubElement(element, "LigneDePiece")
        bloc_ligne = etree.SubElement(ligne, "BlocLignePiece")
        info = etree.SubElement(bloc_ligne, "InfoLignePiece")
        _v(info, "IdLigne", position)
        if text(line.label, 160):
            _v(info, "ObjLignePce", text(line.label, 160))
        _v(info, "CodProdLoc", line.product)
        _v(info, "Nature", line.account)
        if line.vat > 0 and line.vat_rate is not None:
            _v(info, "TxTva", amount(line.vat_rate))
        _v(info, "Majo", "0")
        _v(info, "TvaIntraCom", "0")
        _v(info, "MtHT", amount(line.amount_excl_vat))
        if line.vat > 0:
            _v(info, "MtTVA", amount(line.vat))
        if reduction:
            rattach = etree.SubElement(bloc_ligne, "RattachPiece")
            _v(rattach, "NatPceOrig", "01")
            _v(rattach, "ExerRat", piece.original_year)
            _v(rattach, "IdPceOrig", piece.original_piece)
        _tiers(ligne, piece.debtor)


def build(header: Header, bordereaux: Sequence[Bordereau]) -> bytes:
    """The PES Aller file of ``bordereaux``, validated against our schema."""
    bordereaux = [b for b in bordereaux if b.pieces]
    if not bordereaux:
        raise ApplicationError("Aucun titre ni réduction à transmettre.", code="pes_empty")
    for bordereau in bordereaux:
        for piece in bordereau.pieces:
            if not piece.lines or any(line.amount_excl_vat <= 0 for line in piece.lines):
                raise ApplicationError(
                    f"La pièce {piece.piece} a une ligne sans montant positif.", code="pes_line"
                )
    root = etree.Element(f"{{{NAMESPACE}}}PES_Aller", nsmap={"n": NAMESPACE})
    envelope = etree.SubElement(root, "Enveloppe")
    parameters = etree.SubElement(envelope, "Parametres")
    _v(parameters, "Version", "2")
    _v(parameters, "TypFic", "PESORMC" if any(b.kind == ORMC for b in bordereaux) else "PESALR1")
    _v(parameters, "NomFic", header.filename)
    sender = etree.SubElement(envelope, "Emetteur")
    _v(sender, "Sigle", text(header.sender, 32))
    _v(sender, "Adresse", text(header.application, 38))
    head = etree.SubElement(root, "EnTetePES")
    _v(head, "DteStr", header.created_on.isoformat())
    _v(head, "IdPost", header.id_post)
    _v(head, "IdColl", header.id_coll)
    _v(head, "CodCol", header.cod_col)
    _v(head, "CodBud", header.cod_bud)
    if text(header.budget_label, 38):
        _v(head, "LibelleColBud", text(header.budget_label, 38))
    recette = etree.SubElement(root, "PES_RecetteAller")
    head_recette = etree.SubElement(recette, "EnTeteRecette")
    _v(head_recette, "IdVer", "2")
    _v(head_recette, "InfoDematerialisee", "0")
    for bordereau in bordereaux:
        element = etree.SubElement(recette, "Bordereau")
        bloc = etree.SubElement(element, "BlocBordereau")
        _v(bloc, "Exer", bordereau.year)
        _v(bloc, "IdBord", f"{bordereau.number:07d}")
        _v(bloc, "DteBordEm", bordereau.issued_on.isoformat())
        _v(bloc, "TypBord", bordereau.kind)
        _v(bloc, "NbrPce", len(bordereau.pieces))
        _v(bloc, "MtBordHt", amount(bordereau.amount_excl_vat))
        if bordereau.vat > 0:
            _v(bloc, "MtBordTVA", amount(bordereau.vat))
        if bordereau.kind == ORMC:
            _v(bloc, "DteAsp", bordereau.issued_on.isoformat())
        _v(bloc, "Objet", text(bordereau.object, 160))
        for piece in bordereau.pieces:
            _piece(element, bordereau, piece, header)
    content = etree.tostring(root, xml_declaration=True, encoding=ENCODING, pretty_print=True)
    validate(content)
    return content
