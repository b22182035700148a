from django.contrib import admin
from django.contrib.sitemaps import views as sitemaps
from django.urls import include, path

from papers.search.cache import cached_page
from papers.sitemaps import SITEMAPS
from papers.views.health import healthz
from papers.views.home import robots_txt
from papers.views.language import switch_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", switch_language, name="set_language"),
    # An index of paginated sections, each page cached under the catalogue version (papers.sitemaps).
    path(
        "sitemap.xml",
        cached_page(sitemaps.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap_section"},
        name="sitemap",
    ),
    path(
        "sitemap-<slug:section>.xml",
        cached_page(sitemaps.sitemap, params=["p"]),
        {"sitemaps": SITEMAPS},
        name="sitemap_section",
    ),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("healthz", healthz, name="healthz"),
    path("", include("papers.urls")),
]
