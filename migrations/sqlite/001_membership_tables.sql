-- users / members / membership for local and development use (the SQLite twin of
-- migrations/postgres/001). Timestamps are ISO-8601 UTC text ("2024-01-02T03:04:05.000Z"),
-- so they sort and compare as text. Wallets: '0x' + 40 lower-case hex digits.

CREATE TABLE IF NOT EXISTS users (
  wallet_address  TEXT PRIMARY KEY NOT NULL
                  CONSTRAINT users_wallet_lowercase CHECK (length(wallet_address) = 42
                    AND substr(wallet_address, 1, 2) = '0x'
                    AND substr(wallet_address, 3) NOT GLOB '*[^0-9a-f]*'),
  referrer_wallet TEXT
                  CONSTRAINT users_referrer_lowercase CHECK (referrer_wallet IS NULL
                    OR (length(referrer_wallet) = 42 AND substr(referrer_wallet, 1, 2) = '0x'
                        AND substr(referrer_wallet, 3) NOT GLOB '*[^0-9a-f]*')),
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE IF NOT EXISTS members (
  wallet_address  TEXT PRIMARY KEY NOT NULL REFERENCES users (wallet_address)
                  CONSTRAINT members_wallet_lowercase CHECK (length(wallet_address) = 42
                    AND substr(wallet_address, 1, 2) = '0x'
                    AND substr(wallet_address, 3) NOT GLOB '*[^0-9a-f]*'),
  current_level   INTEGER NOT NULL DEFAULT 0 CHECK (current_level >= 0),
  activated_at    TEXT,
  referrer_wallet TEXT
                  CONSTRAINT members_referrer_lowercase CHECK (referrer_wallet IS NULL
                    OR (length(referrer_wallet) = 42 AND substr(referrer_wallet, 1, 2) = '0x'
                        AND substr(referrer_wallet, 3) NOT GLOB '*[^0-9a-f]*')),
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  updated_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE IF NOT EXISTS membership (
  wallet_address  TEXT NOT NULL REFERENCES users (wallet_address)
                  CONSTRAINT membership_wallet_lowercase CHECK (length(wallet_address) = 42
                    AND substr(wallet_address, 1, 2) = '0x'
                    AND substr(wallet_address, 3) NOT GLOB '*[^0-9a-f]*'),
  nft_level       INTEGER NOT NULL CHECK (nft_level >= 0),
  activated_at    TEXT NOT NULL,
  claim_key       TEXT,  -- the claim that created the row (NULL: not created by claimsync)
  tx_hash         TEXT,
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- ON CONFLICT (wallet_address, nft_level) needs this index (also on pre-existing tables).
CREATE UNIQUE INDEX IF NOT EXISTS membership_wallet_level_key
  ON membership (wallet_address, nft_level);
