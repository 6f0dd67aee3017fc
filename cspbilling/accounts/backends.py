"""Sign-in with a lockout after repeated failures (settings.LOGIN_LOCKOUT_*)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

from cspbilling.accounts import services
from cspbilling.accounts.selectors import login_locked_until

# The login form reads this request attribute to say "locked until …".
LOCKED_UNTIL_ATTR = "cspbilling_login_locked_until"


class LockoutModelBackend(ModelBackend):
    """ModelBackend that refuses a locked name and counts failures, known names or not."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        UserModel = get_user_model()
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        locked_until = login_locked_until(username=username)
        if locked_until is not None:
            # Do not even look at the password while locked.
            if request is not None:
                setattr(request, LOCKED_UNTIL_ATTR, locked_until)
            return None
        user = UserModel._default_manager.filter(username=username).first()
        if user is None:
            UserModel().set_password(password)  # same cost as a real check (timing)
        elif user.check_password(password) and self.user_can_authenticate(user):
            services.do_record_successful_login(user=user)
            return user
        newly_locked = services.do_record_failed_login(username=username)
        if newly_locked is not None and request is not None:
            setattr(request, LOCKED_UNTIL_ATTR, newly_locked)
        return None
