"""``search serve``: the index as an HTTP service (JSON API, search page), in the ``server`` extra.

    app.py      ServerConfig, create_app: routes, keys, limits, errors, the refresh task
    writes.py   GroupCommitter: write requests batched into durable commits on one thread
    page.py     the search page and its results, rendered on the server
    openapi.py  the API's OpenAPI description and /docs
    static/     the page's script and style sheet (no build step, nothing from a CDN)

Install with ``pip install "searchcore[server]"``; nothing here is imported by the core package.
"""

from .app import ServerConfig, create_app

__all__ = ["ServerConfig", "create_app"]
