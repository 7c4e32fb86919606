// ReplayCache: time is passed in (now_ms), so expiry is driven without sleeping.
#include <catch2/catch.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "node/webhooks/replay_cache.hpp"

using claimsync::node::ReplayCache;

TEST_CASE("first sighting is true, a replay within the window is false") {
  ReplayCache cache(16, 1000);
  CHECK(cache.first_sighting("alchemy", "whevt_1", 0));
  CHECK_FALSE(cache.first_sighting("alchemy", "whevt_1", 0));
  CHECK_FALSE(cache.first_sighting("alchemy", "whevt_1", 999));
  CHECK(cache.first_sighting("alchemy", "whevt_2", 500));
  CHECK(cache.size() == 2);
}

TEST_CASE("a key expires after the window, counted from its first sighting") {
  ReplayCache cache(16, 1000);
  CHECK(cache.first_sighting("quicknode", "n1", 100));
  CHECK_FALSE(cache.first_sighting("quicknode", "n1", 900));  // a replay does not refresh
  CHECK_FALSE(cache.first_sighting("quicknode", "n1", 1099));
  CHECK(cache.first_sighting("quicknode", "n1", 1100));
  CHECK_FALSE(cache.first_sighting("quicknode", "n1", 2099));
  CHECK(cache.first_sighting("quicknode", "n1", 2100));
  CHECK(cache.size() == 1);
}

TEST_CASE("when full, expired keys are dropped first, then the oldest") {
  ReplayCache cache(3, 100);
  CHECK(cache.first_sighting("p", "a", 0));
  CHECK(cache.first_sighting("p", "b", 10));
  CHECK(cache.first_sighting("p", "c", 90));
  CHECK(cache.size() == 3);

  // At 150, a and b are expired: both go, c stays.
  CHECK(cache.first_sighting("p", "d", 150));
  CHECK(cache.size() == 2);
  CHECK_FALSE(cache.first_sighting("p", "c", 150));
  CHECK(cache.first_sighting("p", "e", 160));
  CHECK(cache.size() == 3);

  // Full with nothing expired (c@90, d@150, e@160 at 170): the oldest, c, goes.
  CHECK(cache.first_sighting("p", "f", 170));
  CHECK(cache.size() == 3);
  CHECK_FALSE(cache.first_sighting("p", "d", 170));
  CHECK_FALSE(cache.first_sighting("p", "e", 170));
  CHECK_FALSE(cache.first_sighting("p", "f", 170));
  CHECK(cache.first_sighting("p", "c", 170));  // dropped early, so accepted again
  CHECK(cache.size() == 3);                    // and d, the oldest then, made room
  CHECK(cache.first_sighting("p", "d", 171));
}

TEST_CASE("the bound holds over many keys") {
  ReplayCache cache(100, 1'000'000);
  for (int i = 0; i < 10'000; ++i) {
    CHECK(cache.first_sighting("p", "k" + std::to_string(i), i));
    REQUIRE(cache.size() <= 100);
  }
  CHECK(cache.size() == 100);
  CHECK_FALSE(cache.first_sighting("p", "k9999", 10'000));
  CHECK_FALSE(cache.first_sighting("p", "k9900", 10'000));
  CHECK(cache.first_sighting("p", "k9899", 10'000));  // evicted as oldest
}

TEST_CASE("forget lets the provider's retry through") {
  ReplayCache cache(16, 1000);
  CHECK(cache.first_sighting("standard", "msg_1", 0));
  cache.forget("standard", "msg_1");
  CHECK(cache.size() == 0);
  CHECK(cache.first_sighting("standard", "msg_1", 1));
  CHECK_FALSE(cache.first_sighting("standard", "msg_1", 2));
  cache.forget("standard", "unknown");  // no-op
  cache.forget("alchemy", "msg_1");     // another provider's key: no-op
  CHECK_FALSE(cache.first_sighting("standard", "msg_1", 3));
  CHECK(cache.size() == 1);
}

TEST_CASE("providers' keys are independent") {
  ReplayCache cache(16, 1000);
  CHECK(cache.first_sighting("alchemy", "x", 0));
  CHECK(cache.first_sighting("moralis", "x", 0));
  CHECK(cache.first_sighting("ab", "c", 0));
  CHECK(cache.first_sighting("a", "bc", 0));  // not the same (provider, key) as ("ab", "c")
  CHECK_FALSE(cache.first_sighting("alchemy", "x", 1));
  CHECK_FALSE(cache.first_sighting("moralis", "x", 1));
  CHECK(cache.size() == 4);
}

TEST_CASE("ReplayCache refuses a zero capacity or window") {
  CHECK_THROWS_AS(ReplayCache(0, 1000), std::invalid_argument);
  CHECK_THROWS_AS(ReplayCache(10, 0), std::invalid_argument);
}

TEST_CASE("concurrent sightings: each key is first exactly once") {
  constexpr int kThreads = 4, kKeys = 20000, kCapacity = kKeys;
  ReplayCache cache(kCapacity, 1'000'000);
  std::atomic<int> firsts{0}, ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // All threads start together and walk the same keys, so they race on each one.
      ++ready;
      while (ready.load() < kThreads) std::this_thread::yield();
      for (int i = 0; i < kKeys; ++i) {
        if (cache.first_sighting("p", std::to_string(i), i)) ++firsts;
        if (i % 64 == 0) cache.forget("p", std::to_string(i));
      }
    });
  }
  for (std::thread& th : threads) th.join();
  // Keys forgotten right after their sighting may be first again for a later thread;
  // every other key is first exactly once (the window outlasts the test and the capacity
  // holds every key, so nothing is evicted).
  const int forgotten = (kKeys + 63) / 64;
  CHECK(firsts.load() >= kKeys);
  CHECK(firsts.load() <= kKeys + (kThreads - 1) * forgotten);
  CHECK(cache.size() <= static_cast<std::size_t>(kCapacity));
}
