"""The models' declarative base: plain SQLAlchemy, so that the models and the core that uses
them import without Flask. Flask-SQLAlchemy is given this base (extensions.db) and shares its
metadata and registry."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Named constraints so that migrations can alter them on SQLite and PostgreSQL alike.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Model(DeclarativeBase):
    """Declarative base with a naming convention; every table names itself (__tablename__)."""

    metadata = MetaData(naming_convention=NAMING)
