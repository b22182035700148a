"""WhiteNoise without the manifest that collectstatic leaves in STATIC_ROOT (``staticfiles.json``): the
list of every static file and its hash is for the storage, not for browsers."""

from __future__ import annotations

from django.contrib.staticfiles.storage import staticfiles_storage
from whitenoise.middleware import WhiteNoiseMiddleware


class StaticFilesMiddleware(WhiteNoiseMiddleware):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        manifest = getattr(staticfiles_storage, "manifest_name", "staticfiles.json")
        self.manifest_url = f"{self.static_prefix}{manifest}"
        self.files.pop(self.manifest_url, None)  # indexed with the rest of STATIC_ROOT

    def find_file(self, url):
        # With autorefresh (DEBUG) WhiteNoise looks each request's file up instead of indexing them.
        if url == self.manifest_url:
            return None
        return super().find_file(url)
