"""The quarterly strategy report: one offline HTML page, CSV tables for slides, and PNG
images when kaleido is installed.

Reports read the files of a run, compare or optimize directory; they never import the
simulation engine or the optimizer.
"""

from __future__ import annotations

from reports.builder import PAGE_NAME, Report, Written, build_report, write_report

__all__ = ["PAGE_NAME", "Report", "Written", "build_report", "write_report"]
