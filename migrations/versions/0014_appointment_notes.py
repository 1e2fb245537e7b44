"""Appointment notes: a therapist's note of an appointment, for the person to read (issue 14).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 03:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('appointment_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('therapist_id', sa.Integer(), nullable=True),
    sa.Column('therapist_name', sa.String(length=80), nullable=False),
    sa.Column('seen_on', sa.Date(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_appointment_notes_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['therapist_id'], ['users.id'], name=op.f('fk_appointment_notes_therapist_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointment_notes')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('appointment_notes', schema=None) as batch_op:
        batch_op.create_index('ix_appointment_notes_patient_seen', ['patient_id', 'seen_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointment_notes_therapist_id'), ['therapist_id'], unique=False)


def downgrade():
    with op.batch_alter_table('appointment_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointment_notes_therapist_id'))
        batch_op.drop_index('ix_appointment_notes_patient_seen')

    op.drop_table('appointment_notes')
