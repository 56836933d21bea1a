"""``robinet voucher_statement --year 2026 [--region CODE] [--output FILE]`` (PAY-10).

The yearly statement of vouchers (*bilan d'exercice des vignettes*) as CSV, the
same file as the screen's export, for the Treasury or the year-end closing.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.organisation.models import Entity, EntityKind
from robinet.payments import voucher_selectors as selectors


class Command(BaseCommand):
    help = "Bilan d'exercice des vignettes (PAY-10), en CSV."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True, help="exercice (AAAA)")
        parser.add_argument("--region", default="", help="code de la direction régionale")
        parser.add_argument("--output", default="", help="fichier CSV (sinon la sortie standard)")

    def handle(self, *args, year: int, region: str, output: str, **options):
        entity = None
        if region:
            entity = Entity.objects.filter(code=region, kind=EntityKind.REGION).first()
            if entity is None:
                raise CommandError(f"Direction régionale inconnue : « {region} ».")
        result = selectors.statement(user=None, year=year, all_regions=True, region=entity)
        content = selectors.statement_csv(result)
        if output:
            Path(output).write_text(content, encoding="utf-8-sig")
            self.stdout.write(
                f"{len(result.rows)} convention(s), utilisé {result.redeemed_amount} €, "
                f"non utilisé {result.unused_amount} € → {output}"
            )
        else:
            self.stdout.write(content, ending="")
