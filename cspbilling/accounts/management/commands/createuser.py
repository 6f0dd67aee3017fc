"""cspbilling createuser USERNAME --role ROLE [--customer TENANT_ID] [--api-token NAME]"""

from __future__ import annotations

import getpass
import os
import sys
import uuid

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cspbilling.accounts import services
from cspbilling.accounts.models import Role
from cspbilling.customers.models import Customer

PASSWORD_ENV = "CSPBILLING_NEW_PASSWORD"


def one_line(exc: ValidationError) -> str:
    return "; ".join(exc.messages)


class Command(BaseCommand):
    help = (
        "Create a staff user (admin, finance, support, readonly) or a portal user (customer, "
        f"with --customer). The password comes from --password, ${PASSWORD_ENV}, or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, help=f"one of {', '.join(Role.values)}")
        parser.add_argument("--customer", help="tenant id of the customer (role customer only)")
        parser.add_argument("--email", default="")
        parser.add_argument("--language", help="zh-hans, en or fr (default: the customer's)")
        parser.add_argument("--password", help=f"the password (safer: ${PASSWORD_ENV})")
        parser.add_argument(
            "--api-token", metavar="NAME", help="also issue an API token; it is printed once"
        )

    def handle(self, *args, username, role, customer, email, language, password, **options):
        if role not in Role.values:
            raise CommandError(f"unknown role {role!r}: use one of {', '.join(Role.values)}")
        if role == Role.CUSTOMER and not customer:
            raise CommandError(
                "a portal user (role customer) needs a customer: --customer TENANT_ID"
            )
        if role != Role.CUSTOMER and customer:
            raise CommandError(f"a {role} user is staff and cannot belong to a customer")
        customer_obj = None
        if customer:
            try:
                customer_obj = Customer.objects.get(tenant_id=uuid.UUID(customer))
            except (ValueError, Customer.DoesNotExist):
                raise CommandError(f"no customer with tenant id {customer!r}") from None
        password = password or os.environ.get(PASSWORD_ENV) or self._prompt_password()
        try:
            user = services.do_create_user(
                username=username,
                password=password,
                role=role,
                customer=customer_obj,
                email=email,
                language=language,
                actor="cli",
            )
        except ValidationError as exc:
            raise CommandError(one_line(exc)) from None
        where = f" for {customer_obj.display_name}" if customer_obj else ""
        self.stdout.write(f"created {user.role} user {user.username!r}{where}")
        if options["api_token"]:
            token, raw = services.do_issue_api_token(
                user=user, name=options["api_token"], actor="cli"
            )
            self.stdout.write(f"API token {token.name!r} (shown once, keep it secret): {raw}")

    def _prompt_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(f"no password: pass --password or set ${PASSWORD_ENV}")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("the two passwords differ")
        return first
