#pragma once
// Sets of small integers (downsets of units) as bitsets, each with a Zobrist hash, in an
// open-addressing index: the table of the downset searches (partition/downset.cpp,
// bounds/cluster_downset.cpp). Internal header.
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

namespace pipecut {

using BitWord = std::uint64_t;

inline bool test_bit(const BitWord* bits, int x) { return (bits[x >> 6] >> (x & 63)) & 1; }
inline void flip_bit(BitWord* bits, int x) { bits[x >> 6] ^= BitWord{1} << (x & 63); }

// The splitmix64 finaliser: the Zobrist key of each member.
inline std::uint64_t splitmix64(std::uint64_t z) {
  z += 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Ids in insertion order. A set's hash is the XOR of its members' keys, which callers update
// as they flip a member (hash ^ key(x)).
class BitsetIndex {
 public:
  explicit BitsetIndex(int universe) : words_((universe + 63) / 64), slots_(1 << 12, -1) {
    keys_.resize(universe);
    for (int x = 0; x < universe; ++x)
      keys_[x] = splitmix64(static_cast<std::uint64_t>(x) * 0x632be59bd9b4e019ULL + 1);
  }
  [[nodiscard]] int size() const { return static_cast<int>(hashes_.size()); }
  [[nodiscard]] int words() const { return words_; }
  [[nodiscard]] const BitWord* bits(int id) const {
    return data_.data() + std::size_t(id) * words_;
  }
  [[nodiscard]] std::uint64_t hash(int id) const { return hashes_[id]; }
  [[nodiscard]] std::uint64_t key(int member) const { return keys_[member]; }

  // The id of the set, or -1 (not after forget_index()).
  [[nodiscard]] int find(const BitWord* bits, std::uint64_t h) const {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
      const int id = slots_[i];
      if (id < 0) return -1;
      if (hashes_[id] == h && std::memcmp(this->bits(id), bits, sizeof(BitWord) * words_) == 0)
        return id;
    }
  }
  // Adds the set if it is new: its id, and whether it was added.
  std::pair<int, bool> insert(const BitWord* bits, std::uint64_t h) {
    if (const int id = find(bits, h); id >= 0) return {id, false};
    data_.insert(data_.end(), bits, bits + words_);
    hashes_.push_back(h);
    if (2 * hashes_.size() > slots_.size()) {
      slots_.assign(slots_.size() * 2, -1);
      for (int i = 0; i < size(); ++i) place(i);
    } else {
      place(size() - 1);
    }
    return {size() - 1, true};
  }
  // Frees the lookup slots once no more find() or insert() will come.
  void forget_index() {
    slots_.clear();
    slots_.shrink_to_fit();
  }

 private:
  void place(int id) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = hashes_[id] & mask;
    while (slots_[i] >= 0) i = (i + 1) & mask;
    slots_[i] = id;
  }
  int words_;
  std::vector<BitWord> data_;
  std::vector<std::uint64_t> hashes_, keys_;
  std::vector<int> slots_;
};

}  // namespace pipecut
