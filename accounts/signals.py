from axes.signals import user_locked_out
from django.dispatch import receiver
from rest_framework.exceptions import Throttled
from rest_framework.request import Request


class LoginLockedOut(Throttled):
    default_detail = "Too many failed login attempts: this account is locked for a while."
    default_code = "locked_out"


@receiver(user_locked_out)
def refuse_locked_out_api_login(request, username=None, **kwargs):
    # Only the REST login gets an exception; the admin login is a plain HttpRequest and
    # AxesMiddleware renders its lockout page there.
    if isinstance(request, Request):
        from django.conf import settings

        raise LoginLockedOut(wait=settings.AXES_COOLOFF_TIME.total_seconds())
