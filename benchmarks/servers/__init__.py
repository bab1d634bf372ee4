"""Servers under test for ``benchmarks/bench_server.py``, one small module each.

Every module is started in its own process as ``python -m benchmarks.servers.NAME PORT``
(from the repository root), binds 127.0.0.1:PORT and serves the pages of
:mod:`benchmarks.servers.pages` until it is terminated.
"""
