"""Access record: every therapist look at a person's data, append-only, shown to the person.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:05:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('access_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=True),
    sa.Column('therapist_name', sa.String(length=80), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('what', sa.String(length=32), nullable=False),
    # The person's record goes with their account; a therapist's deletion keeps the name.
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_access_events_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_access_events_therapist_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_events'))
    )
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.create_index('ix_access_events_patient_at', ['patient_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_access_events_therapist_id'), ['therapist_id'], unique=False)


def downgrade():
    with op.batch_alter_table('access_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_events_therapist_id'))
        batch_op.drop_index('ix_access_events_patient_at')

    op.drop_table('access_events')
