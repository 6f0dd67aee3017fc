"""Sign-in with a lockout after repeated failures (settings.LOGIN_LOCKOUT_*)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from cspbilling.accounts import services
from cspbilling.accounts.selectors import login_locked_until

# The login form reads this request attribute to say "locked until …".
LOCKED_UNTIL_ATTR = "cspbilling_login_locked_until"


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses a locked name and counts failures, known names or not. The
    attempt is counted before the password is checked, in one locked step, so concurrent
    attempts cannot get around the lock."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        UserModel = get_user_model()
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        if login_locked_until(username=username) is None:
            attempt = services.do_claim_login_attempt(username=username)
        else:  # locked: no write, and the password is not even looked at
            attempt = services.LoginAttempt(allowed=False)
        if not attempt.allowed:
            if request is not None:
                setattr(request, LOCKED_UNTIL_ATTR, login_locked_until(username=username))
            return None
        user = UserModel._default_manager.filter(username=username).first()
        if user is None:
            UserModel().set_password(password)  # same cost as a real check (timing)
        elif user.check_password(password) and self.user_can_authenticate(user):
            services.do_record_successful_login(user=user)
            return user
        services.do_record_failed_login(username=username, attempt=attempt)
        if attempt.locked_until is not None and request is not None:
            setattr(request, LOCKED_UNTIL_ATTR, attempt.locked_until)
        return None
