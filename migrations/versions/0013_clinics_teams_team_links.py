"""Clinics and teams: admins who let therapists in, teams that share a caseload (issue 14).

Clinics and their members (waiting until an admin lets them in), teams and their members, a
patient's one consent for a team (team_links), team codes (link_codes.team_id) and the care
links a team's consent gives each member (care_links.team_link_id). See
rehab_app/models/clinics.py.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 02:25:19.038160

"""

import warnings

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# SQLite's batch mode copies care_links and link_codes and reflects the users table for their
# foreign keys; it cannot read the index on lower(email) and warns. That index is not touched.
QUIET = "Skipped unsupported reflection"


def upgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        _upgrade()


def downgrade():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=QUIET)
        _downgrade()


def _upgrade():
    op.create_table('clinics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('join_code', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinics')),
    sa.UniqueConstraint('join_code', name=op.f('uq_clinics_join_code')),
    sqlite_autoincrement=True
    )
    op.create_table('clinic_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('is_admin', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('approved_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_clinic_members_clinic_id_clinics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_clinic_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clinic_members')),
    sa.UniqueConstraint('user_id', name=op.f('uq_clinic_members_user_id'))
    )
    with op.batch_alter_table('clinic_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_clinic_members_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinics.id'], name=op.f('fk_teams_clinic_id_clinics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('clinic_id', 'name', name='uq_teams_clinic_name')
    )
    op.create_table('team_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['users.id'], name=op.f('fk_team_links_patient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_links_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_links')),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('team_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_links_patient_id'), ['patient_id'], unique=False)
        batch_op.create_index('ix_team_links_team_patient', ['team_id', 'patient_id'], unique=False)

    op.create_table('team_members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_members_team_id_teams'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_team_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_team_members')),
    sa.UniqueConstraint('team_id', 'user_id', name='uq_team_members_pair')
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_members_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('care_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_link_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_care_links_team_link_id'), ['team_link_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_care_links_team_link_id_team_links'), 'team_links', ['team_link_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('team_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_link_codes_team_id_teams'), 'teams', ['team_id'], ['id'], ondelete='CASCADE')



def _downgrade():
    with op.batch_alter_table('link_codes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_link_codes_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('team_id')

    with op.batch_alter_table('care_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_care_links_team_link_id_team_links'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_care_links_team_link_id'))
        batch_op.drop_column('team_link_id')

    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_members_user_id'))

    op.drop_table('team_members')
    with op.batch_alter_table('team_links', schema=None) as batch_op:
        batch_op.drop_index('ix_team_links_team_patient')
        batch_op.drop_index(batch_op.f('ix_team_links_patient_id'))

    op.drop_table('team_links')
    op.drop_table('teams')
    with op.batch_alter_table('clinic_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clinic_members_clinic_id'))

    op.drop_table('clinic_members')
    op.drop_table('clinics')
