"""The embedded sample news site that `claimwire demo` serves and ingests over HTTP."""

from claimwire.sample_site.catalog import SampleArticle, sample_articles
from claimwire.sample_site.server import SampleSite, serve_sample_site

__all__ = ["SampleArticle", "SampleSite", "sample_articles", "serve_sample_site"]
