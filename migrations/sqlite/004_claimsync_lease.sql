-- claimsync_lease: the active/standby lease ([ha], issue 15) exists for Postgres only; a
-- SQLite database has one node. The table is created here too so that both dialects
-- carry the same migrations and schema checks; nothing reads or writes it on SQLite.
CREATE TABLE IF NOT EXISTS claimsync_lease (
  lease_key   TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  token       INTEGER NOT NULL CHECK (token >= 1),
  acquired_at TEXT NOT NULL,
  renewed_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL
);
