#include "rpc/abi.hpp"

#include <algorithm>
#include <string>

#include "rpc/keccak.hpp"

namespace claimsync::eth::abi {
namespace {

Status corrupt(std::string message) { return error(ErrorCode::kCorruption, std::move(message)); }

void append(Bytes& out, const Word& w) { out.insert(out.end(), w.begin(), w.end()); }

template <typename T>
void append_array(Bytes& out, const std::vector<T>& items) {
  append(out, encode_word(U256(items.size())));
  for (const T& item : items) append(out, encode_word(item));
}

// Static values go in the head; arrays go in the tail, with their offset (counted from
// the start of the head) in the head.
struct HeadTailEncoder {
  Bytes& head;
  Bytes& tail;
  std::size_t head_size;

  void operator()(const U256& v) const { append(head, encode_word(v)); }
  void operator()(const Address& a) const { append(head, encode_word(a)); }
  void operator()(const Hash32& h) const { append(head, h.bytes()); }
  // bytes: length word, then the data right-padded with zeros to a multiple of 32.
  void operator()(const Bytes& data) const {
    append(head, encode_word(U256(head_size + tail.size())));
    append(tail, encode_word(U256(data.size())));
    tail.insert(tail.end(), data.begin(), data.end());
    tail.resize(tail.size() + (kWordSize - data.size() % kWordSize) % kWordSize, 0);
  }
  template <typename T>
  void operator()(const std::vector<T>& items) const {
    append(head, encode_word(U256(head_size + tail.size())));
    append_array(tail, items);
  }
};

// The word at byte offset `pos`, if [pos, pos + 32) lies inside `data`.
Result<ByteView> word_at(ByteView data, std::size_t pos, const char* what) {
  if (pos > data.size() || data.size() - pos < kWordSize) {
    return corrupt(std::string(what) + " at byte " + std::to_string(pos) +
                   " lies past the end of " + std::to_string(data.size()) + " bytes of data");
  }
  return data.subspan(pos, kWordSize);
}

// The word in head slot `index` (bytes [32 * index, 32 * index + 32)).
Result<ByteView> head_word(ByteView data, std::size_t index, const char* what) {
  if (index > data.size() / kWordSize) {  // also keeps 32 * index from overflowing
    return corrupt(std::string(what) + " in head slot " + std::to_string(index) +
                   " lies past the end of " + std::to_string(data.size()) + " bytes of data");
  }
  return word_at(data, index * kWordSize, what);
}

// The value of `word` when it is at most `limit`. Offsets and lengths pass through here,
// so that no later arithmetic on them can overflow.
Result<std::size_t> small_value(ByteView word, std::size_t limit, const char* what) {
  U256 v = *U256::from_word(word);
  std::optional<std::uint64_t> small = v.to_u64();
  if (!small || *small > limit) {
    return corrupt(std::string(what) + " " + v.to_decimal() + " exceeds " + std::to_string(limit));
  }
  return static_cast<std::size_t>(*small);
}

}  // namespace

Selector function_selector(std::string_view signature) {
  Hash32 h = keccak256(signature);
  Selector s{};
  std::copy_n(h.bytes().begin(), s.size(), s.begin());
  return s;
}

Word encode_word(const U256& v) { return v.to_word(); }

Word encode_word(const Address& a) {
  Word w{};
  std::copy(a.bytes().begin(), a.bytes().end(), w.begin() + (kWordSize - Address::kSize));
  return w;
}

Bytes encode_args(std::span<const Value> args) {
  Bytes head;
  Bytes tail;
  HeadTailEncoder enc{head, tail, args.size() * kWordSize};
  for (const Value& arg : args) std::visit(enc, arg);
  head.insert(head.end(), tail.begin(), tail.end());
  return head;
}

Bytes encode_call(const Selector& selector, std::span<const Value> args) {
  Bytes out(selector.begin(), selector.end());
  Bytes body = encode_args(args);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

Bytes encode_call(const Selector& selector, std::initializer_list<Value> args) {
  return encode_call(selector, std::span<const Value>(args.begin(), args.size()));
}

Result<U256> decode_uint256(ByteView data, std::size_t index) {
  Result<ByteView> w = head_word(data, index, "uint256 word");
  if (!w.ok()) return w.status();
  return U256::from_word(*w);
}

Result<Address> decode_address(ByteView data, std::size_t index) {
  Result<ByteView> w = head_word(data, index, "address word");
  if (!w.ok()) return w.status();
  Result<Address> a = Address::from_word(*w);
  if (!a.ok()) return corrupt(a.status().message());
  return a;
}

Result<std::vector<U256>> decode_uint256_array_at(ByteView data, std::size_t index,
                                                  std::size_t max_len) {
  Result<ByteView> offset_word = head_word(data, index, "array offset");
  if (!offset_word.ok()) return offset_word.status();
  Result<std::size_t> offset = small_value(*offset_word, data.size(), "array offset");
  if (!offset.ok()) return offset.status();
  if (*offset % kWordSize != 0) {
    return corrupt("array offset " + std::to_string(*offset) + " is not a multiple of 32");
  }
  Result<ByteView> length_word = word_at(data, *offset, "array length");
  if (!length_word.ok()) return length_word.status();
  // Every element needs a word after the length word. Bounding the length by that room
  // before allocating means a hostile length cannot make us reserve gigabytes.
  const std::size_t room = (data.size() - *offset) / kWordSize - 1;  // >= 0: the length word fits
  Result<std::size_t> len = small_value(*length_word, room, "array length");
  if (!len.ok()) return len.status();
  if (*len > max_len) {
    return corrupt("array length " + std::to_string(*len) + " exceeds the limit " +
                   std::to_string(max_len));
  }
  std::vector<U256> out;
  out.reserve(*len);
  const std::size_t first = *offset + kWordSize;
  for (std::size_t i = 0; i < *len; ++i) {
    out.push_back(*U256::from_word(data.subspan(first + i * kWordSize, kWordSize)));
  }
  return out;
}

Result<std::vector<U256>> decode_uint256_array(ByteView returndata) {
  return decode_uint256_array_at(returndata, 0);
}

}  // namespace claimsync::eth::abi
