from django.apps import AppConfig


class BenchmarksConfig(AppConfig):
    """Benchmark tooling beside the product: the synthetic corpus, the query-set benchmark and the load
    scripts. It reads and writes the papers app's tables; nothing in papers imports it."""

    name = "benchmarks"
    verbose_name = "Benchmarks"
