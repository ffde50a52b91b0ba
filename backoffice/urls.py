from dj_rest_auth.views import LoginView, UserDetailsView
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from knox.views import LogoutAllView, LogoutView

from accounts.password_views import PasswordResetConfirmationView, PasswordResetRequestView
from library.api.views import PatronExportView, ReadingHistoryView

from .core.health import HealthView
from .views import home

auth_patterns = [
    path("login/", LoginView.as_view(), name="rest_login"),
    # knox's views: dj-rest-auth's logout would not revoke a knox token.
    path("logout/", LogoutView.as_view(), name="knox_logout"),
    path("logoutall/", LogoutAllView.as_view(), name="knox_logoutall"),
    path("password/reset/", PasswordResetRequestView.as_view(), name="rest_password_reset"),
    path(
        "password/reset/confirm/",
        PasswordResetConfirmationView.as_view(),
        name="rest_password_reset_confirm",
    ),
    path(
        "user/",
        UserDetailsView.as_view(http_method_names=["get", "head", "options"]),
        name="rest_user_details",
    ),
    path("user/export/", PatronExportView.as_view(), name="user-export"),
    path("user/reading-history/", ReadingHistoryView.as_view(), name="user-reading-history"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("auth/", include(auth_patterns)),
    path("", include("library.api.urls")),
    path("reports/", include("reports.urls")),
    path("health/", HealthView.as_view(), name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves its start-up script as a file of its own: no inline script
    # for the Content-Security-Policy to allow.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="swagger-ui"),
    # Last, and "" only: the landing page never shadows an API route.
    path("", home, name="home"),
]

# Errors raised outside a DRF view: JSON for the API, the HTML pages for the admin and docs.
handler400 = "backoffice.core.error_views.bad_request"
handler403 = "backoffice.core.error_views.permission_denied"
handler404 = "backoffice.core.error_views.page_not_found"
handler500 = "backoffice.core.error_views.server_error"
