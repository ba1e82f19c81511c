"""Reports of an evaluation: dataclasses with their plain-text tables, JSON and CSV rows.

* :mod:`.pairwise`: :class:`~.pairwise.BenchmarkReport` (two models, one benchmark, one protocol).
* :mod:`.nway`: :class:`~.nway.NWayReport` (the cost-quality plane of one N-way benchmark).
* :mod:`.loso`: :class:`~.loso.LosoReport` (every recipe on every held-out source).
* :mod:`.markdown`: the Markdown benchmark report (``make bench-report``).
"""
