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


POSTGRES_URL = "postgres://robinet@127.0.0.1:5432/robinet"
PLANNER = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'robinet.settings'; "
    "django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default'].get('OPTIONS', {}).get('options', ''))"
)


def _planner_options(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ROBINET_")}
    env = {**clean, "ROBINET_DEBUG": "1", "ROBINET_DATABASE_URL": POSTGRES_URL, **env}
    return subprocess.run([sys.executable, "-c", PLANNER], env=env, capture_output=True, text=True)


def test_postgresql_connections_plan_for_data_in_memory_unless_told_otherwise():
    assert _planner_options().stdout.strip() == "-c random_page_cost=1.1"
    assert _planner_options(ROBINET_PG_RANDOM_PAGE_COST="2").stdout.strip() == (
        "-c random_page_cost=2"
    )
    assert _planner_options(ROBINET_PG_RANDOM_PAGE_COST="").stdout.strip() == ""


def test_a_random_page_cost_that_is_not_a_number_is_refused_by_name():
    result = _planner_options(ROBINET_PG_RANDOM_PAGE_COST="fast")
    assert result.returncode != 0
    assert "ROBINET_PG_RANDOM_PAGE_COST must be a number" in result.stderr
