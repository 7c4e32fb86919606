// verify_webhook_delivery: one code path for every row of the scheme table. The steps run
// in a fixed order: required headers, timestamp syntax, body decoding, signature, then age
// (after the signature, so a forger learns nothing about timing).
#include "node/webhooks/webhook_verifier.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include "rpc/bytes.hpp"
#include "rpc/keccak.hpp"

namespace claimsync::node {

namespace {

constexpr std::size_t kDigestSize = 32;  // SHA-256 and keccak-256 alike
using Digest = std::array<unsigned char, kDigestSize>;

// Unix seconds have 10 digits until 2286; 12 is generous and keeps arithmetic far from
// overflow. A millisecond timestamp (13 digits) is refused as "not seconds".
constexpr std::size_t kMaxTimestampDigits = 12;
// Secrets and signature entries are short; anything longer is not one of them.
constexpr std::size_t kMaxBase64Chars = 4096;
constexpr std::size_t kInflateChunk = 16 * 1024;
constexpr std::string_view kWhsecPrefix = "whsec_";

struct Refused {
  WebhookRefusal refusal;
  std::string reason;
};

Refused bad_signature(std::string reason) {
  return {WebhookRefusal::kBadSignature, std::move(reason)};
}
Refused malformed(std::string reason) { return {WebhookRefusal::kMalformed, std::move(reason)}; }

// HTTP optional whitespace around a header value.
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

bool is_base64_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

// Standard-alphabet base64, padded or not. nullopt for anything else (including bytes
// after padding). EVP_DecodeBlock counts padding as output bytes, so they are removed here.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() > kMaxBase64Chars) return std::nullopt;
  std::string_view data = text;
  std::size_t padding = 0;
  while (padding < 2 && !data.empty() && data.back() == '=') {
    data.remove_suffix(1);
    ++padding;
  }
  if (!std::all_of(data.begin(), data.end(), is_base64_char)) return std::nullopt;
  if (padding > 0 && text.size() % 4 != 0) return std::nullopt;
  if (data.size() % 4 == 1) return std::nullopt;
  std::string padded(data);
  const std::size_t pad = (4 - padded.size() % 4) % 4;
  padded.append(pad, '=');
  if (padded.empty()) return std::string();
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0 || static_cast<std::size_t>(n) != out.size()) return std::nullopt;
  out.resize(out.size() - pad);
  return out;
}

std::string base64_encode(const Digest& d) {
  std::string out(4 * ((d.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), d.data(),
                                static_cast<int>(d.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

int hex_nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Exactly 64 hex digits, any case, optional "0x"/"0X".
std::optional<Digest> parse_hex_digest(std::string_view text) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
    text.remove_prefix(2);
  if (text.size() != 2 * kDigestSize) return std::nullopt;
  Digest d{};
  for (std::size_t i = 0; i < kDigestSize; ++i) {
    const int hi = hex_nibble(text[2 * i]);
    const int lo = hex_nibble(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    d[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return d;
}

bool digests_equal(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), kDigestSize) == 0;
}

// The key bytes a configured secret stands for; nullopt when a whsec secret does not decode.
std::optional<std::string> signing_key(const WebhookScheme& scheme, std::string_view secret) {
  if (scheme.secret_format == SecretFormat::kRaw) return std::string(secret);
  if (secret.starts_with(kWhsecPrefix)) secret.remove_prefix(kWhsecPrefix.size());
  return base64_decode(secret);
}

std::string signed_message(const WebhookScheme& scheme, std::string_view key, std::string_view id,
                           std::string_view ts, std::string_view body) {
  std::string m;
  switch (scheme.signed_bytes) {
    case SignedBytes::kBody: m.append(body); break;
    case SignedBytes::kTimestampDotBody: m.append(ts).append(".").append(body); break;
    case SignedBytes::kIdDotTimestampDotBody:
      m.append(id).append(".").append(ts).append(".").append(body);
      break;
    case SignedBytes::kNonceTimestampBody: m.append(id).append(ts).append(body); break;
    case SignedBytes::kBodySecret: m.append(body).append(key); break;
  }
  return m;
}

// The digest a sender with `secret` computes; nullopt when the secret is unusable.
std::optional<Digest> expected_digest(const WebhookScheme& scheme, std::string_view secret,
                                      std::string_view id, std::string_view ts,
                                      std::string_view body) {
  const std::optional<std::string> key = signing_key(scheme, secret);
  if (!key || key->empty() || key->size() > INT_MAX) return std::nullopt;
  const std::string message = signed_message(scheme, *key, id, ts, body);
  Digest d{};
  if (scheme.digest == SignatureDigest::kKeccak256) {
    const eth::Hash32 h = eth::keccak256(std::string_view(message));
    std::copy(h.bytes().begin(), h.bytes().end(), d.begin());
    return d;
  }
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key->data(), static_cast<int>(key->size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), d.data(),
           &len) == nullptr ||
      len != kDigestSize)
    return std::nullopt;
  return d;
}

// nullopt when `value` carries a signature equal to `expected`.
std::optional<Refused> match_signature(const WebhookScheme& scheme, const Digest& expected,
                                       std::string_view value) {
  const std::string header(scheme.signature_header);
  if (scheme.encoding == SignatureEncoding::kHex) {
    const std::optional<Digest> got = parse_hex_digest(value);
    if (!got) return bad_signature(header + " is not 64 hex digits");
    if (!digests_equal(expected, *got)) return bad_signature("signature does not match");
    return std::nullopt;
  }
  // Standard Webhooks: "v1,<b64> v1a,<b64> ..."; only v1 entries are ours to check.
  bool any_v1 = false;
  std::size_t pos = 0;
  while (pos < value.size()) {
    const std::size_t end = std::min(value.find(' ', pos), value.size());
    const std::string_view entry = value.substr(pos, end - pos);
    pos = end + 1;
    if (!entry.starts_with("v1,")) continue;
    any_v1 = true;
    const std::optional<std::string> raw = base64_decode(entry.substr(3));
    if (!raw || raw->size() != kDigestSize) continue;
    Digest got{};
    std::memcpy(got.data(), raw->data(), kDigestSize);
    if (digests_equal(expected, got)) return std::nullopt;
  }
  if (!any_v1) return bad_signature(header + " has no v1 signature");
  return bad_signature("no v1 signature matches");
}

// Owns one zlib inflate stream (gzip wrapper).
class GzipInflater {
 public:
  GzipInflater() { ready_ = inflateInit2(&s_, 16 + MAX_WBITS) == Z_OK; }
  ~GzipInflater() {
    if (ready_) inflateEnd(&s_);
  }
  GzipInflater(const GzipInflater&) = delete;
  GzipInflater& operator=(const GzipInflater&) = delete;

  // Inflates all of `in` into `out`, never producing more than max + 1 bytes. The loop
  // ends because each inflate() call either consumes input, produces output (bounded by
  // the cap) or reports an error.
  std::optional<Refused> inflate_all(std::string_view in, std::size_t max, std::string& out) {
    if (!ready_) return Refused{WebhookRefusal::kMalformed, "gzip decoder unavailable"};
    if (in.size() > UINT_MAX) return Refused{WebhookRefusal::kTooLarge, "gzip body too large"};
    s_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    s_.avail_in = static_cast<uInt>(in.size());
    out.clear();
    for (;;) {
      const std::size_t left = max - out.size();
      const std::size_t chunk = left >= kInflateChunk ? kInflateChunk : left + 1;
      const std::size_t old = out.size();
      out.resize(old + chunk);
      s_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
      s_.avail_out = static_cast<uInt>(chunk);
      const int rc = inflate(&s_, Z_NO_FLUSH);
      out.resize(old + chunk - s_.avail_out);
      if (out.size() > max) {
        return Refused{WebhookRefusal::kTooLarge,
                       "gzip body inflates past " + std::to_string(max) + " bytes"};
      }
      if (rc == Z_STREAM_END) {
        if (s_.avail_in != 0) return malformed("bytes after the end of the gzip stream");
        return std::nullopt;
      }
      if (rc == Z_BUF_ERROR && s_.avail_in == 0) return malformed("gzip stream is truncated");
      if (rc != Z_OK) return malformed("gzip stream is corrupt");
    }
  }

 private:
  z_stream s_{};
  bool ready_ = false;
};

using HeaderFn = std::function<std::optional<std::string>(std::string_view)>;

// The bytes the signature covers: the raw body, or its gzip inflation where allowed.
std::optional<Refused> decode_body(const WebhookScheme& scheme, const HeaderFn& header,
                                   std::string_view raw, std::size_t max, std::string& body) {
  if (raw.size() > max) {
    return Refused{WebhookRefusal::kTooLarge, "body exceeds " + std::to_string(max) + " bytes"};
  }
  const std::optional<std::string> encoding = header("content-encoding");
  const std::string_view value = encoding ? trim(*encoding) : std::string_view();
  if (value.empty() || iequals(value, "identity")) {
    body.assign(raw);
    return std::nullopt;
  }
  if (!iequals(value, "gzip")) return malformed("unsupported Content-Encoding");
  if (!scheme.gzip_allowed) {
    return malformed("Content-Encoding gzip is not accepted for " + std::string(scheme.name));
  }
  return GzipInflater().inflate_all(raw, max, body);
}

// Decimal digits only: no sign, no fraction, at most kMaxTimestampDigits.
std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  if (text.empty() || text.size() > kMaxTimestampDigits) return std::nullopt;
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// A required header's trimmed value; a refusal naming the header when absent or empty.
std::optional<Refused> required_header(const HeaderFn& header, std::string_view name,
                                       std::string& out) {
  const std::optional<std::string> v = header(name);
  if (v) out.assign(trim(*v));
  if (!v || out.empty()) return bad_signature("missing header " + std::string(name));
  return std::nullopt;
}

WebhookVerdict refuse(Refused r) {
  WebhookVerdict v;
  v.refusal = r.refusal;
  v.reason = std::move(r.reason);
  return v;
}

}  // namespace

std::string_view webhook_refusal_label(WebhookRefusal r) {
  switch (r) {
    case WebhookRefusal::kBadSignature: return "bad_signature";
    case WebhookRefusal::kStale: return "stale";
    case WebhookRefusal::kMalformed: return "malformed";
    case WebhookRefusal::kTooLarge: return "too_large";
  }
  return "bad_signature";
}

WebhookVerdict verify_webhook_delivery(const WebhookScheme& scheme, std::string_view secret,
                                       const HeaderFn& header, std::string_view raw_body,
                                       std::int64_t now_s, std::size_t max_body_bytes) {
  VerifiedDelivery d;
  std::string signature, ts_text;
  if (auto r = required_header(header, scheme.signature_header, signature)) return refuse(*r);
  if (!scheme.timestamp_header.empty()) {
    if (auto r = required_header(header, scheme.timestamp_header, ts_text)) return refuse(*r);
    d.timestamp = parse_unix_seconds(ts_text);
    if (!d.timestamp) {
      return refuse(bad_signature(std::string(scheme.timestamp_header) +
                                  " is not an integer number of seconds"));
    }
  }
  if (!scheme.id_header.empty()) {
    if (auto r = required_header(header, scheme.id_header, d.header_id)) return refuse(*r);
  }
  if (auto r = decode_body(scheme, header, raw_body, max_body_bytes, d.body)) return refuse(*r);

  const std::optional<Digest> expected =
      expected_digest(scheme, secret, d.header_id, ts_text, d.body);
  if (!expected) {
    return refuse(bad_signature("configured secret for " + std::string(scheme.name) +
                                " is unusable (see validate_webhook_secret)"));
  }
  if (auto r = match_signature(scheme, *expected, signature)) return refuse(*r);

  if (d.timestamp) {
    const std::int64_t ts = *d.timestamp;
    if (now_s > ts + scheme.tolerance_s || now_s < ts - scheme.tolerance_s) {
      return refuse({WebhookRefusal::kStale, "timestamp " + ts_text + " is more than " +
                                                 std::to_string(scheme.tolerance_s) +
                                                 " s from now"});
    }
  }
  WebhookVerdict v;
  v.delivery = std::move(d);
  v.reason = "verified";
  return v;
}

std::string sign_webhook_delivery(const WebhookScheme& scheme, std::string_view secret,
                                  std::string_view id, std::string_view timestamp,
                                  std::string_view body) {
  const std::optional<Digest> d = expected_digest(scheme, secret, id, timestamp, body);
  if (!d) return {};
  if (scheme.encoding == SignatureEncoding::kStandardV1Base64) return "v1," + base64_encode(*d);
  return eth::to_hex(eth::ByteView(d->data(), d->size()),
                     scheme.digest == SignatureDigest::kKeccak256);
}

Status validate_webhook_secret(const WebhookScheme& scheme, std::string_view secret) {
  const std::string what = "webhook secret for " + std::string(scheme.name);
  if (secret.empty()) return error(ErrorCode::kInvalidArgument, what + " is empty");
  if (scheme.secret_format == SecretFormat::kRaw) return Status();
  const std::optional<std::string> key = signing_key(scheme, secret);
  if (!key) {
    return error(ErrorCode::kInvalidArgument,
                 what + " is not base64 after its optional whsec_ prefix");
  }
  if (key->size() < 24 || key->size() > 64) {
    return error(ErrorCode::kInvalidArgument,
                 what + " decodes to " + std::to_string(key->size()) +
                     " bytes; Standard Webhooks secrets are 24 to 64 bytes");
  }
  return Status();
}

}  // namespace claimsync::node
