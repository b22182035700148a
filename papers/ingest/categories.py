"""arXiv category codes in digests: how a digest's list of them is read (a code's shape is
papers.identifiers.is_category_code), and the human names of the subject classes digests mention most
(other codes are stored without one)."""

from __future__ import annotations

import re
import unicodedata

from papers.identifiers import is_category_code

# Between codes, after NFKC (which folds the full-width "，；／｜" and the ideographic space): commas,
# semicolons, slashes, bars, whitespace, and the separators NFKC keeps (、・).
_CODE_SEPARATORS = re.compile(r"[\s,;/|、・]+")


def split_category_codes(text: str) -> tuple[list[str], list[str]]:
    """A digest's category list -> (its arXiv codes in order without repeats, the pieces that are not codes).

    ``"cs.AI, cs.LG/stat.ML"`` -> ``(["cs.AI", "cs.LG", "stat.ML"], [])``."""
    codes: list[str] = []
    rejected: list[str] = []
    for piece in _CODE_SEPARATORS.split(unicodedata.normalize("NFKC", text)):
        if not piece:
            continue
        if not is_category_code(piece):
            rejected.append(piece)
        elif piece not in codes:
            codes.append(piece)
    return codes, rejected


ARXIV_CATEGORY_NAMES = {
    "cs.AI": "Artificial Intelligence",
    "cs.AR": "Hardware Architecture",
    "cs.CC": "Computational Complexity",
    "cs.CE": "Computational Engineering, Finance, and Science",
    "cs.CL": "Computation and Language",
    "cs.CR": "Cryptography and Security",
    "cs.CV": "Computer Vision and Pattern Recognition",
    "cs.CY": "Computers and Society",
    "cs.DB": "Databases",
    "cs.DC": "Distributed, Parallel, and Cluster Computing",
    "cs.DL": "Digital Libraries",
    "cs.DS": "Data Structures and Algorithms",
    "cs.ET": "Emerging Technologies",
    "cs.GR": "Graphics",
    "cs.GT": "Computer Science and Game Theory",
    "cs.HC": "Human-Computer Interaction",
    "cs.IR": "Information Retrieval",
    "cs.IT": "Information Theory",
    "cs.LG": "Machine Learning",
    "cs.LO": "Logic in Computer Science",
    "cs.MA": "Multiagent Systems",
    "cs.MM": "Multimedia",
    "cs.NE": "Neural and Evolutionary Computing",
    "cs.NI": "Networking and Internet Architecture",
    "cs.PL": "Programming Languages",
    "cs.RO": "Robotics",
    "cs.SD": "Sound",
    "cs.SE": "Software Engineering",
    "cs.SI": "Social and Information Networks",
    "cond-mat.dis-nn": "Disordered Systems and Neural Networks",
    "eess.AS": "Audio and Speech Processing",
    "eess.IV": "Image and Video Processing",
    "eess.SP": "Signal Processing",
    "eess.SY": "Systems and Control",
    "math.OC": "Optimization and Control",
    "math.ST": "Statistics Theory",
    "physics.comp-ph": "Computational Physics",
    "q-bio.BM": "Biomolecules",
    "q-bio.NC": "Neurons and Cognition",
    "stat.AP": "Applications",
    "stat.ME": "Methodology",
    "stat.ML": "Machine Learning (Statistics)",
}
