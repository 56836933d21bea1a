"""Security headers and production settings (issue 13: CSP, X-Frame-Options, HSTS, check --deploy)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import robinet

SOURCE = Path(robinet.__file__).parent
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I)


def test_no_template_carries_an_inline_script_or_event_handler():
    """The Content-Security-Policy allows scripts from our own files only, so none may be inline."""
    found = []
    for template in sorted(SOURCE.rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{template.relative_to(SOURCE)}:{line}: {match.group(0).strip()}")
    assert found == []


@pytest.mark.django_db
def test_pages_carry_the_security_headers(client):
    response = client.get("/login/")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src == "script-src 'self'"
    assert "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_production_settings_pass_the_deployment_checks():
    """``check --deploy`` is clean with production settings (HTTPS, HSTS, secure cookies)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},  # (e2e only)
        "ROBINET_DEBUG": "0",
        "ROBINET_DEMO": "0",
        "ROBINET_SECRET_KEY": "a-production-like-secret-key-" + "x" * 40,
        "ROBINET_ALLOWED_HOSTS": "robinet.example",
        "DJANGO_SETTINGS_MODULE": "robinet.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "robinet", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
