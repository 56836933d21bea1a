"""``robinet bill simulate --tariff CODE --volume M3 --from D --to D --diameter MM`` (BILL-11)."""

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

from django.core.management.base import BaseCommand, CommandError

from robinet.billing import selectors
from robinet.core.exceptions import ApplicationError
from robinet.tariffs.pricing import SERVICE_HEADINGS, bill_to_dict


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"Date invalide : « {value} » (attendu AAAA-MM-JJ).") from None


def _volume(value: str) -> Decimal:
    try:
        volume = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise CommandError(f"Volume invalide : « {value} ».") from None
    if not volume.is_finite() or volume < 0:
        raise CommandError(f"Volume invalide : « {value} ».")
    return volume


class Command(BaseCommand):
    help = "Simulation d'une facture (BILL-11), sans rien émettre."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sim = sub.add_parser("simulate", help="calculer une facture sans l'émettre")
        sim.add_argument("--tariff", required=True, help="code de la version de tarif")
        sim.add_argument("--volume", required=True, help="volume en m³ sur la période")
        sim.add_argument("--from", dest="start", required=True, help="premier jour (AAAA-MM-JJ)")
        sim.add_argument("--to", dest="end", required=True, help="dernier jour facturé, inclus")
        sim.add_argument("--diameter", type=int, required=True, help="diamètre du compteur (mm)")
        sim.add_argument("--dwellings", type=int, default=1, help="logements desservis")
        sim.add_argument("--social", action="store_true", help="tarif social")
        sim.add_argument(
            "--no-sanitation", action="store_true", help="sans assainissement collectif"
        )
        sim.add_argument("--format", choices=["text", "json"], default="text")

    def handle(self, *args, action: str, **options):
        services = {"water", "public_bodies", "other"}
        if not options["no_sanitation"]:
            services.add("sanitation")
        try:
            bill = selectors.simulate(
                tariff_code=options["tariff"],
                volume=_volume(options["volume"]),
                start=_date(options["start"]),
                end=_date(options["end"]),
                diameter_mm=options["diameter"],
                dwellings=options["dwellings"],
                social=options["social"],
                services=frozenset(services),
            )
        except ApplicationError as exc:
            details = "; ".join(f"{k} : {', '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message} {details}".strip()) from None
        data = bill_to_dict(bill)
        if options["format"] == "json":
            self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))
            return
        self._text(data)

    def _text(self, data: dict) -> None:
        write = self.stdout.write
        for service, heading in SERVICE_HEADINGS.items():
            lines = [line for line in data["lines"] if line["service"] == service]
            if not lines:
                continue
            write(heading)
            for line in lines:
                write(
                    f"  {line['component_code']:<12} {line['label'][:38]:<38} "
                    f"{line['period_start']}→{line['period_end']} "
                    f"{Decimal(line['quantity']):>12.3f} {line['unit']:<6} × "
                    f"{line['unit_price']:>10} = {line['amount_excl_vat']:>9} HT "
                    f"TVA {line['vat_rate']} % ({line['beneficiary']})"
                )
        for vat in data["vat"]:
            write(f"TVA {vat['rate']} % sur {vat['base']} : {vat['amount']}")
        write(f"Total HT  : {data['total_excl_vat']}")
        write(f"TVA       : {data['total_vat']}")
        write(f"Total TTC : {data['total_incl_vat']}")
        if data.get("price_per_m3_incl_vat"):
            write(f"Prix du m³ TTC   : {data['price_per_m3_incl_vat']}")
            write(
                f"Prix du litre TTC : {data['price_per_litre_incl_vat']} "
                f"(hors abonnement TTC {data['fixed_incl_vat']})"
            )
