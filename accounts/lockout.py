"""Login lockout policy on top of django-axes: two limits, a trusted client address.

- **Per username and client address** (``AXES_FAILURE_LIMIT``, 5): stops one source
  guessing one account's password, and locks only that source out.
- **Per username over every address** (``AXES_USERNAME_FAILURE_LIMIT``, 20): stops guesses
  spread over many addresses. It locks the account for everyone, so it is set well above
  the first limit; and since a locked-out address's further attempts are refused without
  being counted (``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False``), reaching it
  takes failures from several addresses, never one hammering away.

axes compares one number (``get_failures``) with one limit, and its database handler SUMS
the failures of the attempts matching each set of AXES_LOCKOUT_PARAMETERS, taking the
largest sum. Listing ``["username"]`` beside ``["username", "ip_address"]`` would therefore
compare the username-wide sum with the per-address limit and lock every account for
everyone after five failures from anywhere. So axes counts per username and address only,
and the handler below adds the username-wide test itself.

The client address is REMOTE_ADDR unless ``TRUSTED_PROXY_COUNT`` says how many proxies in
front of the application append to X-Forwarded-For; only then is that header read (through
django-ipware), and only the entries those proxies wrote, so a client cannot choose its own
address by sending the header.
"""

import math
from datetime import datetime, timedelta

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from ipware.ip import get_client_ip

from backoffice.core.wording import wait_in_words

FORWARDED_FOR = "HTTP_X_FORWARDED_FOR"


def lockout_username(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the username as the lockout counts it.

    Logins ignore case, so "Admin" and "admin" are one account and must share one
    counter; otherwise changing the case of a letter would buy another round of guesses.
    """
    if credentials is not None:
        username = credentials.get("username")
    else:
        username = request.POST.get("username")
    if not isinstance(username, str):
        return None
    return username.strip().lower() or None


def client_ip_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address of the client, as far as it can be trusted."""
    remote_addr = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies == 0:
        address, _ = get_client_ip(request, request_header_order=("REMOTE_ADDR",), strict=False)
        return address or remote_addr
    # Each trusted proxy appends the address it received the request from, so the client is
    # the entry the outermost one wrote: the proxies-th from the right. Entries left of it
    # came from the client and prove nothing. django-ipware counts the proxies *listed* in
    # the header, one fewer than those in front of us (the last is REMOTE_ADDR).
    address, _ = get_client_ip(
        request,
        proxy_order="left-most",
        proxy_count=proxies - 1,
        request_header_order=(FORWARDED_FOR,),
        strict=False,
    )
    # A request that did not pass through every proxy (a health check on the app's own
    # port, say) is known by its socket address.
    return address or remote_addr


class TwoTierLockoutHandler(AxesDatabaseHandler):
    """axes' database handler, with the username-wide limit added to the per-address one."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        # What axes compares with AXES_FAILURE_LIMIT: failures of this username from this
        # address, or the limit itself once the username-wide limit is reached.
        per_address = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if per_address < limit and self._username_failures(request, credentials) >= (
            settings.AXES_USERNAME_FAILURE_LIMIT
        ):
            return limit
        return per_address

    def _username_attempts(self, request, credentials):
        username = get_client_username(request, credentials)
        if not username:
            return AccessAttempt.objects.none()
        return AccessAttempt.objects.filter(
            username=username, attempt_time__gte=get_cool_off_threshold(request)
        )

    def _username_failures(self, request, credentials) -> int:
        attempts = self._username_attempts(request, credentials)
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def lockout_ends_at(self, request, credentials: dict | None = None) -> datetime | None:
        """When the lockout this request meets lifts by itself (None if not locked)."""
        cool_off = get_cool_off(request)
        if cool_off is None:
            return None
        tiers = (
            (
                self.get_user_attempts(request, credentials)[0],
                get_failure_limit(request, credentials),
            ),
            (self._username_attempts(request, credentials), settings.AXES_USERNAME_FAILURE_LIMIT),
        )
        ends = [
            _unlocks_at(
                attempts.order_by("attempt_time").values_list(
                    "attempt_time", "failures_since_start"
                ),
                limit,
                cool_off,
            )
            for attempts, limit in tiers
        ]
        return max((end for end in ends if end is not None), default=None)


def _unlocks_at(attempts, limit: int, cool_off: timedelta) -> datetime | None:
    # An attempt row stops counting cool_off after its latest failure; the lock lifts when
    # enough of the oldest rows have stopped counting to bring the sum below the limit.
    rows = list(attempts)
    remaining = sum(failures for _, failures in rows)
    if remaining < limit:
        return None
    for attempt_time, failures in rows:
        remaining -= failures
        if remaining < limit:
            return attempt_time + cool_off
    return None


def lockout_seconds_left(request, credentials: dict | None = None) -> int:
    """Whole seconds, rounded up, until the lockout this request met lifts by itself."""
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    now = request.axes_attempt_time
    ends = None
    if isinstance(handler, TwoTierLockoutHandler):
        ends = handler.lockout_ends_at(request, credentials)
    if ends is None:
        ends = now + (get_cool_off(request) or timedelta(0))
    return max(1, math.ceil((ends - now).total_seconds()))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the admin's lockout page, saying when to try again."""
    seconds = lockout_seconds_left(request, credentials)
    response = render(
        request,
        "admin/lockout.html",
        {"retry_in": wait_in_words(seconds)},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    response["Retry-After"] = str(seconds)
    return response
