"""The sample site's RSS 2.0 and Atom feeds, both listing every article.

The two feeds deliberately disagree on some links: the Atom feed of outlets A,
C and E carries campaign-tracking parameters, as many CMS feed plugins do, so
the same article arrives under two URLs and the pipeline's canonical-URL dedup
has real work to do. Feed item ids differ between the feeds for the same reason.
"""

from __future__ import annotations

from email.utils import format_datetime
from xml.sax.saxutils import escape

from claimwire.sample_site.catalog import SampleArticle
from claimwire.sample_site.render import summary

FEED_TITLE = "Claimwire sample news"
FEED_DESCRIPTION = "Five sample articles from five outlets, served by claimwire's demo."
ATOM_TRACKING = "utm_source=atom&utm_medium=feed"
ATOM_TRACKED_OUTLETS = frozenset({"outlet-a.example", "outlet-c.example", "outlet-e.example"})


def _x(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def atom_link(article: SampleArticle) -> str:
    if article.outlet in ATOM_TRACKED_OUTLETS:
        return f"{article.url}?{ATOM_TRACKING}"
    return article.url


def render_rss(articles: list[SampleArticle], base_url: str) -> str:
    newest = max(a.published for a in articles)
    items = "\n".join(
        f"""<item>
<title>{_x(a.title)}</title>
<link>{_x(a.url)}</link>
<guid isPermaLink="false">claimwire-sample:{_x(a.id)}</guid>
<pubDate>{format_datetime(a.published)}</pubDate>
<dc:creator>{_x(a.author)}</dc:creator>
<category>{_x(a.section)}</category>
<source url="{_x(base_url)}/feeds/rss.xml">{_x(a.site_name)}</source>
<description>{_x(summary(a))}</description>
</item>"""
        for a in articles
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" \
xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>{_x(FEED_TITLE)}</title>
<link>{_x(base_url)}/</link>
<description>{_x(FEED_DESCRIPTION)}</description>
<language>en</language>
<lastBuildDate>{format_datetime(newest)}</lastBuildDate>
<atom:link href="{_x(base_url)}/feeds/rss.xml" rel="self" type="application/rss+xml"/>
{items}
</channel>
</rss>
"""


def render_atom(articles: list[SampleArticle], base_url: str) -> str:
    newest = max(a.published for a in articles)
    entries = "\n".join(
        f"""<entry>
<id>urn:claimwire-sample:{_x(a.id)}</id>
<title>{_x(a.title)}</title>
<link rel="alternate" type="text/html" href="{_x(atom_link(a))}"/>
<published>{a.published.isoformat()}</published>
<updated>{a.published.isoformat()}</updated>
<author><name>{_x(a.author)}</name></author>
<category term="{_x(a.section)}"/>
<summary>{_x(summary(a))}</summary>
</entry>"""
        for a in articles
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
<id>{_x(base_url)}/feeds/atom.xml</id>
<title>{_x(FEED_TITLE)}</title>
<subtitle>{_x(FEED_DESCRIPTION)}</subtitle>
<updated>{newest.isoformat()}</updated>
<link rel="self" type="application/atom+xml" href="{_x(base_url)}/feeds/atom.xml"/>
<link rel="alternate" type="text/html" href="{_x(base_url)}/"/>
{entries}
</feed>
"""
