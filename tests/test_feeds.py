"""Atom and RSS feeds of any list URL: valid XML, the list's entries."""

import pytest
from django.urls import reverse
from lxml import etree

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_of_a_filtered_list_has_the_lists_papers(client, demo_papers):
    listed = client.get(reverse("paper_list"), {"language": "zh"}).context["page"].papers
    response = client.get(reverse("paper_feed_atom"), {"language": "zh"})
    assert response["Content-Type"].startswith("application/atom+xml")
    feed = etree.fromstring(response.content)
    titles = [entry.findtext(f"{ATOM}title") for entry in feed.iter(f"{ATOM}entry")]
    assert titles == [paper.title for paper in listed]
    links = [entry.find(f"{ATOM}link").get("href") for entry in feed.iter(f"{ATOM}entry")]
    assert all(link.startswith("http://testserver/papers/") for link in links)


def test_rss_feed_of_a_search_is_valid_xml(client, demo_papers):
    response = client.get(reverse("paper_feed_rss"), {"q": "Mamba"})
    channel = etree.fromstring(response.content).find("channel")
    assert "Mamba" in channel.findtext("title")
    assert channel.find("item").findtext("title").startswith("Mamba")


def test_list_pages_link_their_feed(client, demo_papers):
    page = client.get(reverse("paper_list"), {"q": "KAN"}).content.decode()
    assert 'type="application/atom+xml"' in page and "/papers/feed/atom/?q=KAN" in page
