"""Test settings: the product's settings, in debug mode, on SQLite or PostgreSQL.

Set ``ROBINET_TEST_DATABASE_URL`` (e.g. ``postgres://postgres@127.0.0.1:5432/robinet``)
to run the whole suite on PostgreSQL; otherwise it runs on SQLite.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("ROBINET_DEBUG", "1")

import dj_database_url  # noqa: E402

from robinet.settings import *  # noqa: E402, F403
from robinet.settings import DATABASES  # noqa: E402

TEST_DATABASE_URL = os.environ.get("ROBINET_TEST_DATABASE_URL", "")
if TEST_DATABASE_URL:
    DATABASES["default"] = dj_database_url.parse(TEST_DATABASE_URL)
else:
    # A file in WAL mode, as in production, not memory: in-memory SQLite shares one
    # cache between threads, where a writer locks whole tables out of readers (a page
    # of the live server polling a billing run that writes in its own thread).
    DATABASES["default"]["TEST"] = {
        "NAME": str(Path(tempfile.gettempdir()) / f"robinet-test-{os.getpid()}.sqlite3")
    }

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Dunning SMS stay in memory (e-mails do too: pytest-django's locmem backend).
ROBINET_SMS_BACKEND = "locmem"
# Customers' uploads (portal) go to a throwaway folder.
ROBINET_PRIVATE_FILES = Path(tempfile.mkdtemp(prefix="robinet-private-"))
# Runs stay in-process whatever the environment says (tests that want workers start them).
ROBINET_BROKER_URL = ""
# Runs started from a page run in the request, so that a test sees them done (the tests of
# the background thread turn it on).
ROBINET_RUNS_IN_BACKGROUND = False
# Reporting snapshots: none unless a test takes one (in its own folder).
ROBINET_REPORTING_SNAPSHOT_DIR = Path(tempfile.mkdtemp(prefix="robinet-reporting-"))
