"""How the console words things: plain names for the run's steps, counts with their nouns.

The steps keep their Step Functions state names (`AcquireLock`, `Land`, ...) in the code, the
`--json` output and the notification payloads, where they are the contract with the AWS
stack; a person reading the console sees what each step does instead.
"""

from __future__ import annotations

# State name -> what the step does, as the rest of a sentence ("could not ...").
STEP_LABELS = {
    "AcquireLock": "take the run lock",
    "Land": "land new files",
    "Transform": "build the models with dbt",
    "Summarize": "summarize",
    "NotifySuccess": "send the success notification",
    "NotifyFailure": "send the failure notification",
    "ReleaseLock": "release the run lock",
}


def step_label(step: str) -> str:
    """What `step` does, in lower case (a name that is not a state comes back as it is)."""
    return STEP_LABELS.get(step, step)


def step_title(step: str) -> str:
    """The step's label as a console line starts it: "Take the run lock" (a name that is not
    a state, such as "dbt docs generate", comes back as it is)."""
    if step not in STEP_LABELS:
        return step
    label = STEP_LABELS[step]
    return label[:1].upper() + label[1:]


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """`1 fact row`, `2 fact rows`, `1,234 dates` (thousands separated)."""
    word = noun if count == 1 else (plural_form or f"{noun}s")
    return f"{count:,} {word}"
