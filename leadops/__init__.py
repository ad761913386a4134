"""leadops: a discrete-event simulator and policy optimizer for sales lead operations.

The command line lives in :mod:`leadops.cli`; the notebook API in :mod:`leadops.api`.
Importing this package is cheap: nothing heavy is imported until it is used.
"""

__version__ = "0.1.0"
