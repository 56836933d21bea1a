"""``robinet report NAME`` — any management report as CSV, XLSX or JSON (REP, API-2).

For schedulers and auditors: ``robinet report aged-balance --date 2026-12-31
--entity DR-NORD --format xlsx --output balance.xlsx``. Without ``--user`` the
command sees every entity (the operator's view); with it, the user's scope.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from robinet.core.commands import command_error
from robinet.core.exceptions import ApplicationError
from robinet.organisation.access import Scope
from robinet.organisation.models import User
from robinet.reporting import exports, params, registry


def operator():
    """An unsaved superuser standing for the operator running the command."""
    user = User(username="robinet", is_superuser=True, is_active=True)
    user._robinet_scope = Scope(None, True, {})
    return user


class Command(BaseCommand):
    help = (
        "Produit un rapport de pilotage (balance âgée, recouvrement, RPQS…) en CSV, XLSX ou JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", nargs="?", help="nom du rapport (--list pour la liste)")
        parser.add_argument("--list", action="store_true", help="lister les rapports")
        parser.add_argument(
            "--date", default="", help="date d'arrêté (AAAA-MM-JJ), aujourd'hui par défaut"
        )
        parser.add_argument("--entity", default="", help="code de la direction, agence ou centre")
        parser.add_argument(
            "--from", dest="start", default="", help="début de période (AAAA-MM-JJ)"
        )
        parser.add_argument("--to", dest="end", default="", help="fin de période, incluse")
        parser.add_argument("--year", default="", help="exercice (AAAA) des indicateurs annuels")
        parser.add_argument(
            "--param",
            action="append",
            default=[],
            metavar="CLÉ=VALEUR",
            help="critère propre au rapport (ex. customer_class=state)",
        )
        parser.add_argument("--format", choices=exports.FORMATS, default="csv")
        parser.add_argument(
            "--output", default="", help="fichier de sortie (sortie standard sinon)"
        )
        parser.add_argument(
            "--user", default="", help="produire avec le périmètre de cet utilisateur"
        )

    def handle(self, *args, **options):
        user = operator()
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"Utilisateur inconnu ou inactif : {options['user']}")
        if options["list"] or not options["name"]:
            for definition in registry.report_list(user=user):
                self.stdout.write(f"{definition.name:<28} {definition.rule:<6} {definition.title}")
            if not options["list"]:
                raise CommandError("Indiquez le nom d'un rapport (liste ci-dessus).")
            return
        data = {
            key: options[key] for key in ("date", "entity", "start", "end", "year") if options[key]
        }
        for item in options["param"]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--param attend CLÉ=VALEUR : « {item} »")
            data[key.strip()] = value.strip()
        try:
            definition = registry.report_get(user=user, name=options["name"])
            chosen = params.parse(data, extra_keys=definition.extra)
            definition, tables = registry.report_run(user=user, name=definition.name, params=chosen)
        except ApplicationError as exc:
            raise command_error(exc) from None
        content, _type, filename = exports.render(definition, chosen, tables, options["format"])
        if options["output"]:
            target = Path(options["output"])
            if target.is_dir():
                target = target / filename
            target.write_bytes(content)
            rows = sum(len(t.rows) for t in tables)
            self.stderr.write(f"{definition.title} : {rows} ligne(s) écrites dans {target}")
        elif options["format"] == "xlsx":
            raise CommandError("Le format xlsx demande --output FICHIER.")
        else:
            sys.stdout.flush()
            self.stdout.write(content.decode("utf-8").lstrip("\ufeff"), ending="")
