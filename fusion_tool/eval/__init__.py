"""``fusion-tool eval``: DRACO-format evaluation of solo models and fusion configurations.

One idea a module: ``draco`` (the format), ``score`` (the arithmetic), ``grade`` (one criterion,
one verdict), ``configs`` (what is compared), ``cache`` (the resumable record), ``runner``
(answers and gradings), ``report`` (tables and the chart), ``progress`` and ``cli``.
"""

from fusion_tool.core.errors import DracoError
from fusion_tool.eval.draco import DEFAULT_EXCLUDED_DOMAINS, Criterion, Task, load
from fusion_tool.eval.score import repeated_score, task_score

__all__ = ["DEFAULT_EXCLUDED_DOMAINS", "Criterion", "DracoError", "Task", "load", "repeated_score", "task_score"]
