"""The site's own pages outside the admin and the API: the landing page."""

from django.views.decorators.http import require_safe
from django.views.generic import TemplateView

# Where "/" leads: the admin, the API's documentation and schema, the health check. It
# reads nothing, so it answers even while the database is down.
home = require_safe(TemplateView.as_view(template_name="shelfwise/home.html"))
