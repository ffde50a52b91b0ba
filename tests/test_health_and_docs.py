import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(api_client):
    response = api_client.get("/health/")

    assert response.status_code == 200
    assert response.data == {"status": "ok", "database": "ok", "broker": "ok"}


def test_health_is_503_when_the_broker_is_down(api_client):
    with override_settings(CELERY_BROKER_URL="redis://127.0.0.1:1/0"):  # nothing listens
        response = api_client.get("/health/")

    assert response.status_code == 503
    assert response.data["broker"] == "unreachable"
    assert response.data["database"] == "ok"


def test_openapi_schema_lists_every_endpoint(api_client):
    response = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/auth/login/",
        "/auth/logout/",
        "/auth/logoutall/",
        "/auth/user/",
        "/authors/",
        "/authors/{id}/",
        "/books/",
        "/books/{id}/",
        "/books/available-by-genre/",
        "/borrow/",
        "/borrow/{id}/",
        "/borrow/{id}/return/",
        "/stats/",
        "/health/",
    ]:
        assert path in paths, path


def test_schema_says_which_operations_need_the_token(api_client):
    schema = api_client.get("/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    # One scheme for the one header, with its prefix stated (knox's own would add a second).
    assert list(schema["components"]["securitySchemes"]) == ["tokenAuth"]
    token = schema["components"]["securitySchemes"]["tokenAuth"]
    assert (token["type"], token["in"], token["name"]) == ("apiKey", "header", "Authorization")
    assert "`Authorization: Token <key>`" in token["description"]
    paths = schema["paths"]
    # Operations open to anyone need no token (`security: []`, so a generated client takes
    # a plain client there); circulation needs it.
    assert paths["/books/"]["get"]["security"] == []
    assert paths["/auth/login/"]["post"]["security"] == []
    assert paths["/books/"]["post"]["security"] == [{"tokenAuth": []}]
    assert paths["/borrow/"]["get"]["security"] == [{"tokenAuth": []}]
    assert paths["/stats/"]["get"]["security"] == [{"tokenAuth": []}]
    assert paths["/auth/logout/"]["post"]["security"] == [{"tokenAuth": []}]
    assert paths["/health/"]["get"]["security"] == []
    assert "204" in paths["/auth/logout/"]["post"]["responses"]
    assert "requestBody" not in paths["/auth/logoutall/"]["post"]


def test_schema_generation_has_nothing_to_warn_about():
    from io import StringIO

    from django.core.management import call_command

    errors = StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", stdout=StringIO(), stderr=errors)
    assert errors.getvalue() == ""


def test_swagger_ui_is_served_offline(api_client):
    response = api_client.get("/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
