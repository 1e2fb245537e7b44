"""Caseload summaries: each person's caseload row and trend review, kept until their data change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'caseload_summaries',
        sa.Column('patient_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('computed_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_caseload_summaries_patient_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_caseload_summaries')),
    )


def downgrade():
    op.drop_table('caseload_summaries')
