-- The lower-case / hex / decimal CHECKs of 001 and 002, rewritten in an equivalent form
-- that PostgreSQL evaluates about 7x faster (issue 11). A bounded repetition such as
-- '^0x[0-9a-f]{40}$' makes PostgreSQL's regex engine run a counted loop of 40 states per
-- row (~6 us per value on the bench machine); `octet_length(x) = 42 AND x ~ '^0x[0-9a-f]*$'`
-- accepts exactly the same strings (every character the class admits is one ASCII byte, so
-- 42 bytes are '0x' + 40 hex digits; NULL passes both forms) at ~1 us. These checks were
-- half of the server's CPU per replicated row, and the same for any other writer.
--
-- A check is replaced only when it exists under the name 001/002 gave it and still has
-- the old definition, so a constraint an operator wrote or changed is left as it is. It
-- keeps its validity: a check 001 added NOT VALID to a pre-existing table (old rows not
-- lower-cased yet) stays NOT VALID; a validated one is validated again here (one scan of
-- the table, ~1 us per row).

CREATE FUNCTION pg_temp.claimsync_swap_check(tbl regclass, name text, old_defs text[], expr text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  was_valid boolean;
BEGIN
  SELECT c.convalidated INTO was_valid
  FROM pg_constraint c
  WHERE c.conrelid = tbl AND c.conname = name AND c.contype = 'c'
    AND pg_get_constraintdef(c.oid) = ANY (old_defs);
  IF NOT FOUND THEN
    RETURN;
  END IF;
  EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', tbl, name);
  EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I CHECK (%s) NOT VALID', tbl, name, expr);
  IF was_valid THEN
    EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', tbl, name);
  END IF;
END
$fn$;

-- (table, constraint, column, old pattern, new form): the old definitions are spelled as
-- pg_get_constraintdef prints what 001 and 002 created: on a text column or (a table the
-- application already had) a varchar one, validated or NOT VALID.
SELECT pg_temp.claimsync_swap_check(
         t.tbl::regclass, t.name,
         ARRAY(SELECT CASE WHEN t.nullable
                           THEN format('CHECK (((%1$I IS NULL) OR (%2$s ~ %3$L::text)))',
                                       t.col, v.operand, t.old_pattern)
                           ELSE format('CHECK ((%1$s ~ %2$L::text))', v.operand, t.old_pattern)
                      END || n.suffix
               FROM (VALUES (quote_ident(t.col)), ('(' || quote_ident(t.col) || ')::text'))
                      AS v(operand),
                    (VALUES (''), (' NOT VALID')) AS n(suffix)),
         CASE WHEN t.nullable
              THEN format('%1$I IS NULL OR (%2$s)', t.col, format(t.new_form, quote_ident(t.col)))
              ELSE format(t.new_form, quote_ident(t.col)) END)
FROM (VALUES
  ('users', 'users_wallet_lowercase', 'wallet_address', false, '^0x[0-9a-f]{40}$',
   'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('users', 'users_referrer_lowercase', 'referrer_wallet', true, '^0x[0-9a-f]{40}$',
   'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('members', 'members_wallet_lowercase', 'wallet_address', false, '^0x[0-9a-f]{40}$',
   'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('members', 'members_referrer_lowercase', 'referrer_wallet', true, '^0x[0-9a-f]{40}$',
   'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('membership', 'membership_wallet_lowercase', 'wallet_address', false, '^0x[0-9a-f]{40}$',
   'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('claim_sync_queue', 'claim_sync_queue_tx_hash_lowercase', 'tx_hash', false,
   '^0x[0-9a-f]{64}$', 'octet_length(%1$s) = 66 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('claim_sync_queue', 'claim_sync_queue_wallet_lowercase', 'wallet_address', false,
   '^0x[0-9a-f]{40}$', 'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('claim_sync_queue', 'claim_sync_queue_amount_check', 'amount', false, '^[0-9]{1,78}$',
   'octet_length(%1$s) BETWEEN 1 AND 78 AND %1$s ~ ''^[0-9]*$'''),
  ('claim_sync_queue', 'claim_sync_queue_block_hash_check', 'block_hash', false,
   '^0x[0-9a-f]{64}$', 'octet_length(%1$s) = 66 AND %1$s ~ ''^0x[0-9a-f]*$'''),
  ('claim_sync_queue', 'claim_sync_queue_referrer_wallet_check', 'referrer_wallet', true,
   '^0x[0-9a-f]{40}$', 'octet_length(%1$s) = 42 AND %1$s ~ ''^0x[0-9a-f]*$''')
) AS t(tbl, name, col, nullable, old_pattern, new_form);

DROP FUNCTION pg_temp.claimsync_swap_check(regclass, text, text[], text);
