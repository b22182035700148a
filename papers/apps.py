from django.apps import AppConfig


class PapersConfig(AppConfig):
    name = "papers"
    verbose_name = "Papers and digests"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from papers import models
        from papers.search.cache import record_catalogue_change
        from papers.search.signals import catalogue_changed
        from papers.search.warm import warm_after_change

        # Every row a reader's page shows. Bulk writes send no signals: they go through
        # papers.search.index.refresh_papers, which takes a new catalogue version itself.
        def changed(sender, using: str, **kwargs) -> None:
            record_catalogue_change(using)

        shown = [
            models.Paper,
            models.Author,
            models.Authorship,
            models.Category,
            models.Source,
            models.Digest,
            models.DigestEntry,
            models.Summary,
            models.PaperLink,
            models.Score,
            models.RelatedPaper,
            models.PaperRedirect,
            models.AuthorRedirect,
        ]
        for model in shown:
            for signal in (post_save, post_delete):
                signal.connect(changed, sender=model, weak=False, dispatch_uid=f"catalogue-{model.__name__}")
        m2m_changed.connect(
            changed, sender=models.Paper.categories.through, weak=False, dispatch_uid="catalogue-categories"
        )
        # The worker recounts the catalogue's facets after each committed change.
        catalogue_changed.connect(warm_after_change, dispatch_uid="warm-reader-caches")
