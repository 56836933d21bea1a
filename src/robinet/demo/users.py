"""Demo staff accounts: one per role (ORG-2), all with the same public password.

DEMO ONLY. The password below is published in the README and printed by
``robinet demo``: these accounts must never exist on a real database.
"""

from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from robinet.demo import data
from robinet.organisation.models import Entity, RoleAssignment, User
from robinet.organisation.roles import Role

DEMO_PASSWORD = "robinet-demo"  # demo only — public, printed on the console


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str
    entity_code: str
    superuser: bool = False


_REGION = data.REGION[0]
_ALSACE, _MOSELLE = data.AGENCIES[0][0], data.AGENCIES[1][0]
_STRASBOURG = data.AGENCIES[0][2][0][0]

# Officers work on one centre or one agency; the manager, the administrator and the
# auditor on the whole region.
DEMO_USERS = (
    DemoUser("gestion", "Claire", "Muller", Role.CUSTOMER_OFFICER, _STRASBOURG),
    DemoUser("facturation", "Thomas", "Schmitt", Role.BILLING_OFFICER, _ALSACE),
    DemoUser("recouvrement", "Nadia", "Benali", Role.COLLECTION_OFFICER, _ALSACE),
    DemoUser("relation", "Julien", "Weber", Role.CONTACT_CENTRE_OFFICER, _MOSELLE),
    DemoUser("responsable", "Isabelle", "Klein", Role.MANAGER, _REGION),
    DemoUser("admin", "Marc", "Fischer", Role.ADMINISTRATOR, _REGION, superuser=True),
    DemoUser("auditeur", "Sophie", "Lambert", Role.AUDITOR, _REGION),
    DemoUser("agence", "Cabinet", "Recouvrement Est", Role.EXTERNAL_AGENCY, _REGION),
)


def ensure_demo_users() -> list[tuple[DemoUser, Entity]]:
    """Create (or reset) the demo users and their roles; returns them with their entity."""
    from robinet.organisation.services import role_grant

    entities = {
        e.code: e for e in Entity.objects.filter(code__in={u.entity_code for u in DEMO_USERS})
    }
    # One hash for all: the default hasher is deliberately slow.
    password = make_password(DEMO_PASSWORD)
    result = []
    with transaction.atomic():
        for spec in DEMO_USERS:
            user, _created = User.objects.get_or_create(username=spec.username)
            user.first_name, user.last_name = spec.first_name, spec.last_name
            user.email = f"{spec.username}@demo.robinet.example"
            user.password = password
            user.is_active = True
            user.is_staff = user.is_superuser = spec.superuser
            user.save()
            entity = entities[spec.entity_code]
            if not RoleAssignment.objects.filter(user=user, role=spec.role, entity=entity).exists():
                role_grant(actor=None, user=user, role=spec.role, entity=entity)
            result.append((spec, entity))
    return result
