"""``robinet check``: Django's system checks, then the invariants of the data.

    robinet check                      # system checks + every invariant
    robinet check --data-only [--only ledger.] [--format json]
    robinet check --deploy             # system checks for production only (no data read)

Exits with an error when an invariant is violated, listing examples.
"""

import json

from django.core.management.base import CommandError
from django.core.management.commands.check import Command as SystemCheckCommand

from robinet.core import invariants


class Command(SystemCheckCommand):
    help = "Vérifications du système puis invariants des données (numérotation, grand livre…)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--data-only", action="store_true", help="seulement les invariants des données"
        )
        parser.add_argument(
            "--only", action="append", default=[], metavar="NOM",
            help="invariants dont le nom commence ainsi (répétable), ex. ledger.",
        )  # fmt: skip
        parser.add_argument("--format", choices=("text", "json"), default="text")

    def handle(self, *app_labels, **options):
        system_only = options["deploy"] or options["tags"] or options["list_tags"] or app_labels
        if not options["data_only"]:
            super().handle(*app_labels, **options)
        if system_only and not options["data_only"]:
            return
        known = {i.name for i in invariants.invariants()}
        unknown = [n for n in options["only"] if not any(k.startswith(n) for k in known)]
        if unknown:
            raise CommandError(
                f"--only : aucun invariant ne commence par « {unknown[0]} » "
                f"(connus : {', '.join(sorted(known))})."
            )
        outcomes = invariants.run(options["only"] or None)
        if options["format"] == "json":
            self.stdout.write(
                json.dumps([_as_dict(o) for o in outcomes], ensure_ascii=False, indent=2)
            )
        else:
            for outcome in outcomes:
                self._print(outcome)
        failed = [o for o in outcomes if not o.ok]
        if failed:
            raise CommandError(
                f"{len(failed)} invariant(s) non respecté(s) sur {len(outcomes)} : "
                + ", ".join(o.invariant.name for o in failed)
            )
        if options["format"] == "text":
            self.stdout.write(self.style.SUCCESS(f"{len(outcomes)} invariants respectés."))

    def _print(self, outcome):
        mark = self.style.SUCCESS("OK ") if outcome.ok else self.style.ERROR("KO ")
        self.stdout.write(f"{mark} {outcome.invariant.name} — {outcome.invariant.title}")
        if not outcome.ok:
            self.stdout.write(f"     {outcome.violations.count} cas, par exemple :")
            for example in outcome.violations.examples:
                self.stdout.write(f"       - {example}")


def _as_dict(outcome) -> dict:
    return {
        "name": outcome.invariant.name,
        "title": outcome.invariant.title,
        "ok": outcome.ok,
        "count": outcome.violations.count,
        "examples": list(outcome.violations.examples),
    }
