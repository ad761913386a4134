"""The leadops benchmark suite: ``python -m benchmarks [--quick] [--json FILE]``.

It times the model against a bare SimPy M/M/c queue and against Ciw, checks the queueing
scenarios against Erlang-C and Erlang-A, and measures cost per lead and peak memory as the
baseline scenario grows. It is a measurement, not a test, and the library never imports it.
"""
