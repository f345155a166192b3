"""Sensor-triggered PHQ-9 check-ins: the device asks for a questionnaire when its evidence moves.

Digital-phenotyping apps pair passive sensing with triggered self-reports (context- or
event-triggered ecological momentary assessment): instead of waiting for the next scheduled
questionnaire, the device prompts the patient for a PHQ-9 when the day's finding suggests a
change. The answer travels as an ordinary device self-report (``Phq9Response``, source
``device``) and is judged by the clinic's protocols like any other PHQ-9; nothing here decides
anything clinical. A prompt is never shown to a clinician, so its threshold trades sensitivity
against patient burden only, and the burden is bounded by the rate limit.

Timing: a finding describes a local day up to its end, so the prompt is shown the next local
day. An unanswered prompt is repeated on the following days while the trigger still holds, at
most ``max_reminders`` times; after that, or after an answer, the device waits
``min_interval_days`` before prompting again. Scheduled questionnaires do not count against
the limit: the device prompts on its own evidence, whatever the clinic's schedule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from bedside.domain import Finding

__all__ = ["Phq9Prompt", "Phq9PromptPolicy", "Phq9Prompter", "plan_phq9_prompts"]


class Phq9PromptPolicy(BaseModel):
    """When the device prompts its patient for a PHQ-9.

    Attributes
    ----------
    risk_threshold : float or None
        Calibrated episode risk (probability, 0-1) at or above which a day's finding triggers a
        prompt; None: risk never triggers.
    on_adverse_trend : bool
        Whether a verified adverse trend on the day triggers a prompt.
    min_interval_days : int
        Days (>= 1) after an answered prompt, or after giving up on an unanswered one, before
        the device prompts again.
    max_reminders : int
        How many times (>= 0) an unanswered prompt is repeated on the following days while the
        trigger still holds.
    basis : str
        Why these values (shown wherever the setting is reported).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    risk_threshold: float | None = Field(0.30, ge=0.0, le=1.0)
    on_adverse_trend: bool = True
    min_interval_days: int = Field(7, ge=1, le=365)
    max_reminders: int = Field(2, ge=0, le=30)
    basis: str = Field(min_length=1)

    def trigger(self, finding: Finding) -> str | None:
        """Why `finding` calls for a prompt (a short reason), or None when it does not."""
        risk = finding.risk
        if (
            self.risk_threshold is not None
            and risk is not None
            and risk.probability >= self.risk_threshold
        ):
            return f"risk {risk.probability:.3f} >= {self.risk_threshold:g}"
        if self.on_adverse_trend:
            adverse = sorted(t.biomarker for t in finding.trends if t.adverse)
            if adverse:
                return "verified adverse trend: " + ", ".join(adverse)
        return None

    def describe(self, risk_note: str = "") -> str:
        """One line naming every parameter (for reports); `risk_note` follows the threshold."""
        risk = "off" if self.risk_threshold is None else f">= {self.risk_threshold:g}"
        return (
            f"risk {risk}{risk_note}, adverse trend {'on' if self.on_adverse_trend else 'off'}, "
            f"at most one answered prompt per {self.min_interval_days} d, "
            f"{self.max_reminders} reminder(s)"
        )


@dataclass(frozen=True)
class Phq9Prompt:
    """One PHQ-9 prompt the device showed.

    Attributes
    ----------
    date : date
        Local day the prompt is shown (the day after `finding_date`).
    finding_date : date
        Local day of the finding that triggered it.
    reason : str
        The trigger (see `Phq9PromptPolicy.trigger`).
    reminder : int
        0 for a first prompt, k for its k-th repetition.
    answered : bool
        Whether the patient answered it (that day).
    """

    date: dt.date
    finding_date: dt.date
    reason: str
    reminder: int
    answered: bool


class Phq9Prompter:
    """The device's prompt state, fed one finding a day in date order.

    Parameters
    ----------
    policy : Phq9PromptPolicy
    """

    def __init__(self, policy: Phq9PromptPolicy) -> None:
        self.policy = policy
        self._quiet_until: dt.date | None = None
        self._unanswered = 0
        self._last_finding: dt.date | None = None

    def consider(self, finding: Finding) -> tuple[dt.date, str, int] | None:
        """Whether to prompt the day after `finding`: (prompt day, reason, reminder) or None.

        Raises
        ------
        ValueError
            When findings arrive out of date order.
        """
        if self._last_finding is not None and finding.date <= self._last_finding:
            raise ValueError(
                f"findings must arrive in date order: {finding.date} after {self._last_finding}"
            )
        self._last_finding = finding.date
        day = finding.date + dt.timedelta(days=1)
        if self._quiet_until is not None and day < self._quiet_until:
            return None
        reason = self.policy.trigger(finding)
        if reason is None:
            # A pending prompt lapses when its trigger does; the next one starts afresh.
            self._unanswered = 0
            return None
        return day, reason, self._unanswered

    def record(self, day: dt.date, answered: bool) -> None:
        """Record whether the prompt shown on `day` was answered."""
        wait = dt.timedelta(days=self.policy.min_interval_days)
        if answered:
            self._unanswered = 0
            self._quiet_until = day + wait
            return
        self._unanswered += 1
        if self._unanswered > self.policy.max_reminders:
            self._unanswered = 0
            self._quiet_until = day + wait


def plan_phq9_prompts(
    findings: Iterable[Finding],
    policy: Phq9PromptPolicy,
    answers: Callable[[dt.date], bool],
) -> list[Phq9Prompt]:
    """Run the prompter over a patient's findings (in date order).

    Parameters
    ----------
    findings : iterable of Finding
        One patient's daily findings, in date order.
    policy : Phq9PromptPolicy
    answers : callable
        Whether the patient answers a prompt shown on a given local day.

    Returns
    -------
    list of Phq9Prompt
        Every prompt shown, in date order.
    """
    prompter = Phq9Prompter(policy)
    out: list[Phq9Prompt] = []
    for finding in findings:
        decided = prompter.consider(finding)
        if decided is None:
            continue
        day, reason, reminder = decided
        answered = answers(day)
        prompter.record(day, answered)
        out.append(Phq9Prompt(day, finding.date, reason, reminder, answered))
    return out
