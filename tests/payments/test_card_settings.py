"""PAY-2 configuration: production refuses the test provider and the development secret."""

from tests.test_settings import _start

PRODUCTION = {"ROBINET_SECRET_KEY": "s" * 50, "ROBINET_ALLOWED_HOSTS": "robinet.example.fr"}


def test_production_refuses_the_test_card_provider(tmp_path):
    result = _start(**PRODUCTION, ROBINET_VAR_DIR=str(tmp_path), ROBINET_CARD_PROVIDER="test")
    assert result.returncode != 0
    assert "ROBINET_CARD_PROVIDER=test" in result.stderr


def test_production_refuses_a_provider_without_its_secret(tmp_path):
    result = _start(**PRODUCTION, ROBINET_VAR_DIR=str(tmp_path), ROBINET_CARD_PROVIDER="payzen")
    assert result.returncode != 0
    assert "ROBINET_CARD_PROVIDER_SECRET" in result.stderr


def test_production_starts_with_a_provider_and_its_secret(tmp_path):
    result = _start(
        **PRODUCTION,
        ROBINET_VAR_DIR=str(tmp_path),
        ROBINET_CARD_PROVIDER="payzen",
        ROBINET_CARD_PROVIDER_SECRET="p" * 40,
    )
    assert result.stdout.strip() == "started", result.stderr
