"""Search: the CJK-aware index and query text (``text``), snippets (``highlight``), the filters and facets,
the derived columns they read (``index``), the selection and pagination of a list (``query``), and the
reader caches keyed on the catalogue's version (``cache``, ``warm``; ``signals`` tells of each change)."""
