"""Shared pieces of the benchmark sites: settings, the protected page, codes, browsers.

Nothing here imports a contender's package: each bench site (``bench/sites/*``)
adds its own apps and URLs on top of these.
"""
