from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from cspbilling.accounts.backends import LOCKED_UNTIL_ATTR


class LockoutAuthenticationForm(AuthenticationForm):
    """Says when a locked account opens again; the same words for unknown usernames."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _(
            "Too many failed sign-ins: this account is locked until %(until)s. "
            "Try again after that time, or ask an administrator to unlock it."
        ),
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            locked_until = getattr(self.request, LOCKED_UNTIL_ATTR, None)
            if locked_until is None:
                raise
            until = formats.date_format(timezone.localtime(locked_until), "DATETIME_FORMAT")
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"until": until}
            ) from None
