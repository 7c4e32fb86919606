-- claim_sync_queue: the ledger operators query. One row per claim key
-- ("<chain>:<0xtx>:<log>:<batch>"), mirrored by the node from its own claim states:
--   pending, retrying  waiting for the replicator (retrying: after a claim-specific error)
--   done               users / members / membership rows committed with this row
--   dead               claim-specific failure, attempts exhausted; `claimsync claims retry`
--   orphaned           its block left the chain before it was replicated
--   revoking, revoked  its block left the chain after replication; rows removed when revoked
-- (The origin design's 'completed' is 'done' here and its 'failed' is 'dead'.)

CREATE TABLE IF NOT EXISTS claim_sync_queue (
  claim_key       text PRIMARY KEY,
  chain_id        bigint NOT NULL,
  tx_hash         text NOT NULL CONSTRAINT claim_sync_queue_tx_hash_lowercase
                  CHECK (tx_hash ~ '^0x[0-9a-f]{64}$'),
  log_index       integer NOT NULL CHECK (log_index >= 0),
  batch_index     integer NOT NULL CHECK (batch_index >= 0),
  wallet_address  text NOT NULL CONSTRAINT claim_sync_queue_wallet_lowercase
                  CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  level           integer NOT NULL CHECK (level >= 0),
  amount          text NOT NULL CHECK (amount ~ '^[0-9]{1,78}$'),  -- uint256, decimal
  block_number    bigint NOT NULL CHECK (block_number >= 0),
  block_hash      text NOT NULL CHECK (block_hash ~ '^0x[0-9a-f]{64}$'),
  block_time      timestamptz NOT NULL,  -- the mint's block timestamp (= activated_at)
  referrer_wallet text CHECK (referrer_wallet IS NULL OR referrer_wallet ~ '^0x[0-9a-f]{40}$'),
  status          text NOT NULL DEFAULT 'pending'
                  CONSTRAINT claim_sync_queue_valid_status CHECK (status IN
                  ('pending', 'retrying', 'done', 'dead', 'orphaned', 'revoking', 'revoked')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  error_message   text,
  source          text NOT NULL DEFAULT '',  -- where the node saw it: "scan,intake,..."
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  completed_at    timestamptz,  -- when it became 'done'
  revoked_at      timestamptz   -- when it became 'revoked'
);

CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_status ON claim_sync_queue (status)
  WHERE status IN ('pending', 'retrying', 'dead', 'revoking');
CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_wallet_level
  ON claim_sync_queue (wallet_address, level);
CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_created_at ON claim_sync_queue (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_tx_hash ON claim_sync_queue (tx_hash);

COMMENT ON TABLE claim_sync_queue IS
  'claimsync ledger: one row per on-chain mint (claim key) and its replication status';
