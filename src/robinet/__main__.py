"""The ``robinet`` command: Django's management commands under one name."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(argv if argv is not None else sys.argv[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "robinet.settings")
    if args[:1] == ["demo"]:
        # The demo is the embedded mode: local SQLite, local server, demo keys.
        os.environ.setdefault("ROBINET_DEMO", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["robinet", *args])


if __name__ == "__main__":
    main()
