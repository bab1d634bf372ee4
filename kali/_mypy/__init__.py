"""Internals of the mypy plugin (`kali.mypy`); nothing here is public.

- `scope`: one walk of the module being checked, which says what can be
  known of an app's converters at a route, and where a handler is used;
- `routes`: a route's path parsed by the runtime's parser, with the mypy
  view of each converter (its output type, what its ``to_url`` takes);
- `handlers`: the handler-signature rules of `kali.routing.signature`,
  applied to mypy types;
- `urls`: ``app.url_for(handler, **params)`` checked against the routes.
"""
