"""django-unfold configuration: theme, sidebar and environment badge."""

from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _


def environment_callback(request):
    from django.conf import settings

    if settings.PRODUCTION:
        return [_("Production"), "danger"]
    return [_("Development"), "info"]


UNFOLD = {
    "SITE_TITLE": "Shelfwise",
    "SITE_HEADER": "Shelfwise",
    "SITE_SUBHEADER": _("Library back office"),
    "SITE_SYMBOL": "local_library",
    "ENVIRONMENT": "backoffice.unfold_config.environment_callback",
    "SITE_URL": reverse_lazy("swagger-ui"),
}
