"""Reads of litigation and insolvency files (COLL-9, COLL-12), scoped to the viewer.

Visibility: the accounts of the centres where the viewer holds
``collection.view`` (ORG-2); a file elsewhere is "not found".
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from robinet.collections.access import scoped
from robinet.collections.models import (
    CollectionEvent,
    InsolvencyFile,
    LitigationFile,
)
from robinet.core.exceptions import NotFound
from robinet.organisation.roles import Perm

VIEW = Perm.COLLECTION_VIEW


def litigation_list(*, user, stage: str = "", account: str = "") -> QuerySet[LitigationFile]:
    files = scoped(LitigationFile.objects.select_related("account__party"), user)
    if stage:
        files = files.filter(stage=stage)
    if account:
        files = files.filter(account__number=account.strip())
    return files.order_by("-opened_on", "-id")


def litigation_get_for_user(*, user, number: str) -> LitigationFile:
    file = (
        litigation_list(user=user).select_related("account__centre").filter(number=number).first()
    )
    if file is None:
        raise NotFound(_("Dossier contentieux introuvable."))
    return file


def litigation_items(file: LitigationFile):
    return file.items.select_related("open_item").order_by("open_item__due_date", "open_item_id")


def file_events(file) -> QuerySet[CollectionEvent]:
    return CollectionEvent.objects.filter(
        account_id=file.account_id, kind__startswith="litigation_", summary__contains=file.number
    ).select_related("actor")


def insolvency_list(*, user, state: str = "", kind: str = "") -> QuerySet[InsolvencyFile]:
    files = scoped(InsolvencyFile.objects.select_related("account__party"), user)
    if state:
        files = files.filter(state=state)
    if kind:
        files = files.filter(kind=kind)
    return files.order_by("-opened_on", "-id")


def insolvency_get_for_user(*, user, number: str) -> InsolvencyFile:
    file = (
        insolvency_list(user=user).select_related("account__centre").filter(number=number).first()
    )
    if file is None:
        raise NotFound(_("Dossier introuvable."))
    return file
