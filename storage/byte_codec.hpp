// Big-endian fixed-width encoding for RocksDB keys and values.
//
// Keys are big-endian so that RocksDB's bytewise order equals numeric order. Signed
// values are stored offset by 2^63 so negatives sort before positives. ByteReader reads
// a value back and remembers whether it ran past the end, so decoders check once.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace claimsync::store {

inline void put_u8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

template <typename U>
inline void put_be(std::string& out, U v) {
  static_assert(std::is_unsigned_v<U>);
  for (int shift = (sizeof(U) - 1) * 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((v >> shift) & 0xff));
  }
}
inline void put_u32(std::string& out, std::uint32_t v) { put_be(out, v); }
inline void put_u64(std::string& out, std::uint64_t v) { put_be(out, v); }
// Order-preserving: INT64_MIN -> 0x00.., 0 -> 0x80.., INT64_MAX -> 0xff..
inline void put_i64_ordered(std::string& out, std::int64_t v) {
  put_u64(out, static_cast<std::uint64_t>(v) ^ (std::uint64_t{1} << 63));
}
template <std::size_t N>
inline void put_bytes(std::string& out, const std::array<std::uint8_t, N>& bytes) {
  out.append(reinterpret_cast<const char*>(bytes.data()), N);
}

inline std::string encode_u64(std::uint64_t v) {
  std::string s;
  put_u64(s, v);
  return s;
}

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}

  std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(be(4)); }
  std::uint64_t u64() { return be(8); }
  std::int64_t i64_ordered() { return static_cast<std::int64_t>(u64() ^ (std::uint64_t{1} << 63)); }
  template <std::size_t N>
  std::array<std::uint8_t, N> bytes() {
    std::array<std::uint8_t, N> out{};
    std::string_view s = take(N);
    if (s.size() == N) std::memcpy(out.data(), s.data(), N);
    return out;
  }
  std::string_view take(std::size_t n) {
    if (failed_ || data_.size() - pos_ < n) {
      failed_ = true;
      static const char kZeros[64] = {};
      return std::string_view(kZeros, n <= sizeof(kZeros) ? n : 0);
    }
    std::string_view s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }

  bool failed() const { return failed_; }
  bool at_end() const { return !failed_ && pos_ == data_.size(); }
  std::size_t remaining() const { return failed_ ? 0 : data_.size() - pos_; }

 private:
  std::uint64_t be(std::size_t n) {
    std::string_view s = take(n);
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n && i < s.size(); ++i)
      v = (v << 8) | static_cast<std::uint8_t>(s[i]);
    return v;
  }

  std::string_view data_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace claimsync::store
