from axes.signals import user_locked_out
from django.dispatch import receiver
from rest_framework.exceptions import Throttled
from rest_framework.request import Request

from backoffice.core.wording import wait_in_words

from .lockout import lockout_seconds_left


class LoginLockedOut(Throttled):
    default_code = "locked_out"

    def __init__(self, *, wait: int):
        # Throttled would append "Expected available in N seconds"; say when in words.
        super().__init__(
            detail=(
                "Too many failed login attempts: this account is locked. You can try again "
                f"{wait_in_words(wait)}, or ask a librarian to unlock it."
            )
        )
        self.wait = wait  # the Retry-After header


@receiver(user_locked_out)
def refuse_locked_out_api_login(request, username=None, **kwargs):
    # Only the REST login gets an exception; the admin login is a plain HttpRequest and
    # AxesMiddleware renders its lockout page there (accounts.lockout.lockout_response).
    if isinstance(request, Request):
        credentials = getattr(request, "axes_credentials", None)
        raise LoginLockedOut(wait=lockout_seconds_left(request, credentials))
