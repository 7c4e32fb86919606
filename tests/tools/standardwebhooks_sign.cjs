#!/usr/bin/env node
// Signs Standard Webhooks deliveries with the npm `standardwebhooks` package (the spec
// authors' reference library, not claimsync's code), so the node's verifier is checked
// against a third-party signer.
//
//   node standardwebhooks_sign.cjs '<json>'
//     input:  [{"secret": "whsec_...", "id": "msg_...", "timestamp": <unix s>, "body": "..."}, ...]
//     output: one JSON array on stdout, per input {"webhook-id", "webhook-timestamp",
//             "webhook-signature"} (the headers to send with the body as is)
// standardwebhooks is resolved through NODE_PATH (tools/node_modules).
'use strict';
const {Webhook} = require('standardwebhooks');

const requests = JSON.parse(process.argv[2]);
const out = requests.map((r) => {
  const wh = new Webhook(r.secret);
  const signature = wh.sign(r.id, new Date(r.timestamp * 1000), r.body);
  // Check our own output with the library's verifier too: a bad input fails here, loudly.
  wh.verify(r.body, {
    'webhook-id': r.id,
    'webhook-timestamp': String(r.timestamp),
    'webhook-signature': signature,
  });
  return {
    'webhook-id': r.id,
    'webhook-timestamp': String(r.timestamp),
    'webhook-signature': signature,
  };
});
process.stdout.write(JSON.stringify(out));
