"""``robinet worker [--concurrency N] [--name NAME] [--pool prefork|solo|threads]``.

Starts a Celery worker that processes the chunks of batch runs (billing,
dunning…) sent by :class:`robinet.core.distributed.CeleryExecutor`. Start as
many as needed, on any machine that reaches the broker and the database.
"""

import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from robinet.core.distributed import celery_app


class Command(BaseCommand):
    help = "Lance un processus de traitement des lots (Celery) pour les traitements de masse."

    def add_arguments(self, parser):
        parser.add_argument(
            "--concurrency", type=int, default=1, help="lots traités en parallèle (1 par défaut)"
        )
        parser.add_argument(
            "--name", default="", help="nom du processus (robinet-<machine>-<n> par défaut)"
        )
        parser.add_argument("--pool", default="prefork", choices=["prefork", "solo", "threads"])
        parser.add_argument("--loglevel", default="INFO")

    def handle(self, *args, concurrency, name, pool, loglevel, **options):
        if not settings.ROBINET_BROKER_URL:
            raise CommandError(
                "ROBINET_BROKER_URL n'est pas défini : indiquez l'adresse du courtier "
                "(par exemple redis://127.0.0.1:6379/0)."
            )
        if concurrency < 1:
            raise CommandError("--concurrency doit valoir au moins 1.")
        hostname = name or f"robinet-{os.getpid()}"
        if "@" not in hostname:
            hostname = f"{hostname}@%h"
        celery_app().worker_main(
            [
                "worker",
                f"--hostname={hostname}",
                f"--concurrency={concurrency}",
                f"--pool={pool}",
                f"--queues={settings.ROBINET_RUN_QUEUE}",
                f"--loglevel={loglevel}",
                "--without-gossip",
                "--without-mingle",
            ]
        )
