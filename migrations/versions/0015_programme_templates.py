"""Programme templates a team shares, and their exercises (issue 14).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 03:10:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('programme_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_programme_templates_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_programme_templates_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_templates')),
    sa.UniqueConstraint('team_id', 'name', name='uq_programme_templates_team_name'),
    sqlite_autoincrement=True
    )
    op.create_table('template_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=True),
    sa.Column('custom_name', sa.String(length=120), nullable=True),
    sa.Column('discipline', sa.String(length=16), nullable=False),
    sa.Column('sets', sa.Integer(), nullable=True),
    sa.Column('reps', sa.Integer(), nullable=True),
    sa.Column('hold_seconds', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Integer(), nullable=True),
    sa.Column('phonation_seconds', sa.Integer(), nullable=True),
    sa.Column('loudness_db', sa.Integer(), nullable=True),
    sa.Column('rests', sa.Integer(), nullable=True),
    sa.Column('days_per_week', sa.Integer(), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.CheckConstraint('days_per_week BETWEEN 1 AND 7', name=op.f('ck_template_items_days_per_week')),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercises.id'], name=op.f('fk_template_items_exercise_id_exercises')),
    sa.ForeignKeyConstraint(['template_id'], ['programme_templates.id'], name=op.f('fk_template_items_template_id_programme_templates'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_items'))
    )
    with op.batch_alter_table('template_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_items_template_id'), ['template_id'], unique=False)



def downgrade():
    with op.batch_alter_table('template_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_template_items_template_id'))

    op.drop_table('template_items')
    op.drop_table('programme_templates')
