"""Storage. ``base`` declares the repository protocols the core uses; ``sql`` implements
them with SQLAlchemy on SQLite and PostgreSQL."""
