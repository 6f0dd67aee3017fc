"""Bearer tokens (accounts.ApiToken). Staff roles see everything readable; a portal user's token
sees only its customer's objects."""

from __future__ import annotations

from ninja.security import HttpBearer

from cspbilling.accounts.models import Role
from cspbilling.accounts.permissions import READ_ROLES
from cspbilling.accounts.selectors import active_api_token
from cspbilling.accounts.services import do_mark_api_token_used

API_ROLES = READ_ROLES | {Role.CUSTOMER}


class ApiTokenAuth(HttpBearer):
    openapi_description = "An API token issued with `cspbilling createuser … --api-token NAME`."

    def authenticate(self, request, token: str):
        api_token = active_api_token(raw_token=token)
        if api_token is None:
            return None
        user = api_token.user
        if user.role not in API_ROLES:
            return None
        do_mark_api_token_used(token=api_token)
        request.user = user
        request.api_token = api_token
        return user
