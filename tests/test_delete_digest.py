"""Deleting digests (papers.digests.delete_digests, and the admin's delete page and bulk action): entries
and summaries go, papers that came only from the deleted digests go, the others stay refreshed."""

import pytest
from django.contrib.admin import helpers
from django.urls import reverse

from papers.digests import delete_digests
from papers.ingest.importer import import_digest
from papers.models import Digest, DigestEntry, Paper, RelatedPaper, Source, Summary
from tests.conftest import SAMPLES

pytestmark = pytest.mark.django_db

KAN = "KAN: Kolmogorov-Arnold Networks"
RELATED_ONLY = {
    "KAN 2.0: Kolmogorov-Arnold Networks Meet Science",
    "Kolmogorov-Arnold Transformer",
    "Wav-KAN: Wavelet Kolmogorov-Arnold Networks",
}


@pytest.fixture
def digests() -> dict[str, Digest]:
    """arxiv.jp: KAN, Mamba, Transformer; zh: Mamba, Transformer; 論文の概要: KAN and three related papers;
    PyTorchKR: KAN, Llama 3, multi-token prediction."""
    names = [
        "arxiv_jp_sample.txt",
        "zh_digest_sample.txt",
        "ronbun_gaiyou_sample.txt",
        "pytorchkr_sample.txt",
    ]
    for name in names:
        assert import_digest((SAMPLES / name).read_bytes(), name).ok
    return {digest.name.split("_")[0]: digest for digest in Digest.objects.all()}


def paper(title: str) -> Paper:
    return Paper.objects.get(title=title)


def titles() -> set[str]:
    return set(Paper.objects.values_list("title", flat=True))


def test_papers_only_in_the_digest_go_and_shared_papers_stay_refreshed(digests):
    kan = paper(KAN)
    assert kan.digest_count == 3
    vector_before = kan.search_vector
    result = delete_digests(Digest.objects.filter(pk=digests["pytorchkr"].pk))
    assert (result.digests, result.papers_deleted) == (1, 2)
    assert "Llama 3" not in titles()
    assert not Paper.objects.filter(arxiv_id="2404.19737").exists()
    kan = paper(KAN)
    assert kan.digest_count == 2  # refresh_papers ran
    assert kan.search_vector != vector_before
    assert not Summary.objects.filter(entry__digest_id=digests["pytorchkr"].pk).exists()
    assert not DigestEntry.objects.filter(digest_id=digests["pytorchkr"].pk).exists()
    assert Summary.objects.filter(paper=kan).exists()  # the other digests' summaries stay


def test_related_papers_brought_only_by_the_digest_go_with_it(digests):
    assert titles() >= RELATED_ONLY
    delete_digests(Digest.objects.filter(pk=digests["ronbun"].pk))
    assert not RELATED_ONLY & titles()
    assert not RelatedPaper.objects.exists()
    assert paper(KAN).digest_count == 2


def test_a_paper_that_another_digest_lists_as_related_stays(digests):
    kan2 = paper("KAN 2.0: Kolmogorov-Arnold Networks Meet Science")
    other = Digest.objects.create(source=Source.objects.first(), name="kan2.txt", checksum="0" * 64)
    DigestEntry.objects.create(digest=other, paper=kan2, position=1)
    delete_digests(Digest.objects.filter(pk=other.pk))
    assert Paper.objects.filter(pk=kan2.pk).exists()  # still a related paper of KAN's 論文の概要 entry


def test_deleting_every_digest_leaves_no_paper(digests):
    result = delete_digests(Digest.objects.all())
    assert result.digests == 4 and result.papers_kept == 0
    assert not Paper.objects.exists() and not Summary.objects.exists()


def test_the_admin_delete_page_deletes_the_papers_only_that_digest_had(admin_client, digests):
    digest = digests["pytorchkr"]
    response = admin_client.post(
        reverse("admin:papers_digest_delete", args=[digest.pk]), {"post": "yes"}, follow=True
    )
    assert response.status_code == 200
    assert "2 papers listed only there were deleted with them." in response.content.decode()
    assert not Digest.objects.filter(pk=digest.pk).exists()
    assert "Llama 3" not in titles() and KAN in titles()


def test_the_admin_bulk_delete_action_uses_the_same_rule(admin_client, digests):
    chosen = [digests["arxiv"].pk, digests["zh"].pk]
    response = admin_client.post(
        reverse("admin:papers_digest_changelist"),
        {"action": "delete_selected", helpers.ACTION_CHECKBOX_NAME: chosen, "post": "yes"},
        follow=True,
    )
    assert response.status_code == 200
    assert not Digest.objects.filter(pk__in=chosen).exists()
    # Mamba and the Transformer were only in those two; KAN is in two more digests.
    assert titles() == {
        KAN,
        "Llama 3",
        "Better & Faster Large Language Models via Multi-token Prediction",
    } | (RELATED_ONLY)
    assert paper(KAN).digest_count == 2
