from tests.backoffice.conftest import agency_user, auditor, company, person, web  # noqa: F401
