"""How back-office views turn domain refusals into HTTP answers, in one place.

Every back-office view requires a logged-in user and, usually, one
permission. Selectors and services stay the real gate (ORG-2): this module
only translates what they raise.

* ``robinet.core.exceptions.NotFound`` → 404 (an account outside the user's
  centres is "not found": its existence is not revealed);
* ``robinet.core.exceptions.PermissionDenied`` or a missing permission → 403,
  rendered by ``templates/403.html``;
* an htmx request from an expired session → a client-side redirect to the
  login page instead of the login page swapped into a fragment.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django_htmx.http import HttpResponseClientRedirect

from robinet.core import exceptions
from robinet.organisation.access import scope_for


class StaffViewMixin(LoginRequiredMixin):
    """Login required, ``permission`` held somewhere, domain errors mapped to 404/403."""

    #: the permission the user must hold on at least one entity ("" = any staff member)
    permission: str = ""

    def handle_no_permission(self):
        if self.request.user.is_authenticated:
            raise PermissionDenied
        if getattr(self.request, "htmx", False):
            response = redirect_to_login(self.request.get_full_path())
            return HttpResponseClientRedirect(response["Location"])
        return super().handle_no_permission()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.permission and not scope_for(request.user).allows(self.permission):
            raise PermissionDenied
        try:
            return super().dispatch(request, *args, **kwargs)
        except exceptions.NotFound as exc:
            raise Http404(exc.message) from exc
        except exceptions.PermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc


def require_covered(user, perm: str, entity) -> None:
    """403 unless ``user`` holds ``perm`` on ``entity`` (a centre, usually)."""
    if not scope_for(user).covers(perm, entity):
        raise PermissionDenied
