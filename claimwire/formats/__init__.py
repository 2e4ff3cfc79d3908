"""What the web's formats mean, in one place: charsets, media types, dates, page metadata.

Every reader of bytes from the web (the HTTP client, the feed parser, the
sitemap and WARC readers, the article extractor) asks these modules, so a
page is decoded and dated the same way whichever way it arrived.
"""
