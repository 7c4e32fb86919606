-- users / members / membership: the tables the membership application already uses
-- (DESIGN §7). Created when absent; when they already exist, the columns, unique indexes
-- and checks the node relies on are added if missing (see migrations/README.md).
-- Wallets are stored lower-case: '0x' + 40 lower-case hex digits.

CREATE TABLE IF NOT EXISTS users (
  wallet_address  text PRIMARY KEY
                  CONSTRAINT users_wallet_lowercase CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  referrer_wallet text
                  CONSTRAINT users_referrer_lowercase
                  CHECK (referrer_wallet IS NULL OR referrer_wallet ~ '^0x[0-9a-f]{40}$'),
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS members (
  wallet_address  text PRIMARY KEY REFERENCES users (wallet_address)
                  CONSTRAINT members_wallet_lowercase CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  current_level   integer NOT NULL DEFAULT 0 CONSTRAINT members_level_nonnegative CHECK (current_level >= 0),
  activated_at    timestamptz,
  referrer_wallet text
                  CONSTRAINT members_referrer_lowercase
                  CHECK (referrer_wallet IS NULL OR referrer_wallet ~ '^0x[0-9a-f]{40}$'),
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS membership (
  wallet_address  text NOT NULL REFERENCES users (wallet_address)
                  CONSTRAINT membership_wallet_lowercase CHECK (wallet_address ~ '^0x[0-9a-f]{40}$'),
  nft_level       integer NOT NULL CONSTRAINT membership_level_nonnegative CHECK (nft_level >= 0),
  activated_at    timestamptz NOT NULL,
  claim_key       text,  -- the claim that created the row (NULL: not created by claimsync)
  tx_hash         text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT membership_wallet_level_key UNIQUE (wallet_address, nft_level)
);

-- Pre-existing tables: add what the node writes, if missing. -------------------------
ALTER TABLE users ADD COLUMN IF NOT EXISTS referrer_wallet text;
ALTER TABLE users ADD COLUMN IF NOT EXISTS created_at timestamptz DEFAULT now();
ALTER TABLE members ADD COLUMN IF NOT EXISTS current_level integer DEFAULT 0;
ALTER TABLE members ADD COLUMN IF NOT EXISTS activated_at timestamptz;
ALTER TABLE members ADD COLUMN IF NOT EXISTS referrer_wallet text;
ALTER TABLE members ADD COLUMN IF NOT EXISTS updated_at timestamptz DEFAULT now();
ALTER TABLE membership ADD COLUMN IF NOT EXISTS activated_at timestamptz;
ALTER TABLE membership ADD COLUMN IF NOT EXISTS claim_key text;
ALTER TABLE membership ADD COLUMN IF NOT EXISTS tx_hash text;

-- ON CONFLICT needs a unique index on exactly these columns; create one when the table
-- has none (an existing primary key or unique constraint is reused).
CREATE FUNCTION pg_temp.claimsync_ensure_unique(tbl regclass, cols text[], idx text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (
      SELECT 1 FROM pg_index i
      WHERE i.indrelid = tbl AND i.indisunique AND i.indpred IS NULL
        AND i.indnkeyatts = cardinality(cols)
        AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
               FROM pg_attribute a
              WHERE a.attrelid = tbl AND a.attnum = ANY (i.indkey::int2[]))
            = (SELECT array_agg(c ORDER BY c) FROM unnest(cols) AS c)) THEN
    EXECUTE format('CREATE UNIQUE INDEX %I ON %s (%s)', idx, tbl,
                   (SELECT string_agg(quote_ident(c), ', ') FROM unnest(cols) AS c));
  END IF;
END
$fn$;

-- Lower-case checks on pre-existing tables: NOT VALID, so old rows are not rejected here
-- (the README says how to lower-case them) but every new row is checked.
CREATE FUNCTION pg_temp.claimsync_ensure_check(tbl regclass, name text, expr text)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = tbl AND conname = name) THEN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%s) NOT VALID', tbl, name, expr);
  END IF;
END
$fn$;

SELECT pg_temp.claimsync_ensure_unique('users', ARRAY['wallet_address'], 'users_wallet_address_key');
SELECT pg_temp.claimsync_ensure_unique('members', ARRAY['wallet_address'], 'members_wallet_address_key');
SELECT pg_temp.claimsync_ensure_unique('membership', ARRAY['wallet_address', 'nft_level'],
                                       'membership_wallet_level_key');
SELECT pg_temp.claimsync_ensure_check('users', 'users_wallet_lowercase',
                                      'wallet_address ~ ''^0x[0-9a-f]{40}$''');
SELECT pg_temp.claimsync_ensure_check('members', 'members_wallet_lowercase',
                                      'wallet_address ~ ''^0x[0-9a-f]{40}$''');
SELECT pg_temp.claimsync_ensure_check('membership', 'membership_wallet_lowercase',
                                      'wallet_address ~ ''^0x[0-9a-f]{40}$''');

DROP FUNCTION pg_temp.claimsync_ensure_unique(regclass, text[], text);
DROP FUNCTION pg_temp.claimsync_ensure_check(regclass, text, text);
