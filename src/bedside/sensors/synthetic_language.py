"""Synthetic journal entries with episode effects on word use.

On most days the patient writes one short entry (sometimes two, sometimes none) at a random
hour between 08:00 and 23:00 local time. An entry strings two to four sentences, each drawn
from one of three pools written for Bedside (no generative model is involved):

* everyday sentences about plans, weather, work and other people, about half of them with a
  first-person singular pronoun (journals are written in the first person) and a few with an
  absolutist or negative word (healthy writers use them too);
* positive sentences (VADER-positive words such as "lovely", "fun", "laughed");
* symptom sentences, two or more per PHQ-9 symptom, in the first person singular and rich in
  absolutist and negative-emotion words.

With episode severity ``s`` in [0, 1] a sentence is a symptom sentence with probability
``0.05 + 0.35 s`` and a positive one with probability ``0.3 (1 - s / 2)``, otherwise an
everyday one; so an episode raises the rates of first-person singular pronouns and negative-emotion
words (Rude SS, Gortner EM, Pennebaker JW. Cogn Emot 2004;18(8):1121-1133) and of absolutist
words (Al-Mosaiwi M, Johnstone T. Clin Psychol Sci 2018;6(4):529-542) and moves the entries'
content towards the PHQ-9 symptoms. Positive sentences become rarer, but the positive-emotion
rate falls less clearly: symptom sentences hold negated positive words ("I don't enjoy
anything"), which a word count takes as positive (Rude et al. found no reliable difference in
positive-emotion words either). Each patient uses a random
three quarters of each pool (a personal vocabulary), and a random subset of the symptoms
during an episode (two to five of the nine).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from bedside.domain import InputFormatError, PatientId
from bedside.domain.text_entries import TextEntryFrame

__all__ = ["generate_text_entries"]

_EVERYDAY = (
    "The bus was late again this morning.",
    "We had pasta for dinner.",
    "It rained most of the afternoon.",
    "Work was busy, I have the quarterly report due.",
    "I called the landlord about the leaking tap.",
    "The neighbours were painting their fence.",
    "I picked up groceries on the way home.",
    "There is a meeting with the team on Thursday.",
    "The kids had swimming practice after school.",
    "I watched the news and made myself some tea.",
    "I paid the electricity bill.",
    "The train was quiet today.",
    "I sorted the laundry and tidied my kitchen.",
    "My sister phoned about the weekend plans.",
    "The dentist appointment is next week.",
    "I walked my dog around the block.",
    "The whole team was in the office today.",
    "Every shop in town was closed for the holiday.",
    "The traffic on the ring road was terrible.",
    "I always forget how early it gets dark in winter.",
)
_POSITIVE = (
    "Had a lovely walk by the river.",
    "Lunch with an old friend was fun and we laughed a lot.",
    "Really proud of how the presentation went.",
    "The garden looks beautiful with the spring flowers.",
    "Enjoyed a good film with the family tonight.",
    "Feeling hopeful about the new project.",
    "A great swim this morning, felt strong.",
    "Played board games with friends, such a nice evening.",
    "Slept well and woke up refreshed.",
    "Got a kind message from a colleague that made me smile.",
)
# Grouped by PHQ-9 symptom, in questionnaire order.
_SYMPTOM: tuple[tuple[str, ...], ...] = (
    (
        "I don't enjoy anything anymore, not even my music.",
        "Nothing is fun for me now, I can't be bothered with any of it.",
    ),
    (
        "I feel completely hopeless and sad all the time.",
        "I cried again tonight and nothing ever gets better for me.",
    ),
    (
        "I was awake the whole night again, I never sleep properly.",
        "I can't fall asleep and I lie in bed for hours every night.",
    ),
    (
        "I am always exhausted and I have no energy at all.",
        "I'm so tired that everything is a struggle for me.",
    ),
    (
        "I have no appetite and I skipped every meal today.",
        "I keep eating junk all day and I hate myself for it.",
    ),
    (
        "I am a total failure and I let everyone down.",
        "I'm worthless and I ruin everything I touch.",
    ),
    (
        "I can't focus on anything, my mind is a complete blank.",
        "I read the same page over and over and I always lose track.",
    ),
    (
        "I feel so slow, like I am moving through mud all day.",
        "I'm restless and I can't sit still for a minute.",
    ),
    (
        "I sometimes think everyone would be better off without me.",
        "I keep thinking I want it all to end.",
    ),
)


def _subset(rng: np.random.Generator, pool: Sequence[str], share: float) -> list[str]:
    k = max(1, round(share * len(pool)))
    return [pool[i] for i in sorted(rng.choice(len(pool), size=k, replace=False))]


def generate_text_entries(
    rng: np.random.Generator,
    dates: Sequence[dt.date],
    zone: str,
    severity: npt.ArrayLike,
    *,
    patient_id: str = "synthetic",
    entry_day_prob: float = 0.6,
    second_entry_prob: float = 0.15,
) -> TextEntryFrame:
    """Draw a patient's journal entries for consecutive local dates.

    Parameters
    ----------
    rng : numpy.random.Generator
        Seeded generator (all randomness comes from it).
    dates : sequence of datetime.date
        Local dates, in order.
    zone : str
        IANA time zone of the patient.
    severity : array_like of float, shape (len(dates),)
        Daily episode severity in [0, 1].
    patient_id : str
    entry_day_prob : float
        Probability that the patient writes on a day, in [0, 1].
    second_entry_prob : float
        Probability of a second entry on a day with one, in [0, 1].

    Returns
    -------
    TextEntryFrame
        Entries in time order.

    Raises
    ------
    InputFormatError
        Severity of the wrong length or outside [0, 1], or probabilities outside [0, 1].
    """
    sev = np.asarray(severity, dtype=np.float64).reshape(-1)
    if sev.size != len(dates) or (sev.size and (sev.min() < 0.0 or sev.max() > 1.0)):
        raise InputFormatError(
            "synthetic language", "severity needs one value in [0, 1] per date", field="severity"
        )
    for name, p in (("entry_day_prob", entry_day_prob), ("second_entry_prob", second_entry_prob)):
        if not 0.0 <= p <= 1.0:
            raise InputFormatError("synthetic language", f"{name} must be in [0, 1]", field=name)
    tz = ZoneInfo(zone)
    everyday = _subset(rng, _EVERYDAY, 0.75)
    positive = _subset(rng, _POSITIVE, 0.75)
    symptoms = sorted(rng.choice(len(_SYMPTOM), size=int(rng.integers(2, 6)), replace=False))
    symptom_pool = [s for k in symptoms for s in _SYMPTOM[k]]
    times: list[int] = []
    texts: list[str] = []
    for day, s in zip(dates, sev, strict=True):
        if rng.random() >= entry_day_prob:
            continue
        n_entries = 2 if rng.random() < second_entry_prob else 1
        for hour in np.sort(rng.uniform(8.0, 23.0, n_entries)):
            start = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(hours=hour)
            p_symptom = 0.05 + 0.35 * s
            p_positive = 0.3 * (1.0 - 0.5 * s)
            sentences = []
            for u in rng.random(int(rng.integers(2, 5))):
                pool = (
                    symptom_pool
                    if u < p_symptom
                    else positive
                    if u < p_symptom + p_positive
                    else everyday
                )
                sentences.append(pool[int(rng.integers(len(pool)))])
            times.append(int(start.timestamp()))
            texts.append(" ".join(sentences))
    order = np.argsort(np.asarray(times, dtype=np.int64), kind="stable")
    return TextEntryFrame(
        PatientId(patient_id),
        zone,
        np.asarray(times, dtype=np.int64)[order],
        tuple(texts[i] for i in order),
        "synthetic language",
    )
