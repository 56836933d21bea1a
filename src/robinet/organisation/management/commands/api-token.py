"""``robinet api-token USERNAME``: create an API token for a user and print it (shown once)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from robinet.organisation.services import api_token_create


class Command(BaseCommand):
    help = "Crée un jeton d'API pour un utilisateur et l'affiche (une seule fois)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"Utilisateur inconnu ou inactif : {username}")
        self.stdout.write(api_token_create(user=user))
