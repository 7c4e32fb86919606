#!/usr/bin/env node
// Signs ReferralAttestation typed data with npm viem (a third-party client), so the
// node's EIP-712 digest and verifier are checked against an implementation not ours.
//
//   node viem_sign_attestation.cjs '<request json>'   one signature, JSON on stdout
//     request: {"privateKey", "chainId", "verifyingContract", "message": {"minter"?,
//               "referrer", "mintTx", "nonce", "issuedAt", "expiresAt"}}
//     (minter defaults to the key's address; times are decimal strings)
//   node viem_sign_attestation.cjs --vectors          the fixed vectors checked into
//                                                      tests/fixtures/referral_attestation_viem.json
// viem is resolved through NODE_PATH (tools/node_modules).
'use strict';
const {hashTypedData, hashDomain, keccak256, toHex} = require('viem');
const {privateKeyToAccount} = require('viem/accounts');

const types = {
  ReferralAttestation: [
    {name: 'minter', type: 'address'},
    {name: 'referrer', type: 'address'},
    {name: 'mintTx', type: 'bytes32'},
    {name: 'nonce', type: 'bytes32'},
    {name: 'issuedAt', type: 'uint64'},
    {name: 'expiresAt', type: 'uint64'},
  ],
};

async function sign(request) {
  const account = privateKeyToAccount(request.privateKey);
  const m = request.message;
  const message = {
    minter: m.minter || account.address,
    referrer: m.referrer,
    mintTx: m.mintTx,
    nonce: m.nonce,
    issuedAt: BigInt(m.issuedAt),
    expiresAt: BigInt(m.expiresAt),
  };
  const domain = {
    name: 'claimsync',
    version: '1',
    chainId: Number(request.chainId),
    verifyingContract: request.verifyingContract,
  };
  const typed = {domain, types, primaryType: 'ReferralAttestation', message};
  const signature = await account.signTypedData(typed);
  return {
    signer: account.address,
    chainId: String(request.chainId),
    verifyingContract: request.verifyingContract,
    domainSeparator: hashDomain({domain, types: {EIP712Domain: [
      {name: 'name', type: 'string'}, {name: 'version', type: 'string'},
      {name: 'chainId', type: 'uint256'}, {name: 'verifyingContract', type: 'address'}]}}),
    digest: hashTypedData(typed),
    attestation: {...m, minter: message.minter, issuedAt: String(m.issuedAt),
                  expiresAt: String(m.expiresAt), signature},
  };
}

// Deterministic inputs: keys and nonces derived from labels, fixed times.
function vectorRequests() {
  const key = (label) => keccak256(toHex('claimsync test key ' + label));
  const word = (label) => keccak256(toHex(label));
  return [
    {privateKey: key('alice'), chainId: 42161,
     verifyingContract: '0x5FbDB2315678afecb367f032d93F642f64180aa3',
     message: {referrer: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
               mintTx: '0x' + '00'.repeat(32), nonce: word('nonce 1'),
               issuedAt: '1764590000', expiresAt: '1764676400'}},
    {privateKey: key('bob'), chainId: 31337,
     verifyingContract: '0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512',
     message: {referrer: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
               mintTx: word('some tx'), nonce: word('nonce 2'),
               issuedAt: '1700000000', expiresAt: '1700604800'}},
    {privateKey: key('carol'), chainId: 1,
     verifyingContract: '0x0000000000000000000000000000000000000001',
     message: {referrer: '0xffffffffffffffffffffffffffffffffffffffff',
               mintTx: '0x' + 'ff'.repeat(32), nonce: '0x' + '00'.repeat(32),
               issuedAt: '0', expiresAt: '18446744073709551615'}},
  ];
}

async function main() {
  const arg = process.argv[2];
  if (arg === '--vectors') {
    const out = [];
    for (const r of vectorRequests()) out.push(await sign(r));
    console.log(JSON.stringify(out, null, 2));
  } else if (arg) {
    console.log(JSON.stringify(await sign(JSON.parse(arg))));
  } else {
    console.error('usage: viem_sign_attestation.cjs --vectors | <request json>');
    process.exit(2);
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
