"""Reading an admin upload: digest files as uploaded, or inside .zip archives, checked against the limits.

Nothing here touches the database or the disk: archives are read in memory, entry by entry, and every
size is enforced on the bytes actually read, never on what a zip's headers claim. What a file *contains*
is the importer's business (it says "file looks binary" and so on); this module only decides which files
reach it, under which names.

Limits (digest/settings.py): ``DIGEST_UPLOAD_MAX_BYTES`` for everything uploaded at once,
``DIGEST_MAX_FILE_BYTES`` for each digest file (uploaded or unpacked), ``DIGEST_ZIP_MAX_FILES`` files per
zip, ``DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES`` for all the zips of one upload unpacked together, and
``ZIP_MAX_RATIO`` against zip bombs. ``DATA_UPLOAD_MAX_NUMBER_FILES`` is checked by Django itself while it
parses the request; it is checked again here for other callers.
"""

from __future__ import annotations

import contextlib
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import PurePosixPath
from typing import IO, Protocol

from django.conf import settings
from django.template.defaultfilters import filesizeformat

DIGEST_SUFFIXES = (".txt", ".md", ".html", ".htm")
ZIP_SUFFIX = ".zip"
ACCEPT = ",".join((*DIGEST_SUFFIXES, ZIP_SUFFIX))  # for <input type="file" accept="...">
ACCEPTED_TYPES = ", ".join(DIGEST_SUFFIXES) + f" or a {ZIP_SUFFIX} of those"

# Text digests deflate 3-10x, boilerplate-heavy HTML pages up to ~30x. An entry unpacking to more than a
# megabyte at over 100x is not a digest but a zip bomb (a megabyte of zeros deflates to ~1 KB).
ZIP_MAX_RATIO = 100
ZIP_RATIO_MIN_BYTES = 1024 * 1024

MAX_NAME_LENGTH = 255  # ImportJobFile.name and Digest.name
_CHUNK = 64 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
# Clutter archivers add (macOS resource forks, Finder and Explorer metadata): skipped without a word.
_JUNK_DIRS = {"__MACOSX"}
_JUNK_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}


class UploadedFileLike(Protocol):
    name: str
    size: int

    def read(self, size: int = -1) -> bytes: ...

    def seek(self, offset: int) -> int: ...


@dataclass(frozen=True)
class UploadedDigest:
    name: str  # unique within the batch; the name the digest is imported under
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class UploadBatch:
    files: list[UploadedDigest] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # each names the file or entry it is about
    notes: list[str] = field(default_factory=list)  # harmless changes, e.g. a renamed duplicate

    @property
    def total_bytes(self) -> int:
        return sum(file.size for file in self.files)


class _ZipRefused(Exception):
    """The whole archive is refused; the message says why (the archive's name is added by the caller)."""


def read_upload(files: Iterable[UploadedFileLike]) -> UploadBatch:
    """The digest files of an upload, in upload order (a zip's entries in archive order), plus a clear
    message for everything that was refused. Refusing one file or entry does not refuse the others,
    except that an upload over the total limit is refused as a whole before anything is read."""
    files = list(files)
    batch = UploadBatch()
    if not files:
        batch.errors.append("Choose at least one file.")
        return batch
    max_count = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    if max_count is not None and len(files) > max_count:
        batch.errors.append(
            f"{len(files)} files were uploaded; at most {max_count} are accepted at once. "
            "Put more files in a .zip."
        )
        return batch
    total = sum(file.size for file in files)
    if total > settings.DIGEST_UPLOAD_MAX_BYTES:
        batch.errors.append(
            f"The upload is {filesizeformat(total)}; at most "
            f"{filesizeformat(settings.DIGEST_UPLOAD_MAX_BYTES)} can be uploaded at once. "
            "Upload the files in several goes."
        )
        return batch
    names = _UniqueNames(batch)
    zip_budget = settings.DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES  # shared by every zip of this upload
    for upload in files:
        name = _base_name(upload.name)
        suffix = PurePosixPath(name.lower()).suffix
        if suffix == ZIP_SUFFIX:
            data = _read_all(upload)
            try:
                entries = _read_zip(data, zip_budget, batch, name)
            except _ZipRefused as refused:
                batch.errors.append(f"{name}: {refused}")
                continue
            zip_budget -= sum(len(entry_data) for _, entry_data in entries)
            if not entries:
                batch.errors.append(f"{name}: contains no digest files ({', '.join(DIGEST_SUFFIXES)})")
            for entry_name, entry_data in entries:
                batch.files.append(
                    UploadedDigest(names.claim(entry_name, f"{name}: {entry_name}"), entry_data)
                )
        elif suffix in DIGEST_SUFFIXES:
            if upload.size > settings.DIGEST_MAX_FILE_BYTES:
                batch.errors.append(_too_big(name, upload.size))
                continue
            data = _read_all(upload)
            if len(data) > settings.DIGEST_MAX_FILE_BYTES:  # a file-like whose size lied
                batch.errors.append(_too_big(name, len(data)))
                continue
            batch.files.append(UploadedDigest(names.claim(name, name), data))
        else:
            batch.errors.append(_unsupported(name))
    return batch


def _read_zip(data: bytes, budget: int, batch: UploadBatch, zip_name: str) -> list[tuple[str, bytes]]:
    """The digest entries of one archive as (file name, bytes). Entries that are refused one by one
    (unsafe names, unsupported types, nested zips, over the per-file limit) are reported in ``batch``;
    raises _ZipRefused when the archive as a whole cannot be trusted."""
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise _ZipRefused("not a valid zip file (corrupt or truncated)") from None
    with archive:
        infos = [info for info in archive.infolist() if not info.is_dir()]
        if any(info.flag_bits & 0x1 for info in infos):
            raise _ZipRefused("the zip is encrypted (password-protected); upload it without a password")
        max_files = settings.DIGEST_ZIP_MAX_FILES
        if len(infos) > max_files:
            raise _ZipRefused(f"the zip holds {len(infos)} files; at most {max_files} are accepted per zip")
        declared = sum(info.file_size for info in infos)
        if declared > budget:
            raise _ZipRefused(_unpacked_too_big(declared))
        for info in infos:
            if info.file_size >= ZIP_RATIO_MIN_BYTES and info.file_size > ZIP_MAX_RATIO * max(
                info.compress_size, 1
            ):
                raise _ZipRefused(
                    f"{_entry_name(info)} unpacks from {filesizeformat(info.compress_size)} to "
                    f"{filesizeformat(info.file_size)}, over {ZIP_MAX_RATIO} times its size: this looks "
                    "like a zip bomb and the zip was refused"
                )
        entries: list[tuple[str, bytes]] = []
        unpacked = 0
        for info in infos:
            path = _entry_name(info)
            parts = [part for part in re.split(r"[\\/]", path) if part]
            if not parts or parts[0] in _JUNK_DIRS or parts[-1] in _JUNK_NAMES or parts[-1].startswith("._"):
                continue
            if path.startswith(("/", "\\")) or _DRIVE.match(path) or ".." in parts:
                batch.errors.append(
                    f"{zip_name}: entry {path!r} was refused: its name points outside the archive "
                    "(.., an absolute path or a drive letter)"
                )
                continue
            name = parts[-1]
            suffix = PurePosixPath(name.lower()).suffix
            if suffix == ZIP_SUFFIX:
                batch.errors.append(
                    f"{zip_name}: {path}: zips inside a zip are not accepted; unpack it first"
                )
                continue
            if suffix not in DIGEST_SUFFIXES:
                batch.errors.append(f"{zip_name}: {_unsupported(path)}")
                continue
            if info.file_size > settings.DIGEST_MAX_FILE_BYTES:
                batch.errors.append(f"{zip_name}: {_too_big(path, info.file_size)}")
                continue
            # Never trust the headers: count what is actually unpacked, and stop at the limits.
            limit = min(settings.DIGEST_MAX_FILE_BYTES, budget - unpacked)
            try:
                with archive.open(info) as stream:
                    content = _read_at_most(stream, limit)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
                raise _ZipRefused(
                    f"{path}: the zip is corrupt (its data does not match its headers)"
                ) from None
            except NotImplementedError:
                raise _ZipRefused(f"{path}: uses a compression method that is not supported") from None
            if content is None:
                if limit < settings.DIGEST_MAX_FILE_BYTES:
                    raise _ZipRefused(_unpacked_too_big(None))
                raise _ZipRefused(
                    f"{path}: unpacks to more than {filesizeformat(limit)}, not the size its header says"
                )
            unpacked += len(content)
            entries.append((name, content))
        return entries


def _read_at_most(stream: IO[bytes], limit: int) -> bytes | None:
    """The stream's bytes, or None as soon as there are more than ``limit`` of them."""
    chunks, size = [], 0
    while chunk := stream.read(min(_CHUNK, limit - size + 1)):
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _read_all(upload: UploadedFileLike) -> bytes:
    upload.seek(0)
    return upload.read()


def _entry_name(info: zipfile.ZipInfo) -> str:
    """The entry's name; zips written without the UTF-8 flag (macOS, many tools) are decoded as cp437
    by zipfile, so names in CJK come out garbled unless re-read as UTF-8."""
    name = info.filename
    if not info.flag_bits & 0x800:
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("utf-8")
    return name


def _base_name(name: str) -> str:
    """The last part of an uploaded name (browsers send only that; other callers may not)."""
    parts = [part for part in re.split(r"[\\/]", name or "") if part not in ("", ".", "..")]
    return parts[-1] if parts else "unnamed"


def _too_big(name: str, size: int) -> str:
    limit = filesizeformat(settings.DIGEST_MAX_FILE_BYTES)
    return f"{name}: the file is {filesizeformat(size)}; the limit is {limit} per file"


def _unpacked_too_big(size: int | None) -> str:
    limit = filesizeformat(settings.DIGEST_ZIP_MAX_UNCOMPRESSED_BYTES)
    amount = f"unpack to {filesizeformat(size)}" if size is not None else "unpack to more"
    return f"the zipped files {amount}; the zips of one upload may unpack to at most {limit}"


def _unsupported(name: str) -> str:
    return f"{name}: unsupported file type; accepted are {ACCEPTED_TYPES}"


class _UniqueNames:
    """Digest names are identities (a corrected file re-imported under its name updates its digest), so
    two files of one upload with the same name both stay, the later one renamed "name (2).txt"."""

    def __init__(self, batch: UploadBatch) -> None:
        self.batch = batch
        self.taken: set[str] = set()

    def claim(self, name: str, label: str) -> str:
        name = _fit(name)
        unique, number = name, 1
        while unique in self.taken:
            number += 1
            stem, suffix = _split(name)
            marker = f" ({number})"
            unique = stem[: MAX_NAME_LENGTH - len(suffix) - len(marker)] + marker + suffix
        self.taken.add(unique)
        if unique != name:
            self.batch.notes.append(
                f"{label}: another file of this upload has that name; imported as {unique}"
            )
        return unique


def _split(name: str) -> tuple[str, str]:
    suffix = PurePosixPath(name).suffix
    return (name[: -len(suffix)], suffix) if suffix else (name, "")


def _fit(name: str) -> str:
    if len(name) <= MAX_NAME_LENGTH:
        return name
    stem, suffix = _split(name)
    if len(suffix) > 16:  # not a real suffix; accepted names end in a short one anyway
        return name[:MAX_NAME_LENGTH]
    return stem[: MAX_NAME_LENGTH - len(suffix)] + suffix
