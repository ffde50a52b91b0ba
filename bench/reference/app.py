"""The comparison app: what a borrow + return costs with nearly nothing around it.

One file of Django + DRF, on the product's database, with no model of its own:
- token authentication with the product's tokens (knox's scheme: the key's first 15
  characters find the row, the SHA-512 of the whole key must match its digest, and the
  token must not have expired), in one query;
- ``GET /hello/``: the caller's id (against the product's ``GET /auth/user/``);
- ``POST /cycle/ {"book": id}``: borrow that book and return it at once, in raw SQL in one
  transaction: the conditional UPDATE that takes a copy from the shelf (409 when none is
  left), the loan's INSERT, its return and the copy back on the shelf;
- ``GET /health/``: 200, so bench/load.py can wait for it as for the product.

What it leaves out, and the product keeps: the patron's loan limit and row lock, holds,
history rows, the borrow throttle, strict input parsing, the JSON error handlers, security
middleware (CSP, axes) and two requests instead of one. Run by bench/load.py with gunicorn:

    gunicorn --chdir bench/reference app:application
"""

import hashlib
import hmac
import os

import dj_database_url
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY=os.environ.get("DJANGO_SECRET_KEY", "reference-app-only"),
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)},
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "rest_framework"],
    MIDDLEWARE=[],
    REST_FRAMEWORK={
        # Named on each view instead: DRF reads this setting while this module is
        # still being imported.
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
        "UNAUTHENTICATED_USER": None,
    },
)

import django  # noqa: E402

django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework import exceptions  # noqa: E402
from rest_framework.authentication import BaseAuthentication  # noqa: E402
from rest_framework.decorators import api_view, authentication_classes  # noqa: E402
from rest_framework.response import Response  # noqa: E402

TOKEN_KEY_LENGTH = 15
LOAN_PERIOD_DAYS = int(os.environ.get("LOAN_PERIOD_DAYS", 14))


class Caller:
    is_authenticated = True

    def __init__(self, user_id: int):
        self.id = user_id


class ProductTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "").split()
        if len(header) != 2 or header[0].lower() != "token":
            return None
        token = header[1]
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t.digest, t.user_id FROM knox_authtoken t"
                " JOIN accounts_user u ON u.id = t.user_id"
                " WHERE t.token_key = %s AND (t.expiry IS NULL OR t.expiry > now())"
                " AND u.is_active",
                [token[:TOKEN_KEY_LENGTH]],
            )
            rows = cursor.fetchall()
        digest = hashlib.sha512(token.encode()).hexdigest()
        for stored, user_id in rows:
            if hmac.compare_digest(stored, digest):
                return Caller(user_id), token
        raise exceptions.AuthenticationFailed("Invalid token.")


@api_view(["GET"])
@authentication_classes([ProductTokenAuthentication])
def hello(request):
    return Response({"id": request.user.id})


@api_view(["POST"])
@authentication_classes([ProductTokenAuthentication])
def cycle(request):
    book = request.data.get("book") if isinstance(request.data, dict) else None
    if type(book) is not int or book < 1:
        return Response({"detail": "book: an id.", "code": "invalid"}, status=400)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE library_book SET available_copies = available_copies - 1"
            " WHERE id = %s AND available_copies > 0 RETURNING id",
            [book],
        )
        if cursor.fetchone() is None:
            return Response({"detail": "No copy on the shelf.", "code": "no_copies"}, status=409)
        cursor.execute(
            "INSERT INTO library_borrow (user_id, book_id, borrow_date, due_date, renewals)"
            " VALUES (%s, %s, now(), now() + make_interval(days => %s), 0) RETURNING id",
            [request.user.id, book, LOAN_PERIOD_DAYS],
        )
        (loan,) = cursor.fetchone()
        cursor.execute("UPDATE library_borrow SET return_date = now() WHERE id = %s", [loan])
        cursor.execute(
            "UPDATE library_book SET available_copies = available_copies + 1 WHERE id = %s",
            [book],
        )
    return Response({"id": loan, "book": book})


def health(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("hello/", hello),
    path("cycle/", cycle),
    path("health/", health),
]

application = get_wsgi_application()
