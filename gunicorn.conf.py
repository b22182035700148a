"""gunicorn settings for every `gunicorn digest.wsgi` started in the repository root (make prod, docker
compose, make load): gunicorn reads ./gunicorn.conf.py by itself; options on the command line win.

gunicorn's own default trusts X-Forwarded-Proto (and so serves the request as HTTPS) from 127.0.0.1 and
::1: any process on the machine could claim HTTPS. Here nobody is trusted unless FORWARDED_ALLOW_IPS
names the TLS-terminating proxy's addresses (comma-separated addresses or networks, README:
"Configuration"). Django's SECURE_PROXY_SSL_HEADER is the other, independent way to trust that header.
"""

import os

workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "")

# The request line and headers are bounded here; request bodies by Django (DATA_UPLOAD_MAX_MEMORY_SIZE,
# digest.request_limits). 4 KB holds the longest list URL with many facets; browsers and proxies send
# 10-30 header fields.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
