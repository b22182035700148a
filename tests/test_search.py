"""Full-text search in Japanese, Chinese, Korean and English on the stored search vector."""

import pytest
from django.core.management import call_command

from papers.models import Paper, Summary, Visibility

pytestmark = pytest.mark.django_db

LOGIC = (
    "Aligning with logic: Measuring, Evaluating and Improving Logical Consistency in Large Language Models"
)
SSD = (
    "Transformers are SSMs: Generalized Models and Efficient Algorithms Through Structured State Space "
    "Duality"
)


def titles(query: str) -> list[str]:
    return list(Paper.objects.published().search(query).order_by("-rank").values_list("title", flat=True))


@pytest.mark.parametrize(
    ("query", "expected_title"),
    [
        ("エピソード記憶", "Assessing Episodic Memory in LLMs with Sequence Order Recall Tasks"),
        ("逻辑一致性", LOGIC),
        (
            "関数呼び出し",
            "Hammer: Robust Function-Calling for On-Device Language Models via Function Masking",
        ),
        ("Mamba", SSD),
        (
            "Yoshua Bengio",
            "Steering Masked Discrete Diffusion Models via Discrete Denoising Posterior Prediction",
        ),
        ("2410.02184", "CodeJudge: Evaluating Code Generation with Large Language Models"),
        ("thought templates", "Buffer of Thoughts: Thought-Augmented Reasoning with Large Language Models"),
    ],
)
def test_the_issue_examples_find_their_paper_in_the_seeds(seed_papers, query, expected_title):
    assert expected_title in titles(query)


def test_arxiv_id_and_author_queries_are_exact(seed_papers):
    assert titles("2410.02184") == ["CodeJudge: Evaluating Code Generation with Large Language Models"]
    bengio = titles("Yoshua Bengio")
    assert all(
        Paper.objects.get(title=title).authorships.filter(author__name="Yoshua Bengio").exists()
        for title in bengio
    )


def test_samples_are_searchable_in_every_language(demo_papers):
    assert titles("Mamba")[0] == "Mamba: Linear-Time Sequence Modeling with Selective State Spaces"
    assert "KAN: Kolmogorov-Arnold Networks" in titles("コルモゴロフ")
    assert "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" in titles("选择性状态空间")
    assert titles("2404.19756") == ["KAN: Kolmogorov-Arnold Networks"]
    assert "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" in titles("Tri Dao")


def test_title_matches_rank_above_summary_mentions(demo_papers):
    ranked = titles("Mamba")
    assert ranked[0].startswith("Mamba:")


def test_web_search_syntax(demo_papers):
    assert "Attention Is All You Need" not in titles("transformer -attention")
    both = set(titles("mamba OR kolmogorov"))
    assert {
        "KAN: Kolmogorov-Arnold Networks",
        "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
    } <= both
    assert titles('"selective state spaces"')[0].startswith("Mamba:")
    assert titles("") == [] and titles("   ") == []


def test_english_is_stemmed(demo_papers):
    assert "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" in titles("model sequences")


def test_hidden_summaries_leave_the_index_and_hidden_papers_leave_results(demo_papers):
    from papers.search.index import refresh_papers

    kan = Paper.objects.get(arxiv_id="2404.19756")
    kan.summaries.filter(language="ja").update(visibility=Visibility.HIDDEN)
    refresh_papers([kan.pk])
    assert "KAN: Kolmogorov-Arnold Networks" not in titles("コルモゴロフ")
    kan.visibility = Visibility.HIDDEN
    kan.save()
    assert "KAN: Kolmogorov-Arnold Networks" not in titles("Kolmogorov")


def test_the_search_vector_is_never_stale_after_an_import(demo_papers):
    assert not Paper.objects.filter(search_vector=None).exists()
    assert set(Paper.objects.get(arxiv_id="2404.19756").languages) == {"ja", "en"}


def test_rebuild_command_recomputes_every_vector(demo_papers):
    from io import StringIO

    Paper.objects.update(search_vector=None, languages=[])
    out = StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "Refreshed" in out.getvalue()
    assert not Paper.objects.filter(search_vector=None).exists()
    assert titles("Mamba")[0].startswith("Mamba:")


def test_hostile_queries_do_not_raise(demo_papers):
    for query in ['"', "-", "OR", "((", "a & b | !c", "\x00", "x" * 10_000, "':*", "<->", "\\"]:
        titles(query)


def test_summaries_written_by_editors_are_searchable_after_refresh(demo_papers):
    from papers.search.index import refresh_papers

    paper = Paper.objects.get(arxiv_id="1706.03762")
    Summary.objects.create(
        paper=paper, language="ko", kind="summary", text="트랜스포머는 주의 메커니즘만 사용한다"
    )
    refresh_papers([paper.pk])
    assert "Attention Is All You Need" in titles("트랜스포머")
