"""``robinet accounting fec|reconcile|beneficiaries`` — the accounting outputs (PAY-7, PAY-1a).

* ``fec --year YYYY --out FILE_OR_DIR [--siren 123456789] [--separator tab|pipe]``;
* ``reconcile --date YYYY-MM-DD [--format text|json]`` — exits 1 when a difference exists;
* ``beneficiaries --from D --to D [--beneficiary B] [--service S] [--format text|csv|json]``.
"""

import datetime as dt
import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from robinet.core import clock
from robinet.core.exceptions import ApplicationError
from robinet.ledger import beneficiaries, fec, reconciliation


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (attendu AAAA-MM-JJ).") from None


def _money(value) -> str:
    return f"{value:,.2f}".replace(",", " ").replace(".", ",")


class Command(BaseCommand):
    help = "Sorties comptables : FEC, rapprochement des soldes, état par bénéficiaire."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("fec", help="Fichier des écritures comptables d'un exercice")
        export.add_argument("--year", type=int, required=True, help="exercice (AAAA)")
        export.add_argument("--out", required=True, help="fichier, ou dossier (nom légal)")
        export.add_argument("--siren", default="", help="SIREN si le paramétrage n'en a pas")
        export.add_argument("--separator", choices=sorted(fec.SEPARATORS), default="tab")
        rec = sub.add_parser("reconcile", help="rapprochement des soldes clients à une date")
        rec.add_argument("--date", help="date d'arrêté (AAAA-MM-JJ), aujourd'hui par défaut")
        rec.add_argument("--format", choices=["text", "json"], default="text")
        ben = sub.add_parser("beneficiaries", help="facturé / encaissé par bénéficiaire")
        ben.add_argument("--from", dest="start", required=True, help="premier jour (AAAA-MM-JJ)")
        ben.add_argument("--to", dest="end", required=True, help="dernier jour, inclus")
        ben.add_argument(
            "--beneficiary", default="", choices=["", *beneficiaries.BENEFICIARY_ORDER]
        )
        ben.add_argument("--service", default="")
        ben.add_argument("--format", choices=["text", "csv", "json"], default="text")

    def handle(self, *args, action: str, **options):
        try:
            return getattr(self, f"_{action}")(**options)
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None

    def _fec(self, *, year, out, siren, separator, **_):
        started = time.monotonic()
        try:
            path, count = fec.export(
                actor=None,
                year=year,
                out=Path(out),
                siren=siren,
                separator=separator,
                check_permission=False,
            )
        except OSError as exc:
            raise CommandError(f"Écriture impossible : {exc}") from None
        self.stdout.write(
            f"FEC {year} : {count} lignes écrites dans {path} ({time.monotonic() - started:.1f} s)."
        )

    def _reconcile(self, *, date, format, **_):
        on = _date(date) if date else clock.today()
        result = reconciliation.report(actor=None, on=on, check_permission=False)
        if format == "json":
            self.stdout.write(
                json.dumps(
                    reconciliation.report_to_dict(result),
                    cls=DjangoJSONEncoder,
                    ensure_ascii=False,
                    indent=2,
                )
            )
        else:
            self.stdout.write(f"Rapprochement des soldes clients au {on:%d/%m/%Y}")
            self.stdout.write(
                f"{'entité':<28} {'auxiliaire':>16} {'général 411/416':>16} {'écart':>12}"
            )
            for depth, line in result.rows():
                name = ("  " * depth + f"{line.entity.code} {line.entity.name}")[:28]
                self.stdout.write(
                    f"{name:<28} {_money(line.sub_ledger):>16} "
                    f"{_money(line.general_ledger):>16} {_money(line.difference):>12}"
                )
                for account in line.accounts:
                    self.stdout.write(
                        f"    compte {account.number} {account.holder[:30]} : "
                        f"auxiliaire {_money(account.sub_ledger)}, "
                        f"général {_money(account.general_ledger)}, "
                        f"écart {_money(account.difference)}"
                    )
            total = result.total
            self.stdout.write(
                f"{'Total':<28} {_money(total.sub_ledger):>16} "
                f"{_money(total.general_ledger):>16} {_money(total.difference):>12}"
            )
        if not result.balanced:
            self.stderr.write("Écart de rapprochement : voir les centres ci-dessus.")
            sys.exit(1)
        if format == "text":
            self.stdout.write("Soldes rapprochés : aucun écart.")

    def _beneficiaries(self, *, start, end, beneficiary, service, format, **_):
        rows = beneficiaries.report(
            actor=None,
            start=_date(start),
            end=_date(end),
            beneficiary=beneficiary,
            service=service,
            check_permission=False,
        )
        if format == "csv":
            self.stdout.write(beneficiaries.to_csv(rows), ending="")
            return
        if format == "json":
            self.stdout.write(
                json.dumps(
                    beneficiaries.report_to_dict(rows),
                    cls=DjangoJSONEncoder,
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        header = ("facturé net", "encaissé", "avoirs imputés", "non-valeurs", "reste dû")
        self.stdout.write(f"{'bénéficiaire / rubrique':<36}" + "".join(f"{h:>15}" for h in header))
        for r in rows:
            label = f"{r.beneficiary_label} — {r.service_label}"[:36]
            amounts = (r.billed, r.collected, r.credited, r.written_off, r.owed)
            self.stdout.write(f"{label:<36}" + "".join(f"{_money(a):>15}" for a in amounts))
        total = beneficiaries.totals(rows)
        amounts = [total[k] for k in ("billed", "collected", "credited", "written_off", "owed")]
        self.stdout.write(f"{'Total':<36}" + "".join(f"{_money(a):>15}" for a in amounts))
