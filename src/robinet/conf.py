"""Robinet's own settings, read once from the environment (``ROBINET_*``).

Every setting has a safe default for the embedded mode (SQLite under ``var/``).
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
INSECURE_SECRET_KEY = "robinet-insecure-development-key-change-me"


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


VAR_DIR = Path(env_str("ROBINET_VAR_DIR", str(PROJECT_DIR / "var")))
DEFAULT_DATABASE_URL = f"sqlite:///{VAR_DIR / 'robinet.sqlite3'}"
