"""Full-text search over the case library (SQLite FTS5 or PostgreSQL), without spoilers."""
