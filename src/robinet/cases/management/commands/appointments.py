"""``robinet appointments send-reminders [--date YYYY-MM-DD]``: the daily reminder SMS (CASE-8).

Sends an SMS for every booked appointment of the next day that was not
reminded yet, and traces each as an outbound contact on its case (seed 003
§4.7). Idempotent: run it every day, weekends included; a second run sends
nothing more.
"""

from django.core.management.base import BaseCommand

from robinet.cases.field import reminders_send
from robinet.core import clock
from robinet.core.commands import parse_date


class Command(BaseCommand):
    help = "Rendez-vous terrain : SMS de rappel la veille (CASE-8)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser("send-reminders", help="envoyer les SMS de rappel de demain")
        remind.add_argument("--date", help="jour d'envoi, AAAA-MM-JJ (par défaut : aujourd'hui)")

    def handle(self, *args, action: str, **options):
        on = parse_date(options.get("date"), default=clock.today())
        sent = reminders_send(on=on)
        self.stdout.write(f"Rappels du {on.strftime('%d/%m/%Y')} : {sent} SMS envoyé(s).")
