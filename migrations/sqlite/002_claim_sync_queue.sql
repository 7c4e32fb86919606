-- claim_sync_queue: the ledger, one row per claim key (see migrations/postgres/002 for
-- the meaning of each status). Timestamps are ISO-8601 UTC text.

CREATE TABLE IF NOT EXISTS claim_sync_queue (
  claim_key       TEXT PRIMARY KEY NOT NULL,
  chain_id        INTEGER NOT NULL,
  tx_hash         TEXT NOT NULL CHECK (length(tx_hash) = 66 AND substr(tx_hash, 1, 2) = '0x'
                    AND substr(tx_hash, 3) NOT GLOB '*[^0-9a-f]*'),
  log_index       INTEGER NOT NULL CHECK (log_index >= 0),
  batch_index     INTEGER NOT NULL CHECK (batch_index >= 0),
  wallet_address  TEXT NOT NULL CHECK (length(wallet_address) = 42
                    AND substr(wallet_address, 1, 2) = '0x'
                    AND substr(wallet_address, 3) NOT GLOB '*[^0-9a-f]*'),
  level           INTEGER NOT NULL CHECK (level >= 0),
  amount          TEXT NOT NULL CHECK (length(amount) BETWEEN 1 AND 78
                    AND amount NOT GLOB '*[^0-9]*'),
  block_number    INTEGER NOT NULL CHECK (block_number >= 0),
  block_hash      TEXT NOT NULL CHECK (length(block_hash) = 66 AND substr(block_hash, 1, 2) = '0x'
                    AND substr(block_hash, 3) NOT GLOB '*[^0-9a-f]*'),
  block_time      TEXT NOT NULL,
  referrer_wallet TEXT CHECK (referrer_wallet IS NULL OR (length(referrer_wallet) = 42
                    AND substr(referrer_wallet, 1, 2) = '0x'
                    AND substr(referrer_wallet, 3) NOT GLOB '*[^0-9a-f]*')),
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                    ('pending', 'retrying', 'done', 'dead', 'orphaned', 'revoking', 'revoked')),
  attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  error_message   TEXT,
  source          TEXT NOT NULL DEFAULT '',
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  completed_at    TEXT,
  revoked_at      TEXT
);

CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_status ON claim_sync_queue (status)
  WHERE status IN ('pending', 'retrying', 'dead', 'revoking');
CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_wallet_level
  ON claim_sync_queue (wallet_address, level);
CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_created_at ON claim_sync_queue (created_at);
CREATE INDEX IF NOT EXISTS idx_claim_sync_queue_tx_hash ON claim_sync_queue (tx_hash);
