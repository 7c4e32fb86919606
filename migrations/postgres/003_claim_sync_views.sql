-- Operator views, adapted from the origin design (§6.1): 'failed' there is 'dead' here,
-- 'completed' is 'done'. Column names of the origin are kept so existing dashboards work.

CREATE OR REPLACE VIEW v_claim_sync_health AS
SELECT
  COUNT(*) FILTER (WHERE status = 'pending')  AS pending_count,
  COUNT(*) FILTER (WHERE status = 'retrying') AS retrying_count,
  COUNT(*) FILTER (WHERE status = 'dead')     AS failed_count,
  COUNT(*) FILTER (WHERE status = 'done')     AS completed_count,
  COUNT(*) FILTER (WHERE status IN ('revoking', 'revoked')) AS revoked_count,
  COUNT(*) FILTER (WHERE status = 'orphaned') AS orphaned_count,
  COUNT(*) FILTER (WHERE status IN ('pending', 'retrying')
                     AND created_at < now() - INTERVAL '30 minutes') AS stuck_pending_count,
  AVG(EXTRACT(EPOCH FROM (completed_at - created_at)))
    FILTER (WHERE status = 'done') AS avg_completion_time_seconds,
  MAX(created_at) AS last_claim_at,
  MIN(created_at) FILTER (WHERE status IN ('pending', 'retrying')) AS oldest_pending_at
FROM claim_sync_queue
WHERE created_at > now() - INTERVAL '24 hours';

-- Dead claims (need an operator: fix the cause, then `claimsync claims retry KEY`), with
-- what the membership tables currently hold for the wallet and level.
CREATE OR REPLACE VIEW v_failed_claims AS
SELECT
  csq.*,
  m.current_level AS db_level,
  ms.nft_level    AS db_nft_level
FROM claim_sync_queue csq
LEFT JOIN members m ON m.wallet_address = csq.wallet_address
LEFT JOIN membership ms ON ms.wallet_address = csq.wallet_address AND ms.nft_level = csq.level
WHERE csq.status = 'dead'
ORDER BY csq.created_at DESC;
