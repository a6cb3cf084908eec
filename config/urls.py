from __future__ import annotations

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path

from config.views import healthz, readyz

urlpatterns = [
    path("", include("apps.content.urls")),
    path("", include("apps.core.urls")),
    path("accounts/", include("allauth.urls")),
    path("people/", include("apps.accounts.urls")),
    path("perspectives/", include("apps.perspectives.urls")),
    path("questions/", include("apps.questions.urls")),
    path("experiments/", include("apps.experiments.urls")),
    path("forum/", include("apps.forum.urls")),
    path("search/", include("apps.search.urls")),
    path("write/", include("apps.submissions.urls")),
    path("api/v1/", include("apps.api.urls")),
    path("admin/", admin.site.urls),
    path("healthz/", healthz, name="healthz"),
    path("readyz/", readyz, name="readyz"),
    path("", include("apps.monitoring.urls")),  # /metrics/
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Database outages answer 503 with Retry-After; every other uncaught exception gets the 500 page.
handler500 = "config.errors.server_error"
