"""Article-extraction quality: the shingle metric of the article-extraction benchmark.

Definition (the one `shingle_scores` implements):

1. Tokens: the text is lower-cased and split into runs of Unicode word
   characters (`re.findall(r"\\w+", text.lower())`); every other character -
   whitespace and punctuation alike - is a separator and is dropped. So
   "U.S.-led" gives ["u", "s", "led"] on both sides, whatever the quotes,
   dashes or line breaks of either text.
2. Shingles: the multiset of all runs of n consecutive tokens (n = 4). A text
   with fewer than n tokens but at least one gives a single shingle of all its
   tokens, so a very short text still counts; no tokens gives no shingles.
   Multisets rather than sets, so an extractor that repeats a paragraph pays
   for the copy in precision.
3. Per page: overlap = size of the multiset intersection;
   precision = overlap / |predicted|, recall = overlap / |expected|,
   F1 = 2PR / (P + R) (0 when P + R = 0). Edge cases: both empty -> (1, 1, 1)
   (nothing to find and nothing found); exactly one side empty -> (0, 0, 0).
4. Benchmark: precision, recall and F1 are each averaged over pages
   (macro average), so every page weighs the same whatever its length.

Run `python -m claimwire.transform.extract_quality <dev_dir>` to compare our
`extract_article` against bare `trafilatura.extract` defaults.
"""

from __future__ import annotations

import gzip
import json
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_TOKEN = re.compile(r"\w+")


@dataclass(frozen=True)
class BenchmarkPage:
    id: str
    html: bytes
    expected: str
    url: str | None


def load_benchmark(dev_dir: Path) -> list[BenchmarkPage]:
    """Read `ground-truth.json` and `html/<id>.html.gz` pairs, sorted by id."""
    dev_dir = Path(dev_dir)
    truth = json.loads((dev_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        record = truth[page_id]
        html = gzip.decompress((dev_dir / "html" / f"{page_id}.html.gz").read_bytes())
        pages.append(
            BenchmarkPage(
                id=page_id,
                html=html,
                expected=record.get("articleBody") or "",
                url=record.get("url"),
            )
        )
    return pages


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def shingles(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    if len(tokens) < n:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def shingle_scores(predicted: str, expected: str, n: int = 4) -> tuple[float, float, float]:
    """Precision, recall and F1 of predicted against expected n-gram shingles."""
    pred = shingles(predicted or "", n)
    exp = shingles(expected or "", n)
    if not pred and not exp:
        return 1.0, 1.0, 1.0
    if not pred or not exp:
        return 0.0, 0.0, 0.0
    overlap = sum((pred & exp).values())
    precision = overlap / sum(pred.values())
    recall = overlap / sum(exp.values())
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(
    pages: Sequence[BenchmarkPage], extractor: Callable[[bytes, str | None], str]
) -> dict[str, float]:
    """Macro-averaged precision/recall/F1 of `extractor` over `pages`, plus its speed.

    Only the extractor calls are timed, so scoring cost does not flatter or
    penalise a fast extractor. An extractor that raises scores zero on that page
    (it is a failure, but one page must not abort a benchmark run).
    """
    totals = [0.0, 0.0, 0.0]
    elapsed = 0.0
    for page in pages:
        start = time.perf_counter()
        try:
            predicted = extractor(page.html, page.url) or ""
        except Exception:  # a crash is a zero score, not an abort
            predicted = ""
        elapsed += time.perf_counter() - start
        for i, value in enumerate(shingle_scores(predicted, page.expected)):
            totals[i] += value
    count = len(pages)
    if not count:
        return {"pages": 0, "precision": 0.0, "recall": 0.0, "f1": 0.0, "pages_per_second": 0.0}
    return {
        "pages": count,
        "precision": totals[0] / count,
        "recall": totals[1] / count,
        "f1": totals[2] / count,
        "pages_per_second": count / elapsed if elapsed else float("inf"),
    }


# --- the fundus dev pages: metadata as well as body --------------------------


@dataclass(frozen=True)
class FundusPage:
    id: str
    html: bytes
    url: str | None
    body: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    date: str | None = None
    language: str | None = None


def load_fundus(directory: Path) -> list[FundusPage]:
    """Pages of a fundus test-data folder (`manifest.json`, see its README)."""
    directory = Path(directory)
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    pages = []
    for entry in manifest:
        expected = json.loads(gzip.decompress((directory / entry["expected"]).read_bytes()))
        values = expected[entry["version"]]
        pages.append(
            FundusPage(
                id=entry["id"],
                html=gzip.decompress((directory / entry["html"]).read_bytes()),
                url=entry.get("url"),
                body=fundus_body(values.get("body") or {}),
                title=values.get("title"),
                authors=tuple(values.get("authors") or ()),
                date=values.get("publishing_date"),
                language=entry.get("lang"),
            )
        )
    return pages


def fundus_body(body: dict[str, Any]) -> str:
    """Fundus's structured body as text: summary, then each section's headline and paragraphs."""
    lines = list(body.get("summary") or [])
    for section in body.get("sections") or []:
        lines.extend(section.get("headline") or [])
        lines.extend(section.get("paragraphs") or [])
    return "\n".join(lines)


# Metadata measures; `bench/quality.py` documents them with its figures.


def title_match(ours: str | None, expected: str | None) -> bool:
    """Equal after `headline.normalize_title` (NFKC, quotes, dashes, zero-width, spaces)."""
    from claimwire.transform.headline import normalize_title

    return normalize_title(ours) == normalize_title(expected)


def _name_key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).split()).casefold()


def authors_match(ours: Sequence[str], expected: Sequence[str]) -> bool:
    """The same set of names, each NFKC-normalised, whitespace-collapsed and case-folded."""
    return {_name_key(n) for n in ours} == {_name_key(n) for n in expected}


def people(expected: Sequence[str], sites: Sequence[str]) -> list[str]:
    """Expected authors without the publisher's own name (`headline.names_site`)."""
    from claimwire.transform.headline import names_site

    return [name for name in expected if not names_site(name, sites)]


def date_match(ours: datetime | None, ours_is_day: bool, expected: str | None) -> bool:
    """Same instant within 60 s; same calendar day when either side has only a day.

    An expected value without an offset is local time of an unknown zone, so a
    difference of a whole number of hours up to 14 (plus the 60 s) also counts.
    """
    if ours is None or not expected:
        return False
    try:
        want = datetime.fromisoformat(expected)
    except ValueError:
        return False
    naive = want.tzinfo is None
    if naive:
        want = want.replace(tzinfo=UTC)
    expected_is_day = naive and (want.hour, want.minute, want.second) == (0, 0, 0)
    if ours_is_day or expected_is_day:
        days = {want.date(), want.astimezone(UTC).date()}
        return ours.date() in days or ours.astimezone(UTC).date() in days
    difference = abs((ours - want).total_seconds())
    if difference <= 60:
        return True
    if naive:
        hours = round(difference / 3600)
        return hours <= 14 and abs(difference - hours * 3600) <= 60
    return False


def ours(html: bytes, url: str | None) -> str:
    from claimwire.transform.extract import extract_article

    return extract_article(html, url).text


def trafilatura_defaults(html: bytes, url: str | None) -> str:
    import trafilatura

    return trafilatura.extract(html) or ""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m claimwire.transform.extract_quality <dev_dir>", file=sys.stderr)
        return 2
    pages = load_benchmark(Path(args[0]))
    print(f"{len(pages)} pages; 4-gram shingle metric, macro-averaged")
    print(f"{'extractor':<27}{'precision':>10}{'recall':>10}{'F1':>10}{'pages/s':>10}")
    for name, extractor in (
        ("claimwire extract_article", ours),
        ("trafilatura defaults", trafilatura_defaults),
    ):
        result = evaluate(pages, extractor)
        print(
            f"{name:<27}{result['precision']:>10.4f}{result['recall']:>10.4f}"
            f"{result['f1']:>10.4f}{result['pages_per_second']:>10.1f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
