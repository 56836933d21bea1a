"""Numbering series and formats of the customer file (used by services and bulk loaders)."""

ACCOUNT_SERIES = "customer_account"
CONTRACT_SERIES = "contract"
SERVICE_POINT_SERIES = "service_point"


def account_number(value: int) -> str:
    return f"{value:09d}"


def contract_number(value: int) -> str:
    return f"A{value:09d}"


def service_point_reference(value: int) -> str:
    return f"P{value:09d}"
