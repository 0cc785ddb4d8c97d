"""`searcher serve`: a web page for people and a JSON HTTP API for tools (the `[web]` extra).

Both answer from the same library calls as the command line, on one open index:

- params.py: a request's query string, read into the library's arguments (bounded);
- library.py: the served index, asked one request at a time off the event loop, one
  commit a request;
- api.py: the JSON endpoints under /api/v1, and their description (/api, OpenAPI);
- pages.py and templates/: the search page and the article page (HTML that works
  without JavaScript);
- chart.py: the timeline's bars, for the page's inline SVG;
- app.py: the routes, the Host and token checks, errors as statuses, the request log;
- serve.py: uvicorn on a bound socket, until Ctrl-C.

Only this package imports Starlette, uvicorn and Jinja2, and nothing of the library
imports it (setup.cfg's import contracts): `searcher --help` and a search never load them.
"""
