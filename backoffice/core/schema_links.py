"""OpenAPI links: which answer gives the id a detail operation takes.

A collection ``/things/`` and its items ``/things/{id}/...`` are linked by their shape:
the 201 of ``POST /things/`` and the first row of ``GET /things/`` name an id that every
operation under ``/things/{id}/`` accepts. A view may declare other links itself
(``links = {method: {operationId: {parameter: runtime expression}}}``, e.g. a report's
task id). Clients and stateful testers (schemathesis) follow them with ids that exist.
"""

import re

_ITEM = re.compile(r"(?P<collection>.*/)\{(?P<param>\w+)\}/.*")
# The answer of a collection operation that names items, and where the id is in it.
_SOURCES = {
    "post": ("201", "$response.body#/{param}"),
    "get": ("200", "$response.body#/results/0/{param}"),
}


def links_hook(result, generator, request, public):
    """drf-spectacular postprocessing hook: add the links the paths' shape implies."""
    paths = result.get("paths", {})
    for route, operations in paths.items():
        match = _ITEM.fullmatch(route)
        if not match or match["collection"] not in paths:
            continue
        param = match["param"]
        targets = [operation["operationId"] for operation in operations.values()]
        for method, (status, expression) in _SOURCES.items():
            source = paths[match["collection"]].get(method)
            response = source and source["responses"].get(status)
            if not response or "content" not in response:
                continue
            links = response.setdefault("links", {})
            for target in targets:
                links.setdefault(
                    target,
                    {
                        "operationId": target,
                        "parameters": {param: expression.format(param=param)},
                    },
                )
    return result


def declared_links(view, method: str) -> dict:
    """The links a view declares for ``method``'s success answer, as OpenAPI Link objects."""
    declared = getattr(view, "links", {}).get(method.lower(), {})
    return {
        target: {"operationId": target, "parameters": dict(parameters)}
        for target, parameters in declared.items()
    }
