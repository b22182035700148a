"""The kinds of summary a digest gives of a paper. The parsed form of a digest (papers.ingest.parsed) and
the model (papers.models.Summary.Kind) share these values; neither imports the other."""

TITLE = "title"
ABSTRACT = "abstract"
SUMMARY = "summary"
BACKGROUND = "background"
METHOD = "method"
CONTRIBUTIONS = "contributions"
RESULTS = "results"
FUTURE_WORK = "future_work"
ANALYSIS = "analysis"
