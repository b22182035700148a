"""The reader's language decides which summaries come first."""

from django.utils.translation import get_language

# UI language code -> summary language tag.
SUMMARY_LANGUAGE = {"en": "en", "ja": "ja", "zh-hans": "zh", "ko": "ko"}
LANGUAGE_NAMES = {"ja": "日本語", "zh": "中文", "ko": "한국어", "en": "English"}


def reader_language() -> str:
    """The summary language matching the active UI language (set per request by LocaleMiddleware)."""
    return SUMMARY_LANGUAGE.get((get_language() or "en").lower(), "en")


def by_reader_preference(languages, reader: str | None = None) -> list[str]:
    """Languages with the reader's first, then Japanese, Chinese, Korean, English, then any other."""
    reader = reader or reader_language()
    order = [reader, "ja", "zh", "ko", "en"]
    return sorted(set(languages), key=lambda code: (order.index(code) if code in order else len(order), code))
