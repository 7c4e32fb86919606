// Ethereum primitives: hex, keccak-256, Address (EIP-55), Hash32, U256, ABI.
#include <catch2/catch.hpp>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

#include "rpc/abi.hpp"
#include "rpc/address.hpp"
#include "rpc/bytes.hpp"
#include "rpc/erc1155.hpp"
#include "rpc/hash32.hpp"
#include "rpc/keccak.hpp"
#include "rpc/uint256.hpp"

using namespace claimsync;
using namespace claimsync::eth;

namespace {

std::string kk(std::string_view s) { return keccak256(s).hex(); }

// Error message of a failed Result (fails the test if it succeeded).
template <typename T>
std::string error_of(const Result<T>& r) {
  REQUIRE_FALSE(r.ok());
  return r.status().message();
}

const std::string kMax256 =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";

}  // namespace

TEST_CASE("hex encoding round trip and errors") {
  Bytes b{0x00, 0x01, 0xab, 0xff};
  CHECK(to_hex(b) == "0x0001abff");
  CHECK(to_hex(b, false) == "0001abff");
  CHECK(to_hex(Bytes{}) == "0x");
  CHECK(*from_hex("0x0001ABff") == b);
  CHECK(*from_hex("0001abff") == b);
  CHECK(from_hex("0x")->empty());
  CHECK(from_hex("")->empty());
  CHECK_THAT(error_of(from_hex("0x123")), Catch::Contains("odd number of digits"));
  CHECK_THAT(error_of(from_hex("0x12g4")), Catch::Contains("'g' at position 4"));
  CHECK_THAT(error_of(from_hex(std::string("0x1\x07", 4))), Catch::Contains("byte 0x07"));
  CHECK(from_hex("0x 1").status().code() == ErrorCode::kInvalidArgument);
}

TEST_CASE("keccak-256 matches published vectors") {
  CHECK(kk("") == "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  CHECK(kk("abc") == "0x4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  CHECK(kk("The quick brown fox jumps over the lazy dog") ==
        "0x4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
  CHECK(kk("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "0x45d3b367a6904e6e8d502ee04999a7c27647f91fa845d456525fd352ae3d7371");
}

TEST_CASE("keccak-256 around the 136-byte rate boundary") {
  // Expected values from an independent implementation (foundry's `cast keccak`).
  CHECK(kk(std::string(135, 'a')) ==
        "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
  CHECK(kk(std::string(136, 'a')) ==
        "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
  CHECK(kk(std::string(137, 'a')) ==
        "0xd869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
  CHECK(kk(std::string(272, 'a')) ==
        "0xcf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8");
  CHECK(kk(std::string(1000, 'a')) ==
        "0xb6a4ac1f51884d71f30fa397a5e155de3099e11fc0edef5d08b646e621e19de9");
}

TEST_CASE("ERC-1155 event topics are computed") {
  CHECK(transfer_single_topic().hex() ==
        "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62");
  CHECK(transfer_batch_topic().hex() ==
        "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb");
}

TEST_CASE("EIP-55 vectors from the EIP") {
  const char* vectors[] = {
      // all caps
      "0x52908400098527886E0F7030069857D2E4169EE7",
      "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
      // all lower
      "0xde709f2102306220921060314715629080e2fb77",
      "0x27b1fdb04752bbc536007a920d24acb045561c26",
      // normal
      "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
      "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
      "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
      "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
  };
  for (const char* v : vectors) {
    INFO(v);
    Result<Address> a = Address::parse(v);
    REQUIRE(a.ok());
    // The all-caps / all-lower vectors are ones whose checksum form is exactly that case.
    CHECK(a->checksummed() == v);
    std::string lower = v;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    lower[1] = 'x';
    CHECK(a->lower_hex() == lower);
    CHECK(*Address::parse(lower) == *a);
  }
}

TEST_CASE("Address accepts uniform case without checksum, rejects bad mixed case") {
  // All-upper of an address whose checksum is mixed: accepted (no checksum claimed).
  Result<Address> upper = Address::parse("0x5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED");
  REQUIRE(upper.ok());
  CHECK(upper->checksummed() == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  // One letter's case flipped: the checksum no longer matches.
  CHECK_THAT(
      error_of(Address::parse("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD")),
      Catch::Contains("EIP-55") && Catch::Contains("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"));
  CHECK_THAT(error_of(Address::parse("0xfb6916095ca1df60bB79Ce92cE3Ea74c37c5d359")),
             Catch::Contains("checksum"));
}

TEST_CASE("Address rejects bad length, prefix and characters with clear messages") {
  CHECK_THAT(error_of(Address::parse("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed")),
             Catch::Contains("must start with 0x"));
  CHECK_THAT(error_of(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae")),
             Catch::Contains("40 hex digits, got 39"));
  CHECK_THAT(error_of(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed00")),
             Catch::Contains("got 42"));
  CHECK_THAT(error_of(Address::parse("0x")), Catch::Contains("got 0"));
  CHECK_THAT(error_of(Address::parse("")), Catch::Contains("must start with 0x"));
  CHECK_THAT(error_of(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaez")),
             Catch::Contains("'z' at position 41"));
  CHECK(Address::parse("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed").status().ok());
}

TEST_CASE("Address from ABI word, zero address, ordering and hashing") {
  Address a = *Address::parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  Bytes word = *from_hex("0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  CHECK(*Address::from_word(word) == a);
  word[0] = 1;
  CHECK_THAT(error_of(Address::from_word(word)), Catch::Contains("non-zero padding"));
  word[0] = 0;
  word[11] = 0x80;
  CHECK_FALSE(Address::from_word(word).ok());
  CHECK_THAT(error_of(Address::from_word(Bytes(31, 0))), Catch::Contains("32 bytes"));
  CHECK(Address().is_zero());
  CHECK_FALSE(a.is_zero());
  CHECK(Address() < a);
  CHECK(
      abi::encode_word(a) ==
      Hash32::parse("0x000000000000000000000000f39fd6e51aad88f6f4ce6ab8827279cfffb92266")->bytes());
  std::unordered_set<Address> set{a, Address(), a};
  CHECK(set.size() == 2);
}

TEST_CASE("Hash32 parse, from_bytes and errors") {
  const std::string hex = "0x65385d2e2e9db9822cace368054a64dde654c1200a664657fe3c89f088ef39c2";
  Result<Hash32> h = Hash32::parse(hex);
  REQUIRE(h.ok());
  CHECK(h->hex() == hex);
  CHECK(*Hash32::parse("0x65385D2E2E9DB9822CACE368054A64DDE654C1200A664657FE3C89F088EF39C2") == *h);
  CHECK(*Hash32::from_bytes(h->bytes()) == *h);
  CHECK(Hash32().is_zero());
  CHECK_FALSE(h->is_zero());
  CHECK_THAT(error_of(Hash32::parse(hex.substr(2))), Catch::Contains("0x"));
  CHECK_THAT(error_of(Hash32::parse(hex.substr(0, 65))), Catch::Contains("got 63 digits"));
  CHECK_THAT(error_of(Hash32::parse(hex + "00")), Catch::Contains("got 66 digits"));
  CHECK_THAT(error_of(Hash32::parse("0x" + std::string(63, '0') + "q")), Catch::Contains("'q'"));
  CHECK_THAT(error_of(Hash32::from_bytes(Bytes(33, 0))), Catch::Contains("got 33"));
  std::unordered_set<Hash32> set{*h, Hash32(), *h};
  CHECK(set.size() == 2);
}

TEST_CASE("U256 quantity parsing follows JSON-RPC rules") {
  CHECK(*U256::from_quantity("0x0") == U256(0));
  CHECK(*U256::from_quantity("0x1") == U256(1));
  CHECK(*U256::from_quantity("0xff") == U256(255));
  CHECK(*U256::from_quantity("0xFF") == U256(255));
  CHECK(*U256::from_quantity("0x" + std::string(64, 'f')) == *U256::from_decimal(kMax256));
  CHECK_THAT(error_of(U256::from_quantity("0x00")), Catch::Contains("leading zeros"));
  CHECK_THAT(error_of(U256::from_quantity("0x01")), Catch::Contains("leading zeros"));
  CHECK_THAT(error_of(U256::from_quantity("0x")), Catch::Contains("no digits"));
  CHECK_THAT(error_of(U256::from_quantity("ff")), Catch::Contains("must start with 0x"));
  CHECK_THAT(error_of(U256::from_quantity("")), Catch::Contains("must start with 0x"));
  CHECK_THAT(error_of(U256::from_quantity("12")), Catch::Contains("must start with 0x"));
  CHECK_THAT(error_of(U256::from_quantity("0x1" + std::string(64, '0'))),
             Catch::Contains("more than 64"));
  CHECK_THAT(error_of(U256::from_quantity("0x1g")), Catch::Contains("'g' at position 3"));
  CHECK_THAT(error_of(U256::from_quantity("0x-1")), Catch::Contains("'-'"));
  for (ErrorCode c :
       {U256::from_quantity("0x").status().code(), U256::from_quantity("1").status().code()}) {
    CHECK(c == ErrorCode::kInvalidArgument);
  }
}

TEST_CASE("U256 decimal round trip, quantities and words") {
  for (const std::string& d :
       {std::string("0"), std::string("1"), std::string("18446744073709551615"),
        std::string("18446744073709551616"), kMax256}) {
    INFO(d);
    Result<U256> v = U256::from_decimal(d);
    REQUIRE(v.ok());
    CHECK(v->to_decimal() == d);
    CHECK(*U256::from_quantity(v->to_quantity()) == *v);
    CHECK(*U256::from_word(v->to_word()) == *v);
  }
  CHECK(U256::from_decimal(kMax256)->to_quantity() == "0x" + std::string(64, 'f'));
  CHECK(U256(0).to_quantity() == "0x0");
  CHECK(U256(4096).to_quantity() == "0x1000");
  CHECK(U256::from_decimal("18446744073709551616")->to_quantity() == "0x10000000000000000");
  CHECK(*U256::from_decimal("007") == U256(7));
  // 2^256 overflows.
  CHECK_THAT(error_of(U256::from_decimal(
                 "115792089237316195423570985008687907853269984665640564039457584007913129639936")),
             Catch::Contains("does not fit"));
  CHECK_THAT(error_of(U256::from_decimal(std::string(200, '9'))), Catch::Contains("does not fit"));
  CHECK_THAT(error_of(U256::from_decimal("")), Catch::Contains("empty"));
  CHECK_THAT(error_of(U256::from_decimal("12a")), Catch::Contains("position 2"));
  CHECK_THAT(error_of(U256::from_decimal("-1")), Catch::Contains("position 0"));
  CHECK_THAT(error_of(U256::from_decimal("0x10")), Catch::Contains("position 1"));
  CHECK_THAT(error_of(U256::from_word(Bytes(31, 0))), Catch::Contains("32 bytes"));

  std::array<std::uint8_t, 32> w{};
  w[0] = 0x01;  // 2^248
  w[31] = 0x02;
  U256 v = *U256::from_word(w);
  CHECK(v.to_word() == w);
  CHECK(v.to_quantity() == "0x1" + std::string(60, '0') + "02");
}

TEST_CASE("U256 comparisons and u64 access") {
  U256 max = *U256::from_decimal(kMax256);
  U256 two64 = *U256::from_decimal("18446744073709551616");
  CHECK(U256(0) < U256(1));
  CHECK(U256(1) > U256(0));
  CHECK(U256(~0ULL) < two64);
  CHECK(two64 < max);
  CHECK(max > two64);
  CHECK(max == *U256::from_quantity("0x" + std::string(64, 'f')));
  CHECK(U256(5) <= U256(5));
  CHECK(U256(5) != U256(6));
  // A higher limb dominates a lower one.
  CHECK(*U256::from_quantity("0x1" + std::string(48, '0')) >
        *U256::from_quantity("0x" + std::string(48, 'f')));
  CHECK(U256(42).to_u64() == 42u);
  CHECK(U256(~0ULL).fits_u64());
  CHECK_FALSE(two64.fits_u64());
  CHECK_FALSE(two64.to_u64().has_value());
}

TEST_CASE("ABI selectors and call encoding match cast") {
  CHECK(to_hex(abi::function_selector("balanceOfBatch(address[],uint256[])")) == "0x4e1273f4");
  CHECK(to_hex(abi::function_selector("transfer(address,uint256)")) == "0xa9059cbb");

  std::ifstream in(CLAIMSYNC_SOURCE_DIR "/tests/fixtures/erc1155_balance_of_batch.json");
  REQUIRE(in.good());
  nlohmann::json fx = nlohmann::json::parse(in);
  std::vector<Address> accounts;
  for (const auto& a : fx["accounts"]) accounts.push_back(*Address::parse(a.get<std::string>()));
  std::vector<U256> ids;
  for (const auto& i : fx["ids"]) ids.push_back(*U256::from_decimal(i.get<std::string>()));

  Bytes calldata = abi::encode_call(abi::function_selector("balanceOfBatch(address[],uint256[])"),
                                    {accounts, ids});
  CHECK(to_hex(calldata) == fx["calldata"].get<std::string>());

  Result<std::vector<U256>> balances =
      abi::decode_uint256_array(*from_hex(fx["returndata"].get<std::string>()));
  REQUIRE(balances.ok());
  REQUIRE(balances->size() == fx["balances"].size());
  for (std::size_t i = 0; i < balances->size(); ++i) {
    CHECK((*balances)[i].to_decimal() == fx["balances"][i].get<std::string>());
  }
}

TEST_CASE("ABI static args and mixed head/tail") {
  Address a = *Address::parse("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
  // f(address,uint256[],uint256): head = a, offset 0x60, 9; tail = len 1, 7.
  Bytes enc = abi::encode_args(std::vector<abi::Value>{a, std::vector<U256>{7}, U256(9)});
  REQUIRE(enc.size() == 5 * 32);
  CHECK(*abi::decode_address(enc, 0) == a);
  CHECK(*abi::decode_uint256(enc, 1) == U256(0x60));
  CHECK(*abi::decode_uint256(enc, 2) == U256(9));
  CHECK(*abi::decode_uint256_array_at(enc, 1) == std::vector<U256>{7});
  CHECK(abi::decode_uint256(enc, 5).status().code() == ErrorCode::kCorruption);
  CHECK(abi::decode_uint256(enc, SIZE_MAX).status().code() == ErrorCode::kCorruption);
  CHECK(abi::decode_address(enc, 1).ok());  // 0x60 has zero padding
  CHECK_FALSE(abi::decode_address(*from_hex("0x" + std::string(64, 'f')), 0).ok());
  CHECK(abi::encode_args({}).empty());
  CHECK(abi::decode_uint256_array(abi::encode_args(std::vector<abi::Value>{std::vector<U256>{}}))
            ->empty());
  CHECK_THAT(error_of(abi::decode_uint256_array_at(enc, 1, 0)),
             Catch::Contains("exceeds the limit"));
}
