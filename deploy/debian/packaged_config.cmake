# Build step: writes the Debian package's /etc/claimsync/claimsync.toml from
# config.example.toml (every key and its comment), with production values for the keys
# below. Each replaced line must appear exactly once in the example, so an edit there that
# this script no longer matches fails the build instead of shipping a development default.
#   cmake -DINPUT=config.example.toml -DOUTPUT=<file> -P packaged_config.cmake
file(READ "${INPUT}" text)

function(replace_once from to)
  string(FIND "${text}" "${from}" first)
  string(FIND "${text}" "${from}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "packaged_config.cmake: '${from}' must appear exactly once in ${INPUT}")
  endif()
  string(REPLACE "${from}" "${to}" replaced "${text}")
  set(text "${replaced}" PARENT_SCOPE)
endfunction()

replace_once("# claimsync configuration: every key, with its default.\n"
"# claimsync configuration, as installed by the Debian package (a conffile: your edits\n\
# survive upgrades). Production values: Arbitrum One (chain id 42161) through a node on\n\
# 127.0.0.1:8547, blocks final when the RPC says \"finalized\", data in\n\
# /var/lib/claimsync, the database URL from CLAIMSYNC_SINK_URL (set it in\n\
# /etc/claimsync/claimsync.env), the API with /metrics and /readyz on 127.0.0.1:8645.\n\
# Before the first `systemctl enable --now claimsync`, set [chain] rpc_urls, chain_id,\n\
# contract and start_block: the first start binds the data dir to that chain and contract.\n\
#\n\
# Below, every key with its comment as in config.example.toml (\"Defaults here\" are the\n\
# example's), and the production values above in place of the example's.\n")
replace_once("data_dir = \"./claimsync-data\"" "data_dir = \"/var/lib/claimsync\"")
replace_once("url = \"sqlite:./claimsync.sqlite\""
             "url = \"postgres://claimsync@127.0.0.1:5432/claimsync\"")
replace_once("url_env = \"\"" "url_env = \"CLAIMSYNC_SINK_URL\"")
replace_once("[api]\n# Serve the HTTP API (claim hints, webhooks, status, metrics, admin endpoints).\nenabled = false"
             "[api]\n# Serve the HTTP API (claim hints, webhooks, status, metrics, admin endpoints).\nenabled = true")
replace_once("admin_token_env = \"\"" "admin_token_env = \"CLAIMSYNC_ADMIN_TOKEN\"")
replace_once("rpc_urls = [\"http://127.0.0.1:8545\"]" "rpc_urls = [\"http://127.0.0.1:8547\"]")
replace_once("chain_id = 31337" "chain_id = 42161")
replace_once("contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\""
             "contract = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"  # CHANGE: your contract")
replace_once("finality = \"confirmations\"" "finality = \"finalized\"")
file(WRITE "${OUTPUT}" "${text}")
