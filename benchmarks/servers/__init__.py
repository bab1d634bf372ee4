"""Servers under test for ``benchmarks/bench_server.py`` and ``bench_overhead.py``, one module each.

Every module is started in its own process as ``python -m benchmarks.servers.NAME PORT``
(from the repository root), binds 127.0.0.1:PORT and serves the pages of
:mod:`benchmarks.servers.pages` until it is terminated; ``kali_hello_server`` serves
the hello app of :mod:`benchmarks.hello_app` instead.
"""
