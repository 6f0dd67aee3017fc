"""cspbilling apitoken USERNAME --name NAME | --list | --revoke PREFIX"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from cspbilling.accounts import services
from cspbilling.accounts.models import ApiToken, User
from cspbilling.accounts.selectors import api_tokens_for_user


class Command(BaseCommand):
    help = "Issue (printed once), list or revoke a user's API tokens."

    def add_arguments(self, parser):
        parser.add_argument("username")
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--name", help="issue a new token with this name")
        group.add_argument("--list", action="store_true", help="list the user's tokens")
        group.add_argument("--revoke", metavar="PREFIX", help="revoke the token with this prefix")

    def handle(self, *args, username, name, list, revoke, **options):  # noqa: A002
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user named {username!r}")
        if name:
            try:
                token, raw = services.do_issue_api_token(user=user, name=name, actor="cli")
            except ValidationError as exc:
                raise CommandError("; ".join(exc.messages)) from None
            self.stdout.write(f"API token {token.name!r} (shown once, keep it secret): {raw}")
        elif list:
            for token in api_tokens_for_user(user=user):
                state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
                used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                self.stdout.write(f"{token.prefix}…  {token.name}  {state}  last used {used}")
        else:
            token = ApiToken.objects.filter(user=user, prefix=revoke).first()
            if token is None:
                raise CommandError(f"{username!r} has no token with prefix {revoke!r}")
            services.do_revoke_api_token(token=token, actor="cli")
            self.stdout.write(f"revoked {token.name!r} ({token.prefix}…)")
