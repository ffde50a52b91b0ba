"""Django's session, CSRF, login and messages middleware, run for the pages people use
(the admin, the API's documentation, the landing page) and skipped for the API.

The API authenticates every request by its token, never by a cookie (``SESSION_LOGIN`` is
off), so for an API request these four only build objects nobody reads: a session store,
a lazy user, a message store, the CSRF cookie's check. That was about 4% of a borrow +
return's CPU. Skipping them loses nothing: with no session there is nothing for a forged
cross-site request to ride on, and DRF's views are exempt from Django's CSRF check anyway.
DRF sets ``request.user`` itself once the token is checked.

Each class is a subclass of Django's own, so Django's and the admin's system checks still
find them in ``MIDDLEWARE``, in their usual order.
"""

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.middleware.csrf import CsrfViewMiddleware

from .error_views import is_api_request


class PagesOnly:
    """A middleware that steps aside for API requests (``error_views.is_api_request``)."""

    def __call__(self, request):
        if is_api_request(request):
            return self.get_response(request)
        return super().__call__(request)


class PageSessionMiddleware(PagesOnly, SessionMiddleware):
    pass


class PageCsrfViewMiddleware(PagesOnly, CsrfViewMiddleware):
    def process_view(self, request, callback, callback_args, callback_kwargs):
        # Called by the handler, not through __call__: it steps aside here too.
        if is_api_request(request):
            return None
        return super().process_view(request, callback, callback_args, callback_kwargs)


class PageAuthenticationMiddleware(PagesOnly, AuthenticationMiddleware):
    pass


class PageMessageMiddleware(PagesOnly, MessageMiddleware):
    pass
