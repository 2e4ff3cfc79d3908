"""HTML pages of the sample site, with the furniture of a real news site around each article.

Everything outside `<div class="entry-content">` is furniture an extractor should
drop: navigation, breadcrumbs, share bar, author box, related and recent posts,
comments, newsletter box, footer. URLs are absolute under the base URL the
server actually listens on, so canonical links and feeds point back at it.
"""

from __future__ import annotations

import json
from datetime import datetime
from html import escape

from claimwire.sample_site.catalog import (
    ArticleParts,
    SampleArticle,
    article_parts,
    outlet_prefix,
    slugify,
)

NAV_SECTIONS = ("World", "Politics", "Europe", "Asia", "Defence", "Opinion", "Video")
FOOTER_LINKS = ("About us", "Contact", "Advertise", "Privacy policy", "Terms of use", "Corrections")
SHARE_TARGETS = ("Facebook", "X", "LinkedIn", "WhatsApp", "Email")


def _e(text: str) -> str:
    return escape(text, quote=True)


def _display_time(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y, %H:%M}"


def summary(article: SampleArticle, length: int = 240) -> str:
    """The first body paragraph, cut at a word boundary: feed summaries and descriptions."""
    first = article_parts(article.id).body_lines[0]
    if len(first) <= length:
        return first
    return first[:length].rsplit(" ", 1)[0] + "…"


def _meta_properties(properties: dict[str, str]) -> str:
    """Open Graph style `<meta property=... content=...>` tags, one a line, in order."""
    return "\n".join(
        f'<meta property="{name}" content="{_e(value)}">' for name, value in properties.items()
    )


def _head(article: SampleArticle, base_url: str) -> str:
    description = summary(article)
    json_ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "description": description,
        "datePublished": article.published.isoformat(),
        "dateModified": article.published.isoformat(),
        "inLanguage": "en",
        "articleSection": article.section,
        "url": article.url,
        "mainEntityOfPage": {"@type": "WebPage", "@id": article.url},
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": article.site_name},
    }
    # `</` must not appear raw inside a script element.
    ld = json.dumps(json_ld, ensure_ascii=False, indent=1).replace("</", "<\\/")
    published = article.published.isoformat()
    properties = _meta_properties({
        "og:type": "article",
        "og:title": article.title,
        "og:description": description,
        "og:site_name": article.site_name,
        "og:url": article.url,
        "og:locale": "en_GB",
        "article:published_time": published,
        "article:modified_time": published,
        "article:section": article.section,
    })
    return f"""<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(article.title)} | {_e(article.site_name)}</title>
<link rel="canonical" href="{_e(article.url)}">
<meta name="description" content="{_e(description)}">
<meta name="author" content="{_e(article.author)}">
{properties}
<link rel="alternate" type="application/rss+xml" title="RSS" href="{_e(base_url)}/feeds/rss.xml">
<link rel="alternate" type="application/atom+xml" title="Atom" href="{_e(base_url)}/feeds/atom.xml">
<link rel="stylesheet" href="/static/site.css">
<script type="application/ld+json">
{ld}
</script>
</head>"""


def _site_header(article: SampleArticle) -> str:
    home = f"/{outlet_prefix(article.outlet)}/"
    items = "\n".join(
        f'<li><a href="{home}#{slugify(name)}">{_e(name)}</a></li>' for name in NAV_SECTIONS
    )
    return f"""<a class="skip-link" href="#main">Skip to content</a>
<header class="site-header">
<div class="topbar"><span>Independent news since 2009</span>
<a href="{home}#subscribe">Subscribe</a> <a href="{home}#login">Log in</a></div>
<a class="logo" href="{home}">{_e(article.site_name)}</a>
<nav class="main-nav" aria-label="Main menu">
<ul>
<li><a href="{home}">Home</a></li>
{items}
</ul>
</nav>
<form class="search" role="search" action="{home}"><label>Search <input type="search" name="q">
</label><button type="submit">Go</button></form>
</header>"""


def _breadcrumbs(article: SampleArticle) -> str:
    home = f"/{outlet_prefix(article.outlet)}/"
    return f"""<nav class="breadcrumbs" aria-label="Breadcrumb">
<ol>
<li><a href="{home}">Home</a></li>
<li><a href="{home}#{slugify(article.section)}">{_e(article.section)}</a></li>
<li aria-current="page">{_e(article.title)}</li>
</ol>
</nav>"""


def _share_bar(article: SampleArticle) -> str:
    links = "\n".join(
        f'<li><a class="share-{slugify(name)}" href="#share-{slugify(name)}">{_e(name)}</a></li>'
        for name in SHARE_TARGETS
    )
    return f"""<div class="share-bar" aria-label="Share this article">
<span>Share this article</span>
<ul>
{links}
<li><button type="button" data-url="{_e(article.url)}">Copy link</button></li>
</ul>
</div>"""


def _body(parts: ArticleParts) -> str:
    chunks = []
    for kind, lines in parts.parts:
        if kind == "body":
            chunks.extend(f"<p>{_e(line)}</p>" for line in lines)
        elif kind == "h2":
            chunks.extend(f"<h2>{_e(line)}</h2>" for line in lines)
        elif kind == "quote":
            inner = "\n".join(f"<p>{_e(line)}</p>" for line in lines)
            chunks.append(f"<blockquote>\n{inner}\n</blockquote>")
    return "\n".join(chunks)


def _entry_header(article: SampleArticle, parts: ArticleParts) -> str:
    home = f"/{outlet_prefix(article.outlet)}/"
    kicker = "".join(
        f'<a class="kicker" href="{home}#{slugify(line)}">{_e(line)}</a>\n'
        for line in parts.lines("kicker")
    )
    dek = "".join(f'<p class="dek">{_e(line)}</p>\n' for line in parts.lines("dek"))
    published = article.published.isoformat()
    author_link = f'<a rel="author" href="{home}author/{slugify(article.author)}/">'
    return f"""<header class="entry-header">
{kicker}<h1 class="entry-title">{_e(article.title)}</h1>
{dek}<div class="byline">By {author_link}{_e(article.author)}</a>
<span class="sep">·</span> <time class="published" datetime="{published}">\
{_display_time(article.published)}</time></div>
</header>"""


def _sources(parts: ArticleParts) -> str:
    lines = parts.lines("sources")
    if not lines:
        return ""
    heading, *items = lines
    entries = "\n".join(f"<li>{_e(item.lstrip('- '))}</li>" for item in items)
    return f"""<section class="article-sources">
<h2>{_e(heading)}</h2>
<ul>
{entries}
</ul>
</section>"""


def _author_box(article: SampleArticle, parts: ArticleParts) -> str:
    name = (parts.lines("author-name", "byline") or [f"About {article.author}"])[0]
    bio = parts.lines("author-bio") or [
        f"{article.author} writes about international security for {article.site_name}."
    ]
    paragraphs = "\n".join(f"<p>{_e(line)}</p>" for line in bio)
    return f"""<section class="author-box">
<h2 class="author-name">{_e(name)}</h2>
{paragraphs}
</section>"""


def _related(article: SampleArticle, others: list[SampleArticle]) -> str:
    items = "\n".join(
        f'<li><a href="{_e(other.url)}">{_e(other.title)}</a></li>' for other in others
    )
    return f"""<aside class="related-posts">
<h2>Related posts</h2>
<ul>
{items}
</ul>
</aside>"""


def _comments(parts: ArticleParts) -> str:
    items = "\n".join(
        f"""<li class="comment" id="comment-{number}">
<article class="comment-body">
<footer class="comment-meta"><b class="fn">{_e(c.name)}</b>
<time datetime="{c.posted.isoformat()}">{_display_time(c.posted)}</time></footer>
<div class="comment-content"><p>{_e(c.text)}</p></div>
<a class="comment-reply-link" href="#respond">Reply</a>
</article>
</li>"""
        for number, c in enumerate(parts.comments, start=1)
    )
    closed = parts.lines("comments-closed")
    if closed:
        tail = f'<p class="no-comments">{_e(closed[0])}</p>'
    else:
        tail = """<div id="respond" class="comment-respond">
<h3>Leave a reply</h3>
<form class="comment-form"><label>Comment <textarea name="comment"></textarea></label>
<label>Name <input name="author"></label><button type="submit">Post comment</button></form>
</div>"""
    return f"""<section id="comments" class="comments-area">
<h2 class="comments-title">{len(parts.comments)} comments</h2>
<ol class="comment-list">
{items}
</ol>
{tail}
</section>"""


def _sidebar(article: SampleArticle, parts: ArticleParts, others: list[SampleArticle]) -> str:
    home = f"/{outlet_prefix(article.outlet)}/"
    recent = parts.lines("recent-posts")
    if recent:
        heading, *rest = recent
        # The leftover list comes as (title, teaser, age) triples.
        triples = [rest[i : i + 3] for i in range(0, len(rest) - 2, 3)]
        posts = "\n".join(
            f"""<li><a href="{home}">{_e(title)}</a>
<p class="teaser">{_e(teaser)}</p><span class="age">{_e(age)}</span></li>"""
            for title, teaser, age in triples
        )
    else:
        heading = "Most read"
        posts = "\n".join(f'<li><a href="{_e(o.url)}">{_e(o.title)}</a></li>' for o in others)
    return f"""<aside class="sidebar">
<section class="newsletter-box" id="subscribe">
<h2>Newsletter</h2>
<p>The day's main stories from {_e(article.site_name)}, every morning in your inbox.</p>
<form class="newsletter-form"><label>Email <input type="email" name="email"></label>
<button type="submit">Sign up</button></form>
<p class="small">You can unsubscribe at any time. See our privacy policy.</p>
</section>
<section class="widget recent-posts">
<h2 class="widget-title">{_e(heading)}</h2>
<ul>
{posts}
</ul>
</section>
</aside>"""


def _site_footer(article: SampleArticle, base_url: str) -> str:
    home = f"/{outlet_prefix(article.outlet)}/"
    links = "\n".join(
        f'<li><a href="{home}#{slugify(name)}">{_e(name)}</a></li>' for name in FOOTER_LINKS
    )
    return f"""<footer class="site-footer">
<ul class="footer-links">
{links}
<li><a href="{_e(base_url)}/feeds/rss.xml">RSS</a></li>
<li><a href="{_e(base_url)}/feeds/atom.xml">Atom</a></li>
</ul>
<p class="copyright">© 2024 {_e(article.site_name)} ({_e(article.outlet)}). All rights reserved.</p>
</footer>"""


def render_article(article: SampleArticle, others: list[SampleArticle], base_url: str) -> str:
    """The full HTML page of one article; `others` feed the related-posts lists."""
    parts = article_parts(article.id)
    return f"""<!DOCTYPE html>
<html lang="en">
{_head(article, base_url)}
<body class="single single-post">
{_site_header(article)}
<div class="page-layout">
<main id="main" class="site-main">
{_breadcrumbs(article)}
<article class="post">
{_entry_header(article, parts)}
{_share_bar(article)}
<div class="entry-content">
{_body(parts)}
</div>
<footer class="entry-footer"><span class="tags">Tags: <a href="#nato">NATO</a>,
<a href="#north-korea">North Korea</a>, <a href="#ukraine">Ukraine</a></span></footer>
</article>
{_sources(parts)}
{_author_box(article, parts)}
{_related(article, others)}
{_comments(parts)}
</main>
{_sidebar(article, parts, others)}
</div>
{_site_footer(article, base_url)}
</body>
</html>
"""


def render_index(articles: list[SampleArticle], title: str, base_url: str) -> str:
    """A plain front page listing articles: for people poking at the demo in a browser."""
    items = "\n".join(
        f'<li><a href="{_e(a.url)}">{_e(a.title)}</a> <span>{_e(a.site_name)}, '
        f'<time datetime="{a.published.isoformat()}">{_display_time(a.published)}</time>'
        "</span></li>"
        for a in articles
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{_e(title)}</title>
<link rel="alternate" type="application/rss+xml" title="RSS" href="{_e(base_url)}/feeds/rss.xml">
<link rel="alternate" type="application/atom+xml" title="Atom" href="{_e(base_url)}/feeds/atom.xml">
<link rel="stylesheet" href="/static/site.css">
</head>
<body>
<h1>{_e(title)}</h1>
<ul>
{items}
</ul>
<p>Feeds: <a href="{_e(base_url)}/feeds/rss.xml">RSS</a>,
<a href="{_e(base_url)}/feeds/atom.xml">Atom</a></p>
</body>
</html>
"""
