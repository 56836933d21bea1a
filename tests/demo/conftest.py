"""Demo tests write their sample files to a temporary folder."""

import pytest


@pytest.fixture(autouse=True)
def demo_files(monkeypatch, tmp_path):
    """The demo's sample bank files go to a temporary folder, not the project's var/."""
    from robinet.demo import bank, returns

    monkeypatch.setattr(bank, "VAR_DIR", tmp_path)
    monkeypatch.setattr(returns, "VAR_DIR", tmp_path)
