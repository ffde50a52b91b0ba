"""Domain errors: services raise them, the API maps them to ``{"detail", "code"}``."""


class DomainError(Exception):
    status_code = 409
    code = "conflict"
    default_detail = "The request conflicts with the library's current state."

    def __init__(self, detail: str | None = None):
        self.detail = detail or self.default_detail
        super().__init__(self.detail)


class NotFound(DomainError):
    status_code = 404
    code = "not_found"
    default_detail = "Not found."


class ServiceUnavailable(DomainError):
    status_code = 503
    code = "service_unavailable"
    default_detail = "A service the request needs is unavailable; try again later."
