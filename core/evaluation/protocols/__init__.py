"""How routers are fitted for an evaluation, per protocol.

* :mod:`.pairwise`: out-of-domain training and in-domain k-fold cross-fitting (two models).
* :mod:`.nway`: the N-way routers: quality predictors trained on a benchmark's train split,
  or saved N-way routers.
* :mod:`.loso`: leave-one-source-out folds: each recipe trained without the held-out source.
"""
