"""Batch evaluation, split by concept.

- :mod:`.env`: what compiling may know (window, kinds present, helper tables);
- :mod:`.scope`: a rule's records and their labels, once for every measure;
- :mod:`.compile`: a rule into statements, without touching a database;
- :mod:`.tally`: rows into cells (counts, reasons, failing records);
- :mod:`.verdicts`: the one judgement of rates and thresholds, the one ranking;
- :mod:`.driver`: runs the plans on a backend and assembles the results.
"""

from __future__ import annotations

from .driver import Evaluation, evaluate

__all__ = ["Evaluation", "evaluate"]
