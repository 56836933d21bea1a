"""The *Fichier des Écritures Comptables* (FEC, art. A47 A-1 LPF) of one fiscal year (PAY-7).

A read of the general ledger, never a write. One line per journal line, the
18 columns of the decree in their order, a header line, dates ``YYYYMMDD``,
amounts with a comma and no thousands separator, entries numbered per journal
(``EcritureNum`` = journal code + number, sequential within the journal and
the year). Customer lines carry the customer account number and holder name as
the auxiliary account (``CompAuxNum`` / ``CompAuxLib``).

The fiscal year is the calendar year (entries are numbered per journal and
calendar year by the posting module). The file is streamed: PostgreSQL writes
it with ``COPY (SELECT …) TO STDOUT``; other databases read the lines through
a chunked iterator. Before anything is written, every entry of the year is
checked to balance: the export is refused, naming the entry, if one does not
(on PostgreSQL, whose trigger refuses an unbalanced entry at posting, only
the entries without lines are looked for: see :func:`balance_guarded`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TextIO

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from robinet.core.exceptions import ApplicationError, ValidationFailed
from robinet.ledger.models import JournalEntry, JournalLine, LedgerAccount
from robinet.organisation.access import require, scope_for
from robinet.organisation.models import Entity, EntityKind
from robinet.organisation.roles import Perm

COLUMNS = (
    "JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
    "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
    "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise",
)  # fmt: skip
SEPARATORS = {"tab": "\t", "pipe": "|"}
#: width of the number in ``EcritureNum`` (a year of 4 million entries in one journal fits)
NUMBER_WIDTH = 8
CUSTOMER_ACCOUNT_PREFIXES = ("411", "416")
HALF_CENT = Decimal("0.005")
# Characters that would break a line or a column: replaced by a space in text fields
# (the backslash too, which COPY's text format would escape).
_UNSAFE = "\t|\r\n\\\x1e\x1f"


class UnbalancedExport(ApplicationError):
    """An entry of the year does not balance: the FEC is refused."""


def journal_labels() -> dict[str, str]:
    from robinet.ledger.models import Journal

    return {code: str(label) for code, label in Journal.choices}


def entry_number(journal: str, number: int) -> str:
    return f"{journal}{number:0{NUMBER_WIDTH}d}"


def format_amount(amount: Decimal) -> str:
    """``1234.5`` → ``1234,50``: comma, two places, no thousands separator."""
    return f"{Decimal(amount).quantize(Decimal('0.01')):f}".replace(".", ",")


def format_date(value: dt.date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def clean(text: str | None) -> str:
    text = text or ""
    for char in _UNSAFE:
        text = text.replace(char, " ")
    return text.strip(" ")


def closing_date(year: int) -> dt.date:
    return dt.date(year, 12, 31)


def file_name(*, siren: str, year: int) -> str:
    """``SIRENFECYYYYMMDD.txt``, the date being the closing date of the fiscal year."""
    return f"{siren}FEC{format_date(closing_date(year))}.txt"


def utility_siren() -> str:
    return re.sub(r"\D", "", (getattr(settings, "ROBINET_UTILITY", {}) or {}).get("siren") or "")


def resolve_siren(given: str = "") -> str:
    """The utility's SIREN from the settings, else ``given``; nine digits, else refused."""
    siren = utility_siren() or re.sub(r"\s", "", given or "")
    if not re.fullmatch(r"\d{9}", siren):
        raise ValidationFailed(
            {"siren": [_("Indiquez le SIREN de l'exploitant (9 chiffres).")]},
            message=_("SIREN manquant ou invalide : « %(siren)s ».") % {"siren": siren},
        )
    return siren


def require_whole_ledger(actor) -> None:
    """The FEC covers every entity: the actor must see the accounts of every region."""
    require(actor, Perm.ACCOUNTING_VIEW)
    scope = scope_for(actor)
    for region in Entity.objects.filter(kind=EntityKind.REGION):
        if not scope.covers(Perm.ACCOUNTING_VIEW, region):
            require(actor, Perm.ACCOUNTING_VIEW, region)


def unbalanced_entries(year: int, *, limit: int = 20) -> list[str]:
    """Entries of ``year`` whose debits and credits differ (or that have no line).

    The lines are grouped by entry id alone (a narrow aggregate the database can
    run in parallel); the few entries found are then named. Where the database
    itself guarantees the balance of every entry (:func:`balance_guarded`), only
    the entries without lines are looked for.
    """
    ids: set[int] = set()
    if not balance_guarded():
        unbalanced = (
            JournalLine.objects.filter(entry__year=year)
            .values("entry_id")
            .annotate(gap=Sum("debit") - Sum("credit"))
            # SQLite sums decimals as floats: a difference under half a cent is none.
            .filter(Q(gap__gte=HALF_CENT) | Q(gap__lte=-HALF_CENT))
            .order_by()
            .values_list("entry_id", flat=True)
        )
        ids |= set(unbalanced[:limit])
    ids |= set(
        JournalEntry.objects.filter(year=year)
        .exclude(Exists(JournalLine.objects.filter(entry=OuterRef("pk"))))
        .values_list("pk", flat=True)[:limit]
    )
    rows = (
        JournalEntry.objects.filter(pk__in=ids)
        .order_by("journal", "number")
        .values_list("journal", "number", "piece_ref")[:limit]
    )
    return [f"{entry_number(j, n)} ({piece})" for j, n, piece in rows]


def balance_guarded() -> bool:
    """Does the database refuse every unbalanced entry by itself (PostgreSQL)?

    Yes while PAY-7's balance trigger checks every insert of journal lines (ledger
    0003, 0009, 0010) and the lines are append-only (no update, no delete): an
    entry's lines then balanced when they were written and cannot change since,
    and summing a year's 12 million lines again (a sixth of the export's time at
    a million customers) would prove nothing more. A trigger disabled by hand
    brings the sums back.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'ledger_journalline'::regclass "
            "AND ((tgname = 'ledger_journalline_balanced' AND tgenabled IN ('O', 'A')) "
            "OR (tgname = 'ledger_journalline_append_only' AND tgenabled IN ('O', 'A')))"
        )
        return cursor.fetchone()[0] == 2


def check_year(year: int) -> None:
    bad = unbalanced_entries(year)
    if bad:
        raise UnbalancedExport(
            _("FEC refusé : écriture déséquilibrée %(entries)s.") % {"entries": ", ".join(bad)},
            code="unbalanced_entry",
            data={"entries": bad},
        )


# --- the portable path ---------------------------------------------------------------------------


def rows(year: int) -> Iterator[tuple[str, ...]]:
    """The data lines of the year's FEC, in journal, number and line order (streamed)."""
    journals = journal_labels()
    accounts = dict(LedgerAccount.objects.values_list("code", "label"))
    tz = timezone.get_default_timezone()
    lines = (
        JournalLine.objects.filter(entry__year=year)
        .order_by("entry__journal", "entry__number", "pk")
        .values_list(
            "entry__journal",
            "entry__number",
            "entry__entry_date",
            "ledger_account",
            "customer_account__number",
            "customer_account__party__first_name",
            "customer_account__party__name",
            "customer_account__party__kind",
            "piece_ref",
            "entry__piece_ref",
            "entry__piece_date",
            "entry__label",
            "debit",
            "credit",
            "entry__created_at",
        )  # fmt: skip
    )
    for (
        journal, number, entry_date, code, aux_number, first_name, name, kind, line_piece,
        piece_ref, piece_date, label, debit, credit, created_at,
    ) in lines.iterator(chunk_size=5000):  # fmt: skip
        holder = " ".join(p for p in (first_name if kind == "person" else "", name) if p)
        yield (
            journal,
            clean(journals.get(journal, journal)),
            entry_number(journal, number),
            format_date(entry_date),
            code,
            clean(accounts.get(code, code)),
            aux_number or "",
            clean(holder) if aux_number else "",
            clean(line_piece or piece_ref),
            format_date(piece_date),
            clean(label),
            format_amount(debit),
            format_amount(credit),
            "",
            "",
            format_date(timezone.localtime(created_at, tz).date()),
            "",
            "",
        )


# --- the PostgreSQL path -------------------------------------------------------------------------


def _sql_clean(expr: str) -> str:
    """``clean`` in SQL: translate() maps each unsafe character to a space, btrim() strips
    spaces. translate() costs about 2 µs a call (a third of the export at a million
    customers for three texts a line), so it only runs on the rare text the regular
    expression finds unsafe or padded; the rest goes out as it is."""
    value = f"COALESCE({expr}, '')"
    return (
        f"CASE WHEN {value} ~ {_NEEDS_CLEANING_SQL} "
        f"THEN btrim(translate({value}, {_UNSAFE_SQL}, '{' ' * len(_UNSAFE)}')) "
        f"ELSE {value} END"
    )


_UNSAFE_SQL = "E'\\t|\\r\\n\\\\\\x1e\\x1f'"
# An unsafe character (as the regular expression escapes them), or a space at either end.
_NEEDS_CLEANING_SQL = "E'[\\\\t|\\\\r\\\\n\\\\\\\\\\\\x1e\\\\x1f]|^ | $'"


def _sql_date(expr: str) -> str:
    # ``YYYYMMDD`` from the ISO text (DateStyle set by the export): to_char costs twice as much.
    return f"replace(({expr})::text, '-', '')"


def copy_sql(year: int, separator: str = "\t") -> tuple[str, list]:
    """The ``SELECT`` whose single column is the finished FEC line (PostgreSQL).

    The CTEs are inlined, so that PostgreSQL's parallel workers build the lines
    (and sort them) and the leader only merges. COPY writes it
    in CSV format with a delimiter and a quote that ``clean`` removes from the
    data, so that the line goes out untouched (the text format would escape tabs).

    What makes it fast at a year of 12 million lines (55 s → 25 s, see
    ``docs/performance.md``):

    * The entries and the customers are joined from the nullable side of an outer
      join: PostgreSQL then computes their parts of the line once per entry and
      once per customer account, where they are scanned, instead of once per
      journal line (the ``WHERE`` makes the entries' join an inner one again).
    * The sort key is one integer per entry (the journal's rank in alphabetical
      order, then the number) and the line's id: no text compared per line.
    """
    sep = "E'\\t'" if separator == "\t" else "'|'"
    labels = journal_labels()
    journal_case = " ".join(
        f"WHEN '{code}' THEN '{clean(label).replace(chr(39), chr(39) * 2)}'"
        for code, label in labels.items()
    )
    # Journal codes are upper-case ASCII: the same order as ``entry__journal`` in any collation.
    journal_rank = " ".join(
        f"WHEN '{code}' THEN {rank}" for rank, code in enumerate(sorted(labels))
    )
    holder = (
        "CASE WHEN p.kind = 'person' AND p.first_name <> '' "
        "THEN p.first_name || ' ' || p.name ELSE p.name END"
    )
    select = f"""
        WITH acc AS (
            SELECT code, {_sql_clean("label")} AS lib FROM ledger_ledgeraccount
        ), ent AS (
            SELECT e.id,
                   (CASE e.journal {journal_rank} ELSE {len(labels)} END)::int8
                   * 2147483648 + e.number AS rank,
                   e.journal || {sep} || CASE e.journal {journal_case} ELSE e.journal END
                   || {sep} || e.journal || lpad(e.number::text, {NUMBER_WIDTH}, '0')
                   || {sep} || {_sql_date("e.entry_date")} AS head,
                   {_sql_clean("e.piece_ref")} AS piece,
                   {sep} || {_sql_date("e.piece_date")} || {sep} || {_sql_clean("e.label")}
                   AS mid,
                   {_sql_date("(e.created_at AT TIME ZONE %s)::date")} AS valid
              FROM ledger_journalentry e
             WHERE e.year = %s
        ), aux AS (
            SELECT c.id, c.number || {sep} || {_sql_clean(holder)} AS columns
              FROM customers_customeraccount c
              JOIN customers_party p ON p.id = c.party_id
        )
        SELECT ent.head || {sep} || l.ledger_account || {sep} || COALESCE(acc.lib, l.ledger_account)
               || {sep} || COALESCE(aux.columns, {sep})
               || {sep} || CASE WHEN l.piece_ref = '' THEN ent.piece
                                ELSE {_sql_clean("l.piece_ref")} END || ent.mid
               || {sep} || replace(l.debit::text, '.', ',')
               || {sep} || replace(l.credit::text, '.', ',')
               || {sep} || {sep} || {sep} || ent.valid || {sep} || {sep}
          FROM ledger_journalline l
          LEFT JOIN ent ON ent.id = l.entry_id
          LEFT JOIN acc ON acc.code = l.ledger_account
          LEFT JOIN aux ON aux.id = l.customer_account_id
         WHERE ent.id IS NOT NULL
         ORDER BY ent.rank, l.id
    """
    return select, [settings.TIME_ZONE, year]


#: memory for the sort of the year's lines (per export; PostgreSQL's default is 4 MB)
SORT_MEMORY = "256MB"


def _copy_to(out: TextIO, year: int, separator: str) -> int:
    """Stream the COPY output into ``out``: raw bytes into its buffer when it has one."""
    select, params = copy_sql(year, separator)
    raw = getattr(out, "buffer", None)
    if raw is not None:
        out.flush()  # the header, before the bytes
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{SORT_MEMORY}'")
        cursor.execute("SET LOCAL DateStyle = 'ISO, YMD'")  # dates as text: YYYY-MM-DD
        sql = cursor.mogrify(select, params)
        if isinstance(sql, bytes):
            sql = sql.decode()
        statement = f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, DELIMITER E'\\x1f', QUOTE E'\\x1e')"
        with cursor.cursor.copy(statement) as copy:
            if raw is not None:
                write_bytes = raw.write
                for block in copy:
                    write_bytes(block)
            else:
                for block in copy:
                    out.write(bytes(block).decode("utf-8"))
        return cursor.cursor.rowcount


# --- writing -------------------------------------------------------------------------------------


def write(
    out: TextIO, *, year: int, separator: str = "tab", streaming_copy: bool | None = None
) -> int:
    """Write the FEC of ``year`` to ``out`` (text); returns the number of data lines.

    Refuses (:class:`UnbalancedExport`, naming the entries) when an entry does not balance.
    """
    if separator not in SEPARATORS:
        raise ValidationFailed({"separator": [_("Séparateur : « tab » ou « pipe ».")]})
    sep = SEPARATORS[separator]
    check_year(year)
    out.write(sep.join(COLUMNS) + "\n")
    if streaming_copy is None:
        streaming_copy = connection.vendor == "postgresql"
    if streaming_copy:
        return _copy_to(out, year, sep)
    count = 0
    for row in rows(year):
        out.write(sep.join(row) + "\n")
        count += 1
    return count


def export(
    *, actor, year: int, out: Path, siren: str = "", separator: str = "tab",
    check_permission: bool = True,
) -> tuple[Path, int]:  # fmt: skip
    """Write the FEC of ``year`` to ``out`` (a file, or a directory → the legal file name).

    Written to a temporary file then renamed: a refused or failed export leaves nothing.
    """
    if check_permission:
        require_whole_ledger(actor)
    if out.is_dir():
        out = out / file_name(siren=resolve_siren(siren), year=year)
    partial = out.with_name(out.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as handle:
            count = write(handle, year=year, separator=separator)
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out, count


def to_temporary_file(*, year: int, separator: str = "tab"):
    """The FEC of ``year`` in an anonymous temporary file, rewound (for a download).

    The caller closes it (a ``FileResponse`` does); on a refusal nothing is left open.
    """
    handle = tempfile.TemporaryFile()  # noqa: SIM115 — handed over to the caller
    try:
        text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
        write(text, year=year, separator=separator)
        text.flush()
        text.detach()
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def years() -> list[int]:
    """Fiscal years that have entries, most recent first."""
    return list(JournalEntry.objects.order_by("-year").values_list("year", flat=True).distinct())
