"""A committed change to the catalogue sends ``catalogue_changed`` once per transaction, after commit, and
the worker's facet warming (papers.search.warm) is one of its receivers."""

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from papers.models import Source
from papers.search.signals import catalogue_changed
from papers.search.warm import warm_reader_caches

pytestmark = pytest.mark.django_db


@pytest.fixture
def announced():
    databases = []

    def receiver(sender, using: str, **kwargs) -> None:
        databases.append(using)

    catalogue_changed.connect(receiver, weak=False, dispatch_uid="test-catalogue-changed")
    yield databases
    catalogue_changed.disconnect(dispatch_uid="test-catalogue-changed")


def warming_tasks() -> int:
    return DBTaskResult.objects.filter(task_path=warm_reader_caches.module_path).count()


def test_a_change_is_announced_once_after_its_transaction_commits(
    announced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            Source.objects.create(slug="first-digest", name="First digest")
            Source.objects.create(slug="second-digest", name="Second digest")
        assert announced == []  # still uncommitted: a receiver must not see the old catalogue as new
    assert announced == ["default"]


def test_the_worker_warms_the_facet_counts_after_each_change(settings, django_capture_on_commit_callbacks):
    settings.FACET_CACHE_SECONDS = 600
    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.create(slug="a-digest", name="A digest")
    assert warming_tasks() == 1


def test_no_warming_when_the_facet_cache_is_off(announced, settings, django_capture_on_commit_callbacks):
    settings.FACET_CACHE_SECONDS = 0
    with django_capture_on_commit_callbacks(execute=True):
        Source.objects.create(slug="a-digest", name="A digest")
    assert announced == ["default"]
    assert warming_tasks() == 0
