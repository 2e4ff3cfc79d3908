"""Extraction quality on both dev sets: claimwire against bare trafilatura, side by side.

    python -m bench.quality                 # both dev sets, 2 timing rounds
    python -m bench.quality --rounds 1 --misses   # also list every metadata miss

Inputs (skipped with a message when absent):
- `ae`: the article-extraction benchmark's dev half (`<shared>/data/article-extraction/dev`):
  article bodies only.
- `fd`: the fundus dev pages (`<shared>/data/fundus-dev`): body, title, authors,
  date and language of 130 pages of 91 publishers.

The contenders: claimwire's `extract_article`, and bare trafilatura:
`trafilatura.extract(html)` with its defaults for the body (the baseline of
the issue), and `trafilatura.bare_extraction(html, with_metadata=True)` for its
title, author ("; "-separated, split into a list), date and language (its
language is the markup's, when it reports one).

Measures (each page weighs the same; a page whose expected value is missing is
left out of that measure, and the count is printed):
- body P/R/F1: macro-averaged 4-gram shingle precision/recall/F1 of
  `claimwire.transform.extract_quality` (the benchmark's metric).
- title: exact match after `headline.normalize_title` on both sides (NFKC,
  entities decoded, zero-width characters removed, curly quotes and dashes made
  plain, whitespace collapsed); case-sensitive.
- authors: set equality of the names, each NFKC-normalised, whitespace
  collapsed and case-folded; a page with no expected author expects an empty
  list. Two figures: against Fundus's list as it is, and against it without the
  publisher's own name ("people": names for which `headline.names_site` is true
  with the site name claimwire extracted (`og:site_name`, else the JSON-LD
  publisher) or the page's host removed), which is
  what claimwire is built to return; both are printed because Fundus credits
  the publisher ("BBC News", "DER SPIEGEL") on about one page in eight.
- date: the extracted instant is within 60 seconds of the expected one. When
  either side has only a day (claimwire precision "day", trafilatura's dates,
  or an expected naive midnight) the calendar days must be equal instead. An
  expected value without a UTC offset is local time of unknown zone, so a
  difference of a whole number of hours up to 14 (plus the 60 s) also counts.
- language: the ISO 639-1 code equals the manifest's `lang` (checked against
  the text by the data set's authors).
- body F1 gain: claimwire's body F1 minus trafilatura's, page by page: the mean,
  its 90% bootstrap interval over pages (2,000 resamples, fixed seed), how many
  pages are better or worse by more than 0.005, and the mean without the three
  largest gains. A dev gain that rests on a few pages is the kind that did not
  carry over to held-out pages in round one (trafilatura's precision mode: +0.016
  on the article-extraction dev half, two pages carrying most of it; -0.002 on
  the held-out half), so the last figure is the one to watch.
- time: extraction calls only, per page; each page is timed `--rounds` times,
  alternating which contender goes first, and the fastest run of each is kept
  (the machine is shared). The ratio is claimwire / bare `trafilatura.extract`.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean
from typing import Any

from claimwire.transform.extract import Extracted, extract_article
from claimwire.transform.extract_quality import (
    FundusPage,
    authors_match,
    date_match,
    load_benchmark,
    load_fundus,
    people,
    shingle_scores,
    title_match,
)
from claimwire.transform.headline import site_names

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
AE_DIR = SHARED / "article-extraction" / "dev"
FUNDUS_DIR = SHARED / "fundus-dev"


@dataclass
class Result:
    """What one contender said about one page."""

    text: str
    title: str | None = None
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None
    date_is_day: bool = False
    language: str | None = None
    site_name: str | None = None


# Both dev sets as the same kind of page; the benchmark's pages have a body only.
Page = FundusPage


def load_article_extraction(directory: Path) -> list[Page]:
    return [Page(p.id, p.html, p.url, p.expected) for p in load_benchmark(directory)]


@dataclass(frozen=True)
class Gain:
    """Per-page differences of one measure between two contenders, summarised."""

    mean: float
    low: float  # 90% bootstrap interval of the mean
    high: float
    better: int  # pages where the first contender is ahead by more than GAIN_TIE
    worse: int
    without_top: float  # the mean with the TOP_GAINS largest differences left out


GAIN_TIE = 0.005
TOP_GAINS = 3


def gain_summary(
    ours: Sequence[float], theirs: Sequence[float], resamples: int = 2000, seed: int = 0
) -> Gain:
    """How `ours` beats `theirs` page by page, and how much of it rests on a few pages."""
    differences = [a - b for a, b in zip(ours, theirs, strict=True)]
    if not differences:
        raise ValueError("no pages to compare")
    count = len(differences)
    draw = random.Random(seed)
    means = sorted(sum(draw.choices(differences, k=count)) / count for _ in range(resamples))
    rest = sorted(differences)[: max(count - TOP_GAINS, 0)]
    return Gain(
        mean=sum(differences) / count,
        low=means[int(0.05 * (resamples - 1))],
        high=means[int(0.95 * (resamples - 1))],
        better=sum(d > GAIN_TIE for d in differences),
        worse=sum(d < -GAIN_TIE for d in differences),
        without_top=sum(rest) / len(rest) if rest else 0.0,
    )


# --- contenders -------------------------------------------------------------


def claimwire_result(extracted: Extracted) -> Result:
    return Result(
        text=extracted.text,
        title=extracted.title,
        authors=list(extracted.authors),
        date=extracted.published,
        date_is_day=extracted.published_precision == "day",
        language=extracted.language,
        site_name=extracted.site_name,
    )


def trafilatura_result(html: bytes, url: str | None, text: str) -> Result:
    import trafilatura

    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return Result(text=text)
    date = None
    if doc.date:
        try:
            date = datetime.fromisoformat(doc.date).replace(tzinfo=UTC)
        except ValueError:
            date = None
    authors = [a.strip() for a in (doc.author or "").split(";") if a.strip()]
    return Result(
        text=text,
        title=doc.title,
        authors=authors,
        date=date,
        date_is_day=True,
        language=getattr(doc, "language", None),
    )


# --- measures ---------------------------------------------------------------


def page_sites(page: Page, extracted_site_name: str | None) -> list[str]:
    """The publisher's own names for a page: its declared site name and its host."""
    return site_names({}, extracted_site_name, page.url)


# --- running ----------------------------------------------------------------


def _timed(call: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = call()
    return value, time.perf_counter() - start


def run_set(pages: Sequence[Page], rounds: int) -> tuple[list[Result], list[Result], float, float]:
    """Both contenders on every page; per-page best-of-`rounds` times summed."""
    import trafilatura

    ours: list[Result] = []
    bare: list[Result] = []
    our_time = bare_time = 0.0
    for index, page in enumerate(pages):
        best_ours = best_bare = float("inf")
        extracted: Extracted | None = None
        bare_text = ""
        for round_ in range(max(1, rounds)):
            order = (0, 1) if (index + round_) % 2 == 0 else (1, 0)
            for which in order:
                if which == 0:
                    extracted, seconds = _timed(
                        lambda p=page: extract_article(p.html, p.url)
                    )
                    best_ours = min(best_ours, seconds)
                else:
                    text, seconds = _timed(lambda p=page: trafilatura.extract(p.html) or "")
                    bare_text = text
                    best_bare = min(best_bare, seconds)
        our_time += best_ours
        bare_time += best_bare
        assert extracted is not None
        ours.append(claimwire_result(extracted))
        bare.append(trafilatura_result(page.html, page.url, bare_text))
    return ours, bare, our_time, bare_time


def report(name: str, pages: Sequence[Page], rounds: int, misses: bool) -> dict[str, Any]:
    ours, bare, our_time, bare_time = run_set(pages, rounds)
    rows: dict[str, tuple[float, float, int]] = {}

    def body(results: list[Result]) -> list[tuple[float, float, float]]:
        return [
            shingle_scores(result.text, page.body)
            for page, result in zip(pages, results, strict=True)
        ]

    page_ours, page_bare = body(ours), body(bare)
    # Macro averages of precision, recall and F1: one column each.
    body_ours = [fmean(column) for column in zip(*page_ours, strict=True)]
    body_bare = [fmean(column) for column in zip(*page_bare, strict=True)]
    gain = gain_summary([s[2] for s in page_ours], [s[2] for s in page_bare])
    has_metadata = any(p.title is not None for p in pages)
    miss_lines: list[str] = []
    if has_metadata:
        sites = [page_sites(p, r.site_name) for p, r in zip(pages, ours, strict=True)]
        checks: dict[str, Callable[[Page, Result, list[str]], bool | None]] = {
            "title": lambda p, r, s: None if not p.title else title_match(r.title, p.title),
            "authors (fundus list)": lambda p, r, s: authors_match(r.authors, list(p.authors)),
            "authors (people)": lambda p, r, s: authors_match(
                r.authors, people(list(p.authors), s)
            ),
            "date": lambda p, r, s: (
                None if not p.date else date_match(r.date, r.date_is_day, p.date)
            ),
            "language": lambda p, r, s: None if not p.language else r.language == p.language,
        }
        for label, check in checks.items():
            scores = []
            for contender, results in (("claimwire", ours), ("trafilatura", bare)):
                verdicts = [check(p, r, s) for p, r, s in zip(pages, results, sites, strict=True)]
                counted = [v for v in verdicts if v is not None]
                scores.append(sum(counted) / len(counted) if counted else 0.0)
                if misses and contender == "claimwire":
                    for page, result, verdict in zip(pages, results, verdicts, strict=True):
                        if verdict is False:
                            miss_lines.append(f"  {label:<22} {page.id}: {_shown(label, result)}")
            rows[label] = (scores[0], scores[1], len(counted))

    print(f"\n== {name}: {len(pages)} pages")
    print(f"{'measure':<24}{'claimwire':>11}{'trafilatura':>13}{'pages':>7}")
    for label, value_ours, value_bare in (
        ("body precision", body_ours[0], body_bare[0]),
        ("body recall", body_ours[1], body_bare[1]),
        ("body F1", body_ours[2], body_bare[2]),
    ):
        print(f"{label:<24}{value_ours:>11.4f}{value_bare:>13.4f}{len(pages):>7}")
    print(
        f"  body F1 gain {gain.mean:+.4f} (90% interval {gain.low:+.4f} to {gain.high:+.4f}),"
        f" {gain.better} pages better, {gain.worse} worse;"
        f" without the {TOP_GAINS} largest gains {gain.without_top:+.4f}"
    )
    for label, (value_ours, value_bare, count) in rows.items():
        print(f"{label:<24}{value_ours:>11.4f}{value_bare:>13.4f}{count:>7}")
    per_page_ours = our_time / len(pages) * 1000
    per_page_bare = bare_time / len(pages) * 1000
    print(
        f"{'time per page (ms)':<24}{per_page_ours:>11.1f}{per_page_bare:>13.1f}"
        f"   ratio {our_time / bare_time:.2f}"
    )
    if miss_lines:
        print("claimwire misses:")
        print("\n".join(miss_lines))
    return {
        "body": body_ours,
        "bare_body": body_bare,
        "gain": gain,
        "rows": rows,
        "ratio": our_time / bare_time,
    }


def _shown(label: str, result: Result) -> str:
    if label == "title":
        return repr(result.title)
    if label.startswith("authors"):
        return repr(result.authors)
    if label == "date":
        return f"{result.date} day={result.date_is_day}"
    return repr(result.language)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ae", type=Path, default=AE_DIR, help="article-extraction dev dir")
    parser.add_argument("--fundus", type=Path, default=FUNDUS_DIR, help="fundus dev dir")
    parser.add_argument("--rounds", type=int, default=2, help="timing rounds per page")
    parser.add_argument("--misses", action="store_true", help="list claimwire's metadata misses")
    parser.add_argument("--only", choices=("ae", "fd"), help="one dev set only")
    args = parser.parse_args(argv)
    ran = False
    if args.only in (None, "ae"):
        if (args.ae / "ground-truth.json").is_file():
            report("article-extraction dev", load_article_extraction(args.ae), args.rounds, False)
            ran = True
        else:
            print(f"skipped article-extraction: {args.ae} not found")
    if args.only in (None, "fd"):
        if (args.fundus / "manifest.json").is_file():
            report("fundus dev", load_fundus(args.fundus), args.rounds, args.misses)
            ran = True
        else:
            print(f"skipped fundus: {args.fundus} not found")
    if not ran:
        print("no dev data found: nothing measured")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
