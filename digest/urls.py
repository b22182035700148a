from django.contrib import admin
from django.contrib.sitemaps.views import sitemap
from django.urls import include, path

from papers.sitemaps import SITEMAPS
from papers.views.health import healthz
from papers.views.home import robots_txt
from papers.views.language import switch_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", switch_language, name="set_language"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("robots.txt", robots_txt, name="robots_txt"),
    path("healthz", healthz, name="healthz"),
    path("", include("papers.urls")),
]
