"""Storage: engines and sessions, dialect handling, the geometry type, the SQLite single writer
and the Alembic environment. SQLite is the embedded default; PostgreSQL + PostGIS scales out."""
