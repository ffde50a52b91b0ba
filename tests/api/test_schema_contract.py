"""The OpenAPI schema tells the truth a generated client relies on.

Names, errors, types and bounds, as an integrator reads them from /schema/; the generated
client itself is exercised in test_generated_client.py.
"""

import pytest
import yaml
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from backoffice.core.errors import DomainError
from tests.factories import BookFactory

pytestmark = pytest.mark.django_db

# The contract: generated clients call operations by these names.
OPERATION_IDS = {
    ("post", "/auth/login/"): "login",
    ("post", "/auth/logout/"): "logout",
    ("post", "/auth/logoutall/"): "logout_all",
    ("get", "/auth/user/"): "get_current_user",
    ("get", "/auth/user/export/"): "export_my_data",
    ("post", "/auth/password/reset/"): "request_password_reset",
    ("get", "/notices/preferences/"): "get_notice_preferences",
    ("patch", "/notices/preferences/"): "set_notice_preferences",
    ("post", "/auth/password/reset/confirm/"): "confirm_password_reset",
    ("get", "/auth/user/reading-history/"): "get_reading_history_choice",
    ("put", "/auth/user/reading-history/"): "set_reading_history_choice",
    ("get", "/authors/"): "list_authors",
    ("post", "/authors/"): "create_author",
    ("get", "/authors/{id}/"): "get_author",
    ("put", "/authors/{id}/"): "update_author",
    ("patch", "/authors/{id}/"): "patch_author",
    ("delete", "/authors/{id}/"): "delete_author",
    ("get", "/books/"): "list_books",
    ("post", "/books/"): "create_book",
    ("get", "/books/{id}/"): "get_book",
    ("put", "/books/{id}/"): "update_book",
    ("patch", "/books/{id}/"): "patch_book",
    ("delete", "/books/{id}/"): "delete_book",
    ("get", "/books/available-by-genre/"): "list_available_books_by_genre",
    ("get", "/borrow/"): "list_borrows",
    ("post", "/borrow/"): "create_borrow",
    ("get", "/borrow/{id}/"): "get_borrow",
    ("put", "/borrow/{id}/renew/"): "renew_borrow",
    ("put", "/borrow/{id}/return/"): "return_borrow",
    ("get", "/holds/"): "list_holds",
    ("post", "/holds/"): "place_hold",
    ("get", "/holds/{id}/"): "get_hold",
    ("put", "/holds/{id}/cancel/"): "cancel_hold",
    ("get", "/stats/"): "get_stats",
    ("get", "/reports/"): "get_latest_report",
    ("post", "/reports/"): "generate_report",
    ("get", "/reports/tasks/{task_id}/"): "get_report_task",
    ("get", "/health/"): "get_health",
}
_DEFAULT_SUFFIXES = ("_list", "_create", "_retrieve", "_update", "_partial_update", "_destroy")


@pytest.fixture(scope="module")
def schema(django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        return yaml.safe_load(APIClient().get("/schema/").content)


def _operations(schema):
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method, route, operation


def test_operation_ids_are_the_stable_chosen_names(schema):
    ids = {(method, route): op["operationId"] for method, route, op in _operations(schema)}

    for key, name in OPERATION_IDS.items():
        assert ids.get(key) == name, key
    # A new operation names what it does too, never the generator's path-and-method default.
    for (method, route), name in ids.items():
        assert not name.endswith(_DEFAULT_SUFFIXES), (method, route, name)
    assert len(set(ids.values())) == len(ids)


def test_every_operation_has_a_summary_and_no_library_description(schema):
    for method, route, operation in _operations(schema):
        assert operation.get("summary"), (method, route)
        description = operation.get("description", "")
        for borrowed in ("session framework", "Accepts GET, PUT, PATCH", "REST Token"):
            assert borrowed not in description, (method, route)


def test_request_bodies_are_json_only(schema):
    for _method, route, operation in _operations(schema):
        if "requestBody" in operation:
            assert list(operation["requestBody"]["content"]) == ["application/json"], route


def test_a_form_login_is_refused_as_the_schema_says(client, patron):
    response = client.post("/auth/login/", {"username": patron.username, "password": "x"})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_one_error_component_and_one_validation_component_serve_every_operation(schema):
    allowed = {"#/components/schemas/Error", "#/components/schemas/ValidationError"}
    for method, route, operation in _operations(schema):
        for status, response in operation["responses"].items():
            if not status.startswith("4"):
                continue
            body = response["content"]["application/json"]["schema"]
            refs = {body["$ref"]} if "$ref" in body else {one["$ref"] for one in body["oneOf"]}
            assert refs <= allowed, (method, route, status)
    components = schema["components"]["schemas"]
    assert components["Error"]["required"] == ["detail", "code"]
    assert components["Error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert components["ValidationError"]["additionalProperties"]["type"] == "array"


def test_each_operation_lists_the_codes_it_can_answer(schema):
    paths = schema["paths"]
    borrow = paths["/borrow/"]["post"]["responses"]
    renew = paths["/borrow/{id}/renew/"]["put"]["responses"]
    every_code = set(schema["components"]["schemas"]["ErrorCode"]["enum"])

    assert borrow["409"]["x-error-codes"] == [
        "already_borrowed",
        "loan_limit_reached",
        "no_copies_available",
        "patron_blocked",
    ]
    assert set(borrow["403"]["x-error-codes"]) == {
        "not_allowed_to_borrow",
        "not_allowed_to_lend",
        "permission_denied",
    }
    assert borrow["429"]["x-error-codes"] == ["throttled"]
    assert {"wanted_by_hold", "patron_blocked"} <= set(renew["409"]["x-error-codes"])
    assert "patron_blocked" in paths["/holds/"]["post"]["responses"]["409"]["x-error-codes"]
    assert paths["/auth/login/"]["post"]["responses"]["429"]["x-error-codes"] == ["locked_out"]
    assert paths["/reports/"]["post"]["responses"]["503"]["x-error-codes"] == ["broker_unavailable"]
    for _method, route, operation in _operations(schema):
        for response in operation["responses"].values():
            assert set(response.get("x-error-codes", ())) <= every_code, route


def test_operations_declare_only_the_statuses_they_can_produce(schema):
    paths = schema["paths"]

    # No body, no 400/415; no path id or page, no 404; no rule, no 409.
    assert set(paths["/auth/logout/"]["post"]["responses"]) == {"204", "401", "406"}
    assert set(paths["/auth/user/"]["get"]["responses"]) == {"200", "401", "406"}
    assert "409" not in paths["/books/"]["post"]["responses"]
    assert "403" not in paths["/books/"]["get"]["responses"]
    assert "404" not in paths["/auth/login/"]["post"]["responses"]
    assert "401" not in paths["/health/"]["get"]["responses"]
    assert set(paths["/health/"]["get"]["responses"]) == {"200", "406", "503"}
    health_503 = paths["/health/"]["get"]["responses"]["503"]["content"]["application/json"]
    assert health_503["schema"] == {"$ref": "#/components/schemas/Health"}


def test_filters_are_typed_and_bounded(schema):
    def parameters(route, method="get"):
        return {p["name"]: p for p in schema["paths"][route][method].get("parameters", [])}

    books, borrows = parameters("/books/"), parameters("/borrow/")
    assert books["available"]["schema"]["type"] == "boolean"
    assert borrows["returned"]["schema"]["type"] == "boolean"
    assert borrows["overdue"]["schema"]["type"] == "boolean"
    assert books["page_size"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100}
    assert "-title" in books["ordering"]["schema"]["enum"]
    stats = parameters("/stats/")
    assert (stats["limit"]["schema"]["minimum"], stats["limit"]["schema"]["maximum"]) == (1, 50)
    for route in ("/books/{id}/", "/borrow/{id}/return/", "/holds/{id}/cancel/"):
        method = "get" if route == "/books/{id}/" else "put"
        assert parameters(route, method)["id"]["schema"]["type"] == "integer", route


def test_fields_the_server_always_sends_are_required(schema):
    components = schema["components"]["schemas"]

    assert {"total_copies", "available_copies", "publication_date"} <= set(
        components["Book"]["required"]
    )
    assert components["Book"]["properties"]["publication_date"]["nullable"] is True
    assert {"bio", "nationality", "birthdate"} <= set(components["Author"]["required"])
    assert set(components["PaginatedBookList"]["required"]) == {
        "count",
        "next",
        "previous",
        "results",
    }
    # Keys a plain serializer leaves out stay optional.
    assert "file" not in components["ReportTask"]["required"]


def test_the_task_state_enum_lists_only_states_a_report_task_can_be_in(schema):
    state = schema["components"]["schemas"]["ReportTask"]["properties"]["state"]["$ref"]
    enum = schema["components"]["schemas"][state.rsplit("/", 1)[1]]["enum"]

    assert enum == ["PENDING", "STARTED", "RETRY", "SUCCESS", "FAILURE"]


# --- Ordering, refused when unknown ---------------------------------------------------------


def test_an_unknown_ordering_is_a_400_not_ignored(api_client):
    BookFactory.create_batch(2)

    for value in ("colour", "", "title,id", "-"):
        response = api_client.get("/books/", {"ordering": value})
        assert response.status_code == 400, value
        assert "ordering" in response.json(), value


def test_a_known_ordering_sorts(api_client):
    BookFactory(title="Alpha")
    BookFactory(title="Beta")

    titles = [
        row["title"] for row in api_client.get("/books/", {"ordering": "-title"}).data["results"]
    ]

    assert titles == ["Beta", "Alpha"]


# --- New endpoints conform without hand-written schema ---------------------------------------


class _ShelfClosed(DomainError):
    code = "shelf_closed"


class _Example(APIView):
    permission_classes = [AllowAny]
    raises = {"post": [_ShelfClosed]}

    def post(self, request):  # pragma: no cover - the schema is what is tested
        return Response({})


def test_a_views_declared_refusals_become_its_error_codes():
    generator = SchemaGenerator(patterns=[path("example/", _Example.as_view())])
    generated = generator.get_schema(request=None, public=True)

    responses = generated["paths"]["/example/"]["post"]["responses"]
    assert responses["409"]["x-error-codes"] == ["shelf_closed"]
    assert "shelf_closed" in generated["components"]["schemas"]["ErrorCode"]["enum"]
    assert generated["paths"]["/example/"]["post"]["security"] == []


def test_links_lead_from_an_answer_to_the_operations_taking_its_id(schema):
    paths = schema["paths"]

    created = paths["/borrow/"]["post"]["responses"]["201"]["links"]
    assert created["return_borrow"] == {
        "operationId": "return_borrow",
        "parameters": {"id": "$response.body#/id"},
    }
    assert set(created) == {"get_borrow", "renew_borrow", "return_borrow"}
    listed = paths["/books/"]["get"]["responses"]["200"]["links"]
    assert listed["delete_book"]["parameters"] == {"id": "$response.body#/results/0/id"}
    assert set(paths["/holds/"]["post"]["responses"]["201"]["links"]) == {
        "get_hold",
        "cancel_hold",
    }
    queued = paths["/reports/"]["post"]["responses"]["202"]["links"]
    assert queued["get_report_task"]["parameters"] == {"task_id": "$response.body#/task_id"}
    ids = {op["operationId"] for _m, _r, op in _operations(schema)}
    for _method, route, operation in _operations(schema):
        for response in operation["responses"].values():
            for link in response.get("links", {}).values():
                assert link["operationId"] in ids, route


def test_the_declared_406_is_what_a_non_json_accept_gets(schema, api_client):
    declared = schema["paths"]["/books/"]["get"]["responses"]["406"]

    response = api_client.get("/books/", HTTP_ACCEPT="application/xml")

    assert response.status_code == 406
    assert response.json()["code"] in declared["x-error-codes"]
