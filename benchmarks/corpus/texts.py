"""One paper's texts: what it is about (a Topic drawn with Zipf weights) written out in each language
from the templates, and authors' names."""

from __future__ import annotations

import functools
import itertools
import random
from dataclasses import dataclass

from benchmarks.corpus.draws import Weighted, zipf
from benchmarks.corpus.templates import SECTIONS_BY_KIND, TEMPLATES, TITLE_TEMPLATES
from benchmarks.corpus.vocabulary import (
    ADJECTIVES,
    BENCH_TOPICS,
    DATASETS,
    FIRST_NAMES,
    INITIALS,
    LAST_NAMES,
    METHODS,
    NAME_HEADS,
    NAME_TAILS,
    PROPERTIES,
    TASKS,
    Term,
)


def _has_final_consonant(word: str) -> bool:
    """Whether the last syllable of a Korean word ends in a consonant (받침); decides the particle."""
    last = word[-1]
    if "가" <= last <= "힣":
        return (ord(last) - 0xAC00) % 28 != 0
    return last in "0136789LMNlmn"  # Latin letters and digits read with a final consonant


@functools.lru_cache(maxsize=4096)
def _ko_forms(name: str, word: str) -> dict[str, str]:
    final = _has_final_consonant(word)
    rieul = "가" <= word[-1] <= "힣" and (ord(word[-1]) - 0xAC00) % 28 == 8
    return {
        name: word,
        f"{name}_n": word + ("은" if final else "는"),  # topic
        f"{name}_i": word + ("이" if final else "가"),  # subject
        f"{name}_r": word + ("을" if final else "를"),  # object
        f"{name}_w": word + ("과" if final else "와"),  # and
        f"{name}_ro": word + ("으로" if final and not rieul else "로"),  # by means of
    }


@functools.lru_cache(maxsize=4096)
def _title_case(text: str) -> str:
    """ "few-shot learning" -> "Few-Shot Learning"; acronyms and mixed case stay as they are."""
    small = {"a", "an", "and", "for", "in", "of", "on", "the", "to", "via", "with", "from"}

    def cap(word: str) -> str:
        return word[:1].upper() + word[1:] if word[:1].islower() else word

    words = text.split(" ")
    return " ".join(
        word if i and word in small else "-".join(cap(part) for part in word.split("-"))
        for i, word in enumerate(words)
    )


@dataclass(frozen=True)
class Topic:
    """What a paper is about: the same concepts are written in every language of the paper."""

    focus: Term
    side: tuple[Term, Term, Term]
    task: Term
    prop: Term
    datasets: tuple[str, str, str]
    name: str
    x: str
    y: str
    adjective: str


_OTHER_FOCUS = zipf(METHODS, 0.8)
_FOCUS = Weighted(
    [term for term, _ in BENCH_TOPICS] + list(METHODS),
    [share for _, share in BENCH_TOPICS]
    + [
        (1 - sum(share for _, share in BENCH_TOPICS)) * weight / _OTHER_FOCUS.total
        for weight in itertools.chain(
            [_OTHER_FOCUS.cumulative[0]],
            map(float.__sub__, _OTHER_FOCUS.cumulative[1:], _OTHER_FOCUS.cumulative),
        )
    ],
)
_SIDE = zipf(METHODS, 1.0)
_TASK = zipf(TASKS, 0.9)
_PROPERTY = zipf(PROPERTIES, 0.8)
_DATASET = zipf(DATASETS, 0.7)


def draw_topics(rng: random.Random, count: int) -> list[Topic]:
    """``count`` topics, each field drawn for all papers at once (a tenth of the time of one by one)."""
    focuses = _FOCUS.draws(rng, count)
    sides = _SIDE.draws(rng, 3 * count)
    datasets = _DATASET.draws(rng, 3 * count)
    tasks, props = _TASK.draws(rng, count), _PROPERTY.draws(rng, count)
    heads, tails = rng.choices(NAME_HEADS, k=count), rng.choices(NAME_TAILS, k=count)
    adjectives = rng.choices(ADJECTIVES, k=count)
    topics = []
    for i, focus in enumerate(focuses):
        side = sides[3 * i : 3 * i + 3]
        while focus in side or len(set(side)) < 3:  # three distinct side concepts besides the topic
            side = [_SIDE.draw(rng) for _ in range(3)]
        suffix = str(rng.randint(2, 9)) if rng.random() < 0.1 else ""
        topics.append(
            Topic(
                focus=focus,
                side=(side[0], side[1], side[2]),
                task=tasks[i],
                prop=props[i],
                datasets=(datasets[3 * i], datasets[3 * i + 1], datasets[3 * i + 2]),
                name=heads[i] + tails[i] + suffix,
                x=f"{0.8 + 17.2 * rng.random():.1f}",
                y=f"{1.3 + 7.7 * rng.random():.1f}",
                adjective=adjectives[i],
            )
        )
    return topics


def _slots(topic: Topic, language: str) -> dict[str, str]:
    words = {
        "F": topic.focus.get(language),
        "S1": topic.side[0].get(language),
        "S2": topic.side[1].get(language),
        "S3": topic.side[2].get(language),
        "T": topic.task.get(language),
        "P": topic.prop.get(language),
        "D1": topic.datasets[0],
        "D2": topic.datasets[1],
        "D3": topic.datasets[2],
        "N": topic.name,
    }
    slots = {"X": topic.x, "Y": topic.y, "A": topic.adjective}
    if language == "ko":
        for key, word in words.items():
            slots.update(_ko_forms(key, word))
    else:
        slots.update(words)
    if language == "en":
        slots["Fc"] = words["F"][:1].upper() + words["F"][1:]
        slots["Tc"] = words["T"][:1].upper() + words["T"][1:]
        for key in ("F", "S1", "T", "P"):
            slots[f"{key}t"] = _title_case(words[key])
    return slots


def write_text(rng: random.Random, topic: Topic, language: str, kind: str) -> str:
    """A summary of ``kind`` in ``language``: a translated title, or sentences from the kind's sections."""
    slots = _slots(topic, language)
    if kind == "title":
        return rng.choice(TITLE_TEMPLATES[language]).format_map(slots)
    templates = TEMPLATES[language]
    sections = SECTIONS_BY_KIND[kind]
    if kind == "abstract" and rng.random() < 0.5:  # abstracts vary in length
        sections = (*sections[:4], "details", *sections[4:])
    chosen: list[str] = []
    for section in sections:
        template = rng.choice(templates[section])
        while template in chosen:  # a section used twice gives two different sentences
            template = rng.choice(templates[section])
        chosen.append(template)
    return (" " if language in ("en", "ko") else "").join(t.format_map(slots) for t in chosen)


def write_title(rng: random.Random, topic: Topic) -> str:
    return write_text(rng, topic, "en", "title")


def author_names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct names as arXiv prints them ("Wei Zhang", "Anna M. Schmidt", "J. K. Park")."""
    firsts, lasts = rng.choices(FIRST_NAMES, k=count), rng.choices(LAST_NAMES, k=count)
    initials, rolls = rng.choices(INITIALS, k=count), [rng.random() for _ in range(count)]
    names: list[str] = []
    seen: set[str] = set()
    for first, last, initial, roll in zip(firsts, lasts, initials, rolls, strict=True):
        if roll < 0.55:
            name = f"{first} {last}"
        elif roll < 0.92:
            name = f"{first} {initial}. {last}"
        else:
            name = f"{first[0]}. {initial}. {last}"
        while name in seen:  # common names repeat: tell people apart the way they do, by initials
            name = f"{first} {rng.choice(INITIALS)}. {rng.choice(INITIALS)}. {last}"
        seen.add(name)
        names.append(name)
    return names
