"""The claims explorer: a read-only web app over the warehouse (`claimwire serve`).

Pages (search, speaker, story, article, status) are Starlette routes rendering
Jinja2 templates; charts are Vega-Lite specs rendered to SVG on the server, so
the browser needs no JavaScript and no network. Nothing here writes: every
request opens its own short-lived read-only connection, so nightly loads keep
running beside the server. Import this package only from the commands that
need it: it pulls in the web stack.
"""
