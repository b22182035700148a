"""Load on loopback: ``throughput`` (``make load``: wrk against gunicorn, req/s and memory against the
targets) and ``reliability`` (``make reliability``: readers during an import and a PostgreSQL restart).
Run them as modules from the repository root, e.g. ``.venv/bin/python -m benchmarks.load.throughput``."""
