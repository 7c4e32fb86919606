-- claimsync_lease: the lease of an active/standby pair on one database ([ha], issue 15).
-- One row per (chain, contract) that claimsync nodes replicate: the node whose `holder`
-- it names replicates while `expires_at` (the database's clock) lies ahead; every write of
-- the holder checks the row, token included, under a share lock in the same transaction,
-- so a node that lost the lease writes nothing. `token` (the fencing token) grows by one
-- at every change of holder. Single-node deployments never write it.
CREATE TABLE IF NOT EXISTS claimsync_lease (
  lease_key   text PRIMARY KEY,       -- "<chain_id>:<contract, lower-case hex>"
  holder      text NOT NULL,          -- "<node_id>/<instance>" of the holding process
  token       bigint NOT NULL CHECK (token >= 1),
  acquired_at timestamptz NOT NULL,   -- when this holder took it
  renewed_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);

COMMENT ON TABLE claimsync_lease IS
  'claimsync active/standby lease: which node replicates, with a fencing token';
