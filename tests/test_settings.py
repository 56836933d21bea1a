"""Configuration from the environment (ARCHITECTURE principle 9): production refuses insecure defaults."""

import os
import subprocess
import sys

import pytest

SCRIPT = "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'robinet.settings'; django.setup(); print('started')"


def _start(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROBINET_")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT], env={**clean, **env}, capture_output=True, text=True
    )


def test_production_refuses_the_default_secret_key():
    result = _start(ROBINET_ALLOWED_HOSTS="robinet.example.fr")
    assert result.returncode != 0
    assert "ROBINET_SECRET_KEY" in result.stderr


def test_production_refuses_missing_allowed_hosts():
    result = _start(ROBINET_SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ROBINET_ALLOWED_HOSTS" in result.stderr


@pytest.mark.parametrize("extra", [{"ROBINET_DEBUG": "1"}, {"ROBINET_DEMO": "1"}])
def test_debug_and_demo_start_with_defaults(extra, tmp_path):
    result = _start(ROBINET_VAR_DIR=str(tmp_path), **extra)
    assert result.stdout.strip() == "started", result.stderr


def test_production_starts_when_configured(tmp_path):
    result = _start(
        ROBINET_SECRET_KEY="s" * 50,
        ROBINET_ALLOWED_HOSTS="robinet.example.fr",
        ROBINET_VAR_DIR=str(tmp_path),
    )
    assert result.stdout.strip() == "started", result.stderr
