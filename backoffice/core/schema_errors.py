"""The API's error answers as the OpenAPI schema states them.

Two components: ``Error`` (``{"detail", "code"}``, the code one of ``ErrorCode``) and
``ValidationError`` (DRF's map of field names to messages). Each operation lists, per
status, the codes it can answer (``x-error-codes``, and in words in the description); the
codes come from the refusals the view declares (``raises``, the DomainError classes or DRF
exceptions each action can raise) plus what the view's own plumbing produces (a token, a
permission, a path id, a page, a body, a throttle). ``ErrorCode`` is their union, built
once every operation is known (``error_codes_hook``).
"""

from collections import defaultdict

ERROR = "Error"
ERROR_CODE = "ErrorCode"
VALIDATION_ERROR = "ValidationError"

ERROR_SCHEMA = {
    "type": "object",
    "description": (
        'A refusal: `{"detail": "...", "code": "..."}`. `detail` is a sentence for people; '
        "`code` is stable, for programs."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"$ref": f"#/components/schemas/{ERROR_CODE}"},
    },
    "required": ["detail", "code"],
}

VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Invalid input: each field in error (`non_field_errors` for the input as a whole) "
        'with its messages, e.g. `{"isbn": ["Not a valid ISBN-13: ..."]}`.'
    ),
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

STATUS_WORDS = {
    400: "Invalid input",
    401: "Missing, invalid, expired or revoked token",
    403: "Not allowed for this caller",
    404: "No such object, or no such page",
    406: "The Accept header names no JSON type",
    409: "Refused by a rule of the library",
    413: "Request body too large",
    415: "Request body is not JSON",
    429: "Too many requests or failed logins; see Retry-After",
    503: "A service the request needs is unavailable; see Retry-After",
}


def refusal_of(error) -> tuple[int, str]:
    """(status, code) of a DomainError class or a DRF APIException class."""
    code = getattr(error, "code", None) or error.default_code
    return int(error.status_code), str(code)


class Refusals:
    """The error statuses of one operation: codes per status, and whether a 400 may be
    a field map (ValidationError) as well as a refusal."""

    def __init__(self):
        self.codes: dict[int, set[str]] = defaultdict(set)
        self.field_map = False

    def add(self, status: int, code: str) -> None:
        self.codes[status].add(code)

    def add_error(self, error) -> None:
        self.add(*refusal_of(error))

    def responses(self) -> dict[str, dict]:
        statuses = set(self.codes) | ({400} if self.field_map else set())
        return {str(status): self._response(status) for status in sorted(statuses)}

    def _response(self, status: int) -> dict:
        codes = sorted(self.codes.get(status, ()))
        error_ref = {"$ref": f"#/components/schemas/{ERROR}"}
        description = STATUS_WORDS.get(status, "Refused")
        if codes:
            description += ": `code` " + (
                f"is `{codes[0]}`." if len(codes) == 1 else "is one of " + _listed(codes) + "."
            )
        if status == 400 and self.field_map:
            field_map = {"$ref": f"#/components/schemas/{VALIDATION_ERROR}"}
            # Error first: a generated client tries the alternatives in order, and any object
            # would pass for a field map.
            schema = {"oneOf": [error_ref, field_map]} if codes else field_map
            description += " A field map (ValidationError) names each field in error."
        else:
            schema = error_ref
        response = {"description": description, "content": {"application/json": {"schema": schema}}}
        if codes:
            response["x-error-codes"] = codes
        return response


def _listed(codes: list[str]) -> str:
    quoted = [f"`{code}`" for code in codes]
    return ", ".join(quoted[:-1]) + " or " + quoted[-1]


def error_codes_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: ``ErrorCode`` lists every code some operation
    declares, and the two error components are added once."""
    codes = set()
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                codes.update(response.get("x-error-codes", ()))
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR] = ERROR_SCHEMA
    schemas[VALIDATION_ERROR] = VALIDATION_ERROR_SCHEMA
    schemas[ERROR_CODE] = {
        "type": "string",
        "description": "Every `code` the API can answer; each operation says which of them.",
        "enum": sorted(codes),
    }
    result["components"]["schemas"] = dict(sorted(schemas.items()))
    return result


def servers_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: the server is the one that served the schema
    (bin/run's address when the schema is written by ``manage.py spectacular``)."""
    url = request.build_absolute_uri("/").rstrip("/") if request is not None else None
    result["servers"] = [
        {"url": url} if url else {"url": "http://127.0.0.1:8000", "description": "bin/run"}
    ]
    return result
