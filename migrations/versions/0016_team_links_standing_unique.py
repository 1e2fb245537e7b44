"""Team consents: one standing consent a patient and team (a partial unique index).

Two of a team's codes entered by one person at the same moment could each find no consent
and make one; the index makes the second wait and fail, and care_links.link_team then uses
the first.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 03:55:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('team_links', schema=None) as batch_op:
        batch_op.create_index('uq_team_links_standing', ['team_id', 'patient_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))



def downgrade():
    with op.batch_alter_table('team_links', schema=None) as batch_op:
        batch_op.drop_index('uq_team_links_standing', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))

