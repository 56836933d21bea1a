"""Token authentication for the JSON API: ``Authorization: Bearer <token>``."""

from ninja.security import HttpBearer

from robinet.organisation.services import api_token_authenticate


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        user = api_token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user
