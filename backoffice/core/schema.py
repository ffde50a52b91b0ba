"""The OpenAPI schema's view of the API: names, errors, anonymous access, strict bodies.

A client generated from /schema/ must work as it is, so the schema states what the server
really does, derived from each view rather than written by hand:

- operationIds and summaries name what an operation does (``list_books``,
  ``return_borrow``); viewset actions get them from the basename, anything else declares
  its own with ``extend_schema(operation_id=..., summary=...)``. They are part of the
  contract: generated clients call them by name.
- Error statuses and codes come from the view: its authentication, permissions, path,
  pagination, body and throttles, and the refusals it declares in ``raises``
  (``{action or method: [DomainError classes, ...]}``); see ``schema_errors``.
- An operation open to anonymous callers says so with ``security: []``, so generators do
  not demand a token for it.
- Path ids are integers, and response fields a model serializer always sends are required.
- Descriptions come from this project's docstrings only, never a library's.
- Links say which answer gives the id a detail operation takes (``schema_links``).
"""

import inspect
from types import SimpleNamespace

from django.contrib.auth.models import AnonymousUser
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import force_instance, get_override
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated

from backoffice.core.inputs import MAX_ID
from backoffice.core.schema_errors import Refusals
from backoffice.core.schema_links import declared_links
from backoffice.core.serializers import StrictInputMixin

_BODY_METHODS = {"POST", "PUT", "PATCH"}

# Viewset actions: (operationId verb, summary verb, plural noun?).
_ACTIONS = {
    "list": ("list", "List", True),
    "create": ("create", "Create", False),
    "retrieve": ("get", "Get", False),
    "update": ("update", "Replace", False),
    "partial_update": ("patch", "Change some fields of", False),
    "destroy": ("delete", "Delete", False),
}


def _plural(noun: str) -> str:
    return noun if noun.endswith("s") else noun + "s"


def _own_doc(obj) -> str:
    """The docstring ``obj`` itself has, if this project wrote it: neither one inherited
    (a mixin's) nor a library's, which describes the library's view (dj-rest-auth's
    "Accepts GET, PUT, PATCH"), not this API."""
    doc = vars(obj).get("__doc__") if inspect.isclass(obj) else getattr(obj, "__doc__", None)
    if not doc:
        return ""
    try:
        source = inspect.getsourcefile(obj) or ""
    except TypeError:  # built in
        return ""
    return "" if "site-packages" in source else inspect.cleandoc(doc)


class AutoSchema(SpectacularAutoSchema):
    # --- names ------------------------------------------------------------------------

    def _action(self) -> str:
        return getattr(self.view, "action", None) or self.method.lower()

    def get_operation_id(self):
        action, basename = getattr(self.view, "action", None), getattr(self.view, "basename", None)
        if action in _ACTIONS and basename:
            verb, _, plural = _ACTIONS[action]
            return f"{verb}_{_plural(basename) if plural else basename}"
        if action and basename:
            return f"{action}_{basename}"
        return super().get_operation_id()

    def get_summary(self):
        action, basename = getattr(self.view, "action", None), getattr(self.view, "basename", None)
        if action in _ACTIONS and basename:
            _, verb, plural = _ACTIONS[action]
            noun = basename.replace("_", " ")
            return f"{verb} {_plural(noun)}" if plural else f"{verb} a {noun}"
        return super().get_summary()

    def get_description(self):
        method = getattr(self.view, self._action(), None)
        return (_own_doc(method) if method is not None else "") or _own_doc(type(self.view))

    # --- security ---------------------------------------------------------------------

    def get_auth(self):
        if not self.view.get_authenticators() or self._open_to_anonymous():
            return []
        auths = []
        for auth in super().get_auth():
            if auth and auth not in auths:
                auths.append(auth)
        return auths

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and "security" not in operation:
            # Said explicitly: no token needed (Redocly's security-defined rule, and
            # generators that read a missing key as "unspecified").
            operation["security"] = []
        return operation

    def _anonymous_caller(self):
        return SimpleNamespace(method=self.method, user=AnonymousUser())

    def _open_to_anonymous(self) -> bool:
        caller = self._anonymous_caller()
        return all(
            permission.has_permission(caller, self.view)
            for permission in self.view.get_permissions()
        )

    # --- parameters and bodies ----------------------------------------------------------

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        lookup = getattr(self.view, "lookup_url_kwarg", None) or getattr(
            self.view, "lookup_field", None
        )
        if getattr(self.view, "lookup_is_id", False):
            # drf-spectacular names a "pk" lookup "id" in the path.
            names = {lookup, "id"} if lookup == "pk" else {lookup}
            for parameter in parameters:
                if parameter["name"] in names:
                    parameter["schema"] = {
                        "type": "integer",
                        "format": "int64",
                        "minimum": 1,
                        "maximum": MAX_ID,
                    }
        return parameters

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(force_instance(serializer), StrictInputMixin):
            # Such bodies refuse keys they do not take (see StrictInputMixin).
            schema["additionalProperties"] = False
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        instance = force_instance(serializer)
        if direction == "response" and isinstance(instance, serializers.ModelSerializer):
            # A model serializer sends every field of every row (null where the model
            # allows it); only plain serializers over dicts leave a non-required key out.
            schema["required"] = list(schema.get("properties", {}))
            for field in schema.get("properties", {}).values():
                field.pop("default", None)  # a default means nothing in an answer
        # A mixin's docstring is a note for developers, not the body's description.
        description = get_override(instance, "description", None) or _own_doc(type(instance))
        if description:
            schema["description"] = description
        else:
            schema.pop("description", None)
        return schema

    # --- errors -----------------------------------------------------------------------

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        links = declared_links(self.view, self.method)
        for status, response in responses.items():
            if links and status.startswith("2"):
                response.setdefault("links", {}).update(links)
                break
        for status, response in self._refusals().responses().items():
            responses.setdefault(status, response)
        return dict(sorted(responses.items()))

    def _reads_body(self) -> bool:
        return self.method in _BODY_METHODS and getattr(self.view, "reads_body", True)

    def _refusals(self) -> Refusals:
        view, refusals = self.view, Refusals()
        has_query = bool(
            self._get_filter_parameters()
            or self._get_pagination_parameters()
            or self.get_override_parameters()
        )
        if self._reads_body():
            refusals.field_map = True
            refusals.add(400, "parse_error")
            refusals.add(413, "request_too_large")
            refusals.add(415, "unsupported_media_type")
        elif has_query:
            refusals.field_map = True
        anonymous = self._open_to_anonymous()
        if view.get_authenticators():
            refusals.add(401, "authentication_failed")  # a bad token, even where none is needed
            if not anonymous:
                refusals.add(401, "not_authenticated")
        # A permission that lets even an anonymous caller through on this method does not
        # look at the user here; any other (beyond "authenticated") may refuse someone.
        caller = self._anonymous_caller()
        if any(
            not isinstance(permission, (AllowAny, IsAuthenticated))
            and not permission.has_permission(caller, view)
            for permission in view.get_permissions()
        ):
            refusals.add(403, "permission_denied")
        paginated = self._is_list_view() and self._get_paginator() is not None
        if "{" in self.path or paginated:
            refusals.add(404, "not_found")
        refusals.add(406, "not_acceptable")
        if view.get_throttles():
            refusals.add(429, "throttled")
        for error in getattr(view, "raises", {}).get(self._action(), ()):
            refusals.add_error(error)
        return refusals
