from papers.admin import catalogue, digests  # noqa: F401  (they register the admin classes)
