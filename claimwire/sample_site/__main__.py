"""`python -m claimwire.sample_site`: serve the sample site until interrupted."""

from __future__ import annotations

import argparse
import contextlib
import threading

from claimwire.sample_site.server import serve_sample_site


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve claimwire's sample news site.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--base-url", help="URL other hosts reach the site at (links use it)")
    args = parser.parse_args()
    with serve_sample_site(args.host, args.port, base_url=args.base_url) as site:
        print(f"serving {site.base_url}  feeds: {site.rss_url} {site.atom_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
