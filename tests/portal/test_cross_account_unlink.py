"""A portal customer cannot unlink another customer's account (issue 13, PORTAL-1).

The other cross-account reads (bills, PDFs, Factur-X, receipts, card outcomes, requests,
uploads, ``?compte=``) are covered beside their screens; this is the one write by account
number that was not.
"""

import pytest
from django.urls import reverse

from tests.portal.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_portal1_a_stranger_cannot_unlink_someone_elses_account(customer, stranger, household):
    response = logged_in(stranger).post(reverse("portal:unlink-account", args=[household.number]))
    assert response.status_code == 404
    assert list(customer.links.values_list("account", flat=True)) == [household.pk]
    assert stranger.links.count() == 1
