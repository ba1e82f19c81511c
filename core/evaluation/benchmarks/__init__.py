"""Loading benchmark items, the first stage of an evaluation.

* :mod:`.pairwise`: GSM8K / MMLU (RouteLLM files), MT-Bench (FastChat layout), user data:
  per-item quality of a strong and a weak model (:class:`~.pairwise.BenchmarkItems`).
* :mod:`.nway`: RouterBench zero-shot and LLMRouter for N-way routing: train outcomes, the
  test matrix of qualities and costs, test prompts also in train removed.
* :mod:`.yardstick`: the leave-one-source-out protocol's held-out sources and their items.
"""
