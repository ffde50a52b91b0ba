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


def test_swagger_ui_is_served_offline(api_client):
    response = api_client.get("/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html
