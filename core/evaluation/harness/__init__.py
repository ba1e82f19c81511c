"""Running routers over benchmark items into curves, points and metrics (one report each).

* :mod:`.scores`: score vectors of two-model routers -> a report with RouteLLM's baselines.
* :mod:`.pairwise`: :class:`~.pairwise.Harness`, routers x benchmarks x protocols.
* :mod:`.nway`: the N-way cost-quality plane: single models, oracle, random, cost-weight sweeps.
* :mod:`.loso`: the leave-one-source-out yardstick over every held-out source.
"""
