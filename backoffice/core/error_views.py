"""Django's error handlers (handler400/403/404/500): JSON for the API, pages for people.

Django answers errors raised outside a DRF view (an unknown path, a body over
DATA_UPLOAD_MAX_MEMORY_SIZE, a database that fails inside a middleware) with these views.
API clients get ``{"detail", "code"}``; the admin, the documentation and the landing page
get the HTML templates ``400.html``, ``403.html``, ``404.html`` and ``500.html`` (Django's
own pages when a template is absent).
"""

import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import TemplateDoesNotExist, loader
from django.views import defaults

from .outages import Outage, outage_for

# Everything else is the API. The admin and the Swagger UI are pages people read.
HTML_PATH_PREFIXES = ("/admin/", "/docs/")


def is_api_request(request: HttpRequest) -> bool:
    path = request.path_info or "/"
    return path != "/" and not path.startswith(HTML_PATH_PREFIXES)


def json_error(status: int, code: str, detail: str, *, retry_after: int | None = None):
    response = JsonResponse({"detail": detail, "code": code}, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        status, code = 413, "request_too_large"
        detail = "The request body is larger than the server accepts."
    elif isinstance(exception, TooManyFieldsSent):
        status, code = 400, "too_many_fields"
        detail = "The request has more fields or query parameters than the server accepts."
    elif isinstance(exception, TooManyFilesSent):
        status, code = 400, "too_many_files"
        detail = "The request has more files than the server accepts."
    else:
        status, code, detail = 400, "bad_request", "The request is malformed."
    if is_api_request(request):
        return json_error(status, code, detail)
    response = defaults.bad_request(request, exception)
    response.status_code = status
    return response


def permission_denied(request, exception=None):
    if is_api_request(request):
        return json_error(
            403, "permission_denied", "You do not have permission to perform this action."
        )
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception=None):
    if is_api_request(request):
        return json_error(404, "not_found", "Not found.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    # Django calls handler500 from inside its ``except`` block, so the exception is at hand.
    outage = outage_for(sys.exc_info()[1])
    if outage is not None:
        return _unavailable(request, outage)
    if is_api_request(request):
        return json_error(
            500,
            "server_error",
            "Something went wrong on the library's side and it has been logged; "
            "try again in a moment.",
        )
    return defaults.server_error(request)


def _unavailable(request, outage: Outage) -> HttpResponse:
    if is_api_request(request):
        return json_error(
            outage.status_code, outage.code, outage.detail, retry_after=outage.retry_after
        )
    # No request context: the context processors would ask the database that just failed.
    try:
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
    except TemplateDoesNotExist:
        response = defaults.server_error(request)
        response.status_code = outage.status_code
    response["Retry-After"] = str(outage.retry_after)
    return response
