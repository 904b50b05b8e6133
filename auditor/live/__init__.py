"""Live monitoring: a pack's rules judged by durable_rules as records arrive.

- :mod:`.adapter`: everything that knows durable_rules (rulesets, posting, its JSON condition dialect);
- :mod:`.conditions`: checked expressions as engine conditions, with SQL's three-valued logic;
- :mod:`.record`, :mod:`.condition`, :mod:`.duration`, :mod:`.sequence`: the live rules
  the measures point to; each starts from the rule's shared scope
  (:class:`auditor.evaluate.scope.Scope`), as the batch engine does;
- :mod:`.watcher`: the stream, the watermark, deadlines and alerts.
"""

from __future__ import annotations

from .watcher import WatchCounts, Watcher, read_lines, refuse_not_json_lines, timed_lines, watch

__all__ = [
    "WatchCounts",
    "Watcher",
    "read_lines",
    "refuse_not_json_lines",
    "timed_lines",
    "watch",
]
