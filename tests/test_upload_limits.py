"""Reading an upload (papers.uploads.read_upload): accepted types, every limit, hostile and broken zips."""

import struct
import zipfile
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from papers.models import Digest, ImportJob
from papers.uploads import read_upload
from tests.conftest import FIXTURES, SAMPLES

ARXIV_JP = (SAMPLES / "arxiv_jp_sample.txt").read_bytes()
ZH = (SAMPLES / "zh_digest_sample.txt").read_bytes()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def make_zip(entries: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries.items():
            if name.endswith("/"):
                archive.mkdir(name.rstrip("/"))
            else:
                archive.writestr(name, data)
    return buffer.getvalue()


def test_it_accepts_text_markdown_and_html_files_under_their_names():
    batch = read_upload(
        [
            upload("a.txt", ARXIV_JP),
            upload("b.md", ZH),
            upload("c.html", b"<p>x</p>"),
            upload("D.HTM", b"<p>y</p>"),
        ]
    )
    assert batch.errors == []
    assert [(file.name, len(file.data)) for file in batch.files] == [
        ("a.txt", len(ARXIV_JP)),
        ("b.md", len(ZH)),
        ("c.html", 8),
        ("D.HTM", 8),
    ]


def test_an_unsupported_type_is_refused_and_says_which_types_are_accepted():
    batch = read_upload([upload("paper.pdf", b"%PDF-1.7"), upload("a.txt", ARXIV_JP)])
    assert [file.name for file in batch.files] == ["a.txt"]
    assert batch.errors == [
        "paper.pdf: unsupported file type; accepted are .txt, .md, .html, .htm or a .zip of those"
    ]


def test_a_file_over_the_per_file_limit_is_refused_with_both_sizes(settings):
    settings.DIGEST_MAX_FILE_BYTES = 2048
    batch = read_upload([upload("big.txt", b"x" * 3000), upload("small.txt", b"y" * 100)])
    assert [file.name for file in batch.files] == ["small.txt"]
    assert batch.errors == ["big.txt: the file is 2.9\xa0KB; the limit is 2.0\xa0KB per file"]


def test_an_upload_over_the_total_limit_is_refused_as_a_whole(settings):
    settings.DIGEST_UPLOAD_MAX_BYTES = 4096
    batch = read_upload([upload("a.txt", b"x" * 3000), upload("b.txt", b"y" * 3000)])
    assert batch.files == []
    assert batch.errors == [
        "The upload is 5.9\xa0KB; at most 4.0\xa0KB can be uploaded at once. "
        "Upload the files in several goes."
    ]


def test_too_many_files_at_once_are_refused(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    batch = read_upload([upload(f"{n}.txt", b"x") for n in range(3)])
    assert batch.files == []
    assert batch.errors == [
        "3 files were uploaded; at most 2 are accepted at once. Put more files in a .zip."
    ]


def test_an_empty_upload_asks_for_a_file():
    assert read_upload([]).errors == ["Choose at least one file."]


def test_a_zip_gives_its_digest_files_and_skips_directories_and_archiver_clutter():
    data = make_zip(
        {
            "week/": b"",
            "week/arxiv.txt": ARXIV_JP,
            "week/zh.html": ZH,
            "__MACOSX/week/._arxiv.txt": b"\x00\x05\x16\x07",
            "week/.DS_Store": b"\x00\x00\x00\x01Bud1",
        }
    )
    batch = read_upload([upload("digests.zip", data)])
    assert batch.errors == []
    assert [(file.name, file.data) for file in batch.files] == [("arxiv.txt", ARXIV_JP), ("zh.html", ZH)]


def test_a_zip_with_more_files_than_allowed_is_refused(settings):
    settings.DIGEST_ZIP_MAX_FILES = 3
    data = make_zip({f"{n}.txt": b"x" for n in range(4)})
    batch = read_upload([upload("many.zip", data)])
    assert batch.files == []
    assert batch.errors == ["many.zip: the zip holds 4 files; at most 3 are accepted per zip"]


def test_a_zip_unpacking_to_more_than_the_limit_is_refused_from_its_headers(settings):
    settings.DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES = 10_000
    data = make_zip({"a.txt": b"a" * 6000, "b.txt": b"b" * 6000})
    batch = read_upload([upload("big.zip", data)])
    assert batch.files == []
    assert batch.errors == [
        "big.zip: the zipped files unpack to 11.7\xa0KB; "
        "the zips of one upload may unpack to at most 9.8\xa0KB"
    ]


def test_the_unpacked_limit_is_shared_by_the_zips_of_one_upload(settings):
    settings.DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES = 10_000
    first, second = make_zip({"a.txt": b"a" * 6000}), make_zip({"b.txt": b"b" * 6000})
    batch = read_upload([upload("one.zip", first), upload("two.zip", second)])
    assert [file.name for file in batch.files] == ["a.txt"]
    assert batch.errors[0].startswith("two.zip: the zipped files unpack to 5.9\xa0KB;")


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    bomb = make_zip({"digest.txt": b"\0" * (10 * 1024 * 1024)})  # 10 MiB of zeros: ~10 KB zipped
    assert len(bomb) < 100 * 1024
    batch = read_upload([upload("bomb.zip", bomb)])
    assert batch.files == []
    assert len(batch.errors) == 1
    assert batch.errors[0].startswith("bomb.zip: digest.txt unpacks from ")
    assert batch.errors[0].endswith(
        "to 10.0\xa0MB, over 100 times its size: this looks like a zip bomb and the zip was refused"
    )


def _understate_size(data: bytes, size: int) -> bytes:
    """The zip with its (only) entry's uncompressed size rewritten in both headers: a zip that lies."""
    patched = bytearray(data)
    local, central = patched.find(b"PK\x03\x04"), patched.find(b"PK\x01\x02")
    struct.pack_into("<I", patched, local + 22, size)
    struct.pack_into("<I", patched, central + 24, size)
    return bytes(patched)


def test_sizes_are_enforced_on_the_bytes_read_not_on_what_the_headers_claim():
    # Headers claiming 100 bytes for 5 MiB: the size and ratio checks pass, reading exposes the lie.
    liar = _understate_size(make_zip({"small.txt": b"\0" * (5 * 1024 * 1024)}), 100)
    assert zipfile.ZipFile(BytesIO(liar)).infolist()[0].file_size == 100
    batch = read_upload([upload("liar.zip", liar)])
    assert batch.files == []
    assert batch.errors == ["liar.zip: small.txt: the zip is corrupt (its data does not match its headers)"]


@pytest.mark.parametrize(
    "entry",
    ["../escape.txt", "week/../../escape.txt", "/etc/passwd.txt", "C:/Windows/escape.txt", "..\\escape.txt"],
)
def test_entries_with_names_leaving_the_archive_are_refused_by_name(entry):
    data = make_zip({entry: b"evil", "fine.txt": ARXIV_JP})
    batch = read_upload([upload("names.zip", data)])
    assert [file.name for file in batch.files] == ["fine.txt"]
    assert batch.errors == [
        f"names.zip: entry {entry!r} was refused: its name points outside the archive "
        "(.., an absolute path or a drive letter)"
    ]


def test_zips_inside_a_zip_are_not_accepted():
    inner = make_zip({"a.txt": ARXIV_JP})
    batch = read_upload([upload("outer.zip", make_zip({"inner.zip": inner, "b.txt": ZH}))])
    assert [file.name for file in batch.files] == ["b.txt"]
    assert batch.errors == ["outer.zip: inner.zip: zips inside a zip are not accepted; unpack it first"]


def test_unsupported_entries_of_a_zip_are_refused_by_name():
    batch = read_upload([upload("mixed.zip", make_zip({"img/cover.png": b"\x89PNG", "a.txt": ZH}))])
    assert [file.name for file in batch.files] == ["a.txt"]
    assert batch.errors == [
        "mixed.zip: img/cover.png: unsupported file type; "
        "accepted are .txt, .md, .html, .htm or a .zip of those"
    ]


def test_an_entry_over_the_per_file_limit_is_refused(settings):
    settings.DIGEST_MAX_FILE_BYTES = 2048
    batch = read_upload([upload("z.zip", make_zip({"big.txt": b"x" * 3000, "ok.txt": b"y"}))])
    assert [file.name for file in batch.files] == ["ok.txt"]
    assert batch.errors == ["z.zip: big.txt: the file is 2.9\xa0KB; the limit is 2.0\xa0KB per file"]


def _set_flags(data: bytes, set_bits: int = 0, clear_bits: int = 0) -> bytes:
    """The zip with the general-purpose flags of its (first) entry changed in both headers."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        position = patched.find(signature) + offset
        flags = struct.unpack_from("<H", patched, position)[0]
        struct.pack_into("<H", patched, position, (flags | set_bits) & ~clear_bits)
    return bytes(patched)


def test_an_encrypted_zip_is_refused():
    # The standard library cannot write encrypted zips: set the "encrypted" flag on a plain one.
    data = _set_flags(make_zip({"secret.txt": ARXIV_JP}), set_bits=0x1)
    batch = read_upload([upload("secret.zip", data)])
    assert batch.files == []
    assert batch.errors == [
        "secret.zip: the zip is encrypted (password-protected); upload it without a password"
    ]


@pytest.mark.parametrize(
    "data",
    [b"not a zip at all", make_zip({"a.txt": ARXIV_JP})[:200], b""],
    ids=["garbage", "truncated", "empty"],
)
def test_a_corrupt_zip_is_refused(data):
    batch = read_upload([upload("broken.zip", data)])
    assert batch.files == []
    assert batch.errors == ["broken.zip: not a valid zip file (corrupt or truncated)"]


def test_a_zip_without_digest_files_says_so():
    batch = read_upload([upload("empty.zip", make_zip({"docs/": b""}))])
    assert batch.files == []
    assert batch.errors == ["empty.zip: contains no digest files (.txt, .md, .html, .htm)"]


def test_duplicate_names_are_all_kept_with_a_suffix_and_a_note():
    data = make_zip({"a/week.txt": ZH, "b/week.txt": ARXIV_JP})
    batch = read_upload([upload("week.txt", ARXIV_JP), upload("more.zip", data)])
    assert [file.name for file in batch.files] == ["week.txt", "week (2).txt", "week (3).txt"]
    assert [file.data for file in batch.files] == [ARXIV_JP, ZH, ARXIV_JP]
    assert batch.notes == [
        "more.zip: week.txt: another file of this upload has that name; imported as week (2).txt",
        "more.zip: week.txt: another file of this upload has that name; imported as week (3).txt",
    ]


def test_utf8_entry_names_without_the_utf8_flag_are_read_as_utf8():
    # Many archivers write UTF-8 names without the UTF-8 flag: zipfile then decodes them as cp437.
    data = _set_flags(make_zip({"論文.txt": ZH}), clear_bits=0x800)
    assert zipfile.ZipFile(BytesIO(data)).namelist() != ["論文.txt"]
    batch = read_upload([upload("cjk.zip", data)])
    assert [file.name for file in batch.files] == ["論文.txt"]


# -- through the admin page: each message reaches the editor --------------------------------------------


@pytest.mark.django_db
def test_the_upload_page_shows_why_nothing_could_be_read(admin_client):
    response = admin_client.post(
        reverse("admin:papers_digest_upload"),
        {"files": [upload("scan.pdf", b"%PDF"), upload("x.zip", b"junk")]},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "scan.pdf: unsupported file type; accepted are .txt, .md, .html, .htm or a .zip of those" in page
    assert "x.zip: not a valid zip file (corrupt or truncated)" in page
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_a_binary_file_gets_the_importers_message_and_is_not_kept(admin_client):
    files = [upload("image.txt", bytes(range(256)) * 8), upload("zh.txt", ZH)]
    response = admin_client.post(reverse("admin:papers_digest_upload"), {"files": files})
    page = response.content.decode()
    assert "image.txt — will not be imported" in page
    assert "file looks binary, not a text or HTML digest" in page
    job = ImportJob.objects.get()
    assert list(job.files.values_list("name", flat=True)) == ["zh.txt"]
    assert Digest.objects.count() == 0


@pytest.mark.django_db
def test_rejected_zip_entries_are_listed_on_the_preview_next_to_the_accepted_files(admin_client):
    html = (FIXTURES / "html" / "wordpress_zh_digest.html").read_bytes()
    data = make_zip({"../../etc/cron.txt": b"evil", "page.html": html})
    response = admin_client.post(reverse("admin:papers_digest_upload"), {"files": [upload("week.zip", data)]})
    page = response.content.decode()
    assert "week.zip: entry &#x27;../../etc/cron.txt&#x27; was refused" in page
    assert "page.html" in page and "Import 1 file" in page


@pytest.mark.django_db
def test_the_upload_page_asks_for_a_file(admin_client):
    response = admin_client.post(reverse("admin:papers_digest_upload"), {})
    assert "Choose at least one file." in response.content.decode()


@pytest.mark.django_db
def test_more_files_than_django_accepts_at_once_are_refused_before_they_are_read(admin_client, settings):
    # Django refuses the request while parsing it (before the view): a plain 400 Bad Request.
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    response = admin_client.post(
        reverse("admin:papers_digest_upload"), {"files": [upload(f"{n}.txt", ZH) for n in range(3)]}
    )
    assert response.status_code == 400
    assert ImportJob.objects.count() == 0
