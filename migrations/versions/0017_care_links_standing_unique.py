"""Care links: one standing link a therapist and patient (a partial unique index).

Two of a therapist's codes entered by one person at the same moment could each find no link
and make one; the index makes the second wait and fail, and care_links._new_link then uses
the first. A pair linked twice that way before this revision keeps its oldest standing link;
the later ones are ended now (the pair stays linked, so nobody gains or loses access).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 06:30:00.000000

"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

END_LATER_TWINS = sa.text(
    "UPDATE care_links SET revoked_at = :now WHERE revoked_at IS NULL AND EXISTS ("
    " SELECT 1 FROM care_links older WHERE older.therapist_id = care_links.therapist_id"
    " AND older.patient_id = care_links.patient_id AND older.revoked_at IS NULL"
    " AND older.id < care_links.id)"
)


def upgrade():
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    op.get_bind().execute(END_LATER_TWINS, {"now": now})
    with op.batch_alter_table('care_links', schema=None) as batch_op:
        batch_op.create_index('uq_care_links_standing', ['therapist_id', 'patient_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))


def downgrade():
    with op.batch_alter_table('care_links', schema=None) as batch_op:
        batch_op.drop_index('uq_care_links_standing', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
