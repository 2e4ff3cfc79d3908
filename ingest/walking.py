"""Fetching the documents of a walk over linked documents (a feed's archive
chain, a sitemap tree): each at most once, within a budget, failures recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

from claimwire.ingest.http import Accept, FetchResult, HttpClient
from claimwire.ingest.urls import canonicalize_url


@dataclass
class DocumentWalk:
    client: HttpClient
    accept: Accept
    max_documents: int
    fetches: list[FetchResult] = field(default_factory=list)  # every fetch, for `fetches`
    errors: list[str] = field(default_factory=list)  # "<url>: <reason>"
    fetched: int = 0

    def budget_left(self, url: str) -> bool:
        """False (with the reason recorded) once `max_documents` were fetched."""
        if self.fetched < self.max_documents:
            return True
        self.errors.append(f"{url}: stopped after {self.max_documents} documents")
        return False

    def fetch(self, url: str, seen: set[str]) -> FetchResult | None:
        """The document at `url`, or None when it failed or redirected to one in
        `seen` (canonical URLs already walked); its final URL joins `seen`."""
        self.fetched += 1
        result = self.client.get(url, accept=self.accept)
        self.fetches.append(result)
        if not result.ok or not result.body:
            self.errors.append(f"{url}: {result.error or 'empty body'}")
            return None
        final = canonicalize_url(result.final_url)
        if final != canonicalize_url(url) and final in seen:
            return None  # a redirect into a document already walked
        seen.add(final)
        return result
