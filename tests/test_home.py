from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from papers.models import Paper

pytestmark = pytest.mark.django_db


def test_home_page_lists_demo_papers(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("load_demo", stdout=StringIO())
    assert Paper.objects.count() >= 8
    response = client.get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "KAN: Kolmogorov-Arnold Networks" in page
    assert "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" in page
    assert "arXiv:2404.19756" in page
    assert "Scalable MatMul-free Language Modeling" in page  # from the saved HTML page among the demos


def test_home_page_is_one_query_per_list_not_per_paper(client, django_assert_max_num_queries):
    for index in range(30):
        Paper.objects.create(title=f"Paper number {index}")
    with django_assert_max_num_queries(6):
        assert client.get(reverse("home")).status_code == 200


def test_home_page_escapes_markup_in_titles(client):
    Paper.objects.create(title="<script>alert(1)</script> Attention")
    page = client.get(reverse("home")).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Attention" in page


def test_load_demo_creates_a_superuser_and_prints_how_to_log_in(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    out = StringIO()
    call_command("load_demo", stdout=out)
    password = (tmp_path / "demo-admin-password").read_text().strip()
    assert f"as 'admin' with password {password!r}" in out.getvalue()
    user = get_user_model().objects.get(username="admin")
    assert user.is_superuser and user.check_password(password)
