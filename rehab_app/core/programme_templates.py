"""Programme templates a team shares ("MS balance, early"): saved from one patient's current
programme, started for another's with one choice (no Flask; nothing here commits).

A template belongs to a team: only its members see it, save to it, start a patient's programme
from it or remove it. Starting from a template prescribes each of its exercises as a new item
(the patient's app syncs them as any other), so a template changed later changes no one's
programme; an exercise the patient already has, current, is not added a second time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from rehab_app.models import (
    DOSE_COLUMNS,
    ProgrammeItem,
    ProgrammeTemplate,
    Team,
    TeamMember,
    TemplateItem,
    User,
)

from .care_links import in_team
from .programmes import prescribe, programme_items

NAME_LENGTH = 80


class TemplateError(ValueError):
    """A template that cannot be saved, with words for the therapist."""


def save(
    session: Session,
    therapist: User,
    team: Team,
    name: str,
    items: Sequence[ProgrammeItem],
) -> ProgrammeTemplate:
    """Save the current items of a programme as a template of one of the therapist's teams."""
    if not in_team(session, team.id, therapist.id):
        raise LookupError(team.id)
    name = " ".join(name.split())
    if not name:
        raise TemplateError("Give the template a name.")
    if len(name) > NAME_LENGTH:
        raise TemplateError(f"A template's name is at most {NAME_LENGTH} characters.")
    current = [i for i in items if i.stopped_at is None]
    if not current:
        raise TemplateError("There is nothing in the programme to save yet.")
    taken = session.scalar(
        select(ProgrammeTemplate.id).where(
            ProgrammeTemplate.team_id == team.id, ProgrammeTemplate.name == name
        )
    )
    if taken is not None:
        raise TemplateError(f"{team.name} already has a template called {name}.")
    template = ProgrammeTemplate(team_id=team.id, name=name, created_by=therapist.id)
    template.items = [
        TemplateItem(
            exercise_id=item.exercise_id,
            custom_name=item.custom_name,
            discipline=item.discipline,
            days_per_week=item.days_per_week,
            note=item.note,
            **{column: getattr(item, column) for column in DOSE_COLUMNS},
        )
        for item in sorted(current, key=lambda i: i.created_at)
    ]
    session.add(template)
    session.flush()
    return template


def for_therapist(session: Session, therapist_id: int) -> Sequence[ProgrammeTemplate]:
    """The templates of every team the therapist is in, by team and name, items loaded."""
    return session.scalars(
        select(ProgrammeTemplate)
        .join(TeamMember, TeamMember.team_id == ProgrammeTemplate.team_id)
        .join(Team, Team.id == ProgrammeTemplate.team_id)
        .where(TeamMember.user_id == therapist_id)
        .order_by(Team.name, ProgrammeTemplate.name, ProgrammeTemplate.id)
        .options(
            selectinload(ProgrammeTemplate.items).selectinload(TemplateItem.exercise),
            selectinload(ProgrammeTemplate.team),
        )
    ).all()


def of_team(session: Session, team_id: int) -> Sequence[ProgrammeTemplate]:
    """A team's templates by name, items loaded."""
    return session.scalars(
        select(ProgrammeTemplate)
        .where(ProgrammeTemplate.team_id == team_id)
        .order_by(ProgrammeTemplate.name, ProgrammeTemplate.id)
        .options(selectinload(ProgrammeTemplate.items).selectinload(TemplateItem.exercise))
    ).all()


def members_template(session: Session, therapist_id: int, template_id: int) -> ProgrammeTemplate:
    """A template of one of the therapist's teams (LookupError for any other)."""
    template = session.get(ProgrammeTemplate, template_id)
    if template is None or not in_team(session, template.team_id, therapist_id):
        raise LookupError(template_id)
    return template


@dataclass(frozen=True)
class Started:
    """What starting from a template did: the items it added, and the exercises it left out
    because the patient already has them."""

    added: list[ProgrammeItem]
    already: list[str]


def _exercise_key(item: ProgrammeItem | TemplateItem) -> tuple[int | None, str]:
    """One exercise, whatever its dose: the catalogue's, or a custom one by its name."""
    return item.exercise_id, " ".join((item.custom_name or "").split()).casefold()


def start_from(
    session: Session,
    therapist: User,
    template: ProgrammeTemplate,
    patient_id: int,
    start: date,
) -> Started:
    """Prescribe each of a template's exercises to a patient from `start`, but those the
    patient already has (a second tap, or a programme begun by hand): one of each, not two."""
    if not in_team(session, template.team_id, therapist.id):
        raise LookupError(template.id)
    current = {
        _exercise_key(item)
        for item in programme_items(session, patient_id)
        if item.stopped_at is None and (item.end_date is None or item.end_date >= start)
    }
    new = [item for item in template.items if _exercise_key(item) not in current]
    added = [
        prescribe(
            session,
            patient_id=patient_id,
            therapist_id=therapist.id,
            exercise=item.exercise,
            custom_name=item.custom_name,
            discipline=item.discipline,
            days_per_week=item.days_per_week,
            start_date=start,
            end_date=None,
            note=item.note,
            dose={column: getattr(item, column) for column in DOSE_COLUMNS},
        )
        for item in new
    ]
    already = [item.name for item in template.items if item not in new]
    return Started(added=added, already=already)
