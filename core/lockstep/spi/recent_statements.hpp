// A small cache of recently used statements keyed by the address of their SQL text: the core
// passes the same strings for a table's statements every time, so backends find a statement
// here without hashing its text. Four-way set associative, so the few statements a hot loop
// uses in turn (a write, its receiver's write, a savepoint's three statements) do not evict
// each other, wherever the allocator happened to put their texts.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>

namespace lockstep::spi {

/// Texts the core promised stay at their address, unchanged (session::note_stable_sql): their
/// address and length alone identify them.
class LOCKSTEP_API stable_texts {
public:
    /// Remembers that `text` stays at its address, unchanged.
    void note(std::string_view text) { lengths_[text.data()] = text.size(); }
    /// Forgets every text.
    void clear() noexcept { lengths_.clear(); }
    /// Was `text` (this address and length) noted?
    bool contains(std::string_view text) const noexcept {
        const auto it = lengths_.find(text.data());
        return it != lengths_.end() && it->second == text.size();
    }

private:
    std::unordered_map<const char*, std::size_t> lengths_;
};

/// `Entry` is what the backend keeps per statement; its `key` points at the cache's own copy of
/// the text (a string that starts with it). An entry is found by the text's address and length;
/// unless the text was noted stable, it is then compared with `*key`, since the memory may hold
/// other text by now (a caller's string freed and its memory reused).
///
/// Example:
///
///     if (auto* e = recent_.find(sql)) return e->statement;
///     ... prepare, then recent_.put(sql, {&cached_text, statement});
template <class Entry> class recent_statements {
public:
    /// The entry cached for `text` (same address and length), or null.
    Entry* find(std::string_view text) noexcept {
        for (auto& w : sets_[set_of(text)].ways)
            if (w.text == text.data() && w.size == text.size() &&
                (w.stable || std::memcmp(w.entry.key->data(), text.data(), text.size()) == 0))
                return &w.entry;
        return nullptr;
    }
    /// Remembers `entry` for `text`, replacing an entry for the same address (whose text
    /// changed), else the one put longest ago in its set. Returns the entry as stored.
    Entry& put(std::string_view text, const Entry& entry) {
        auto& ways = sets_[set_of(text)].ways;
        const way w{text.data(), text.size(), stable_.contains(text), entry};
        for (auto& e : ways)
            if (e.text == w.text && e.size == w.size) {
                e = w;
                return e.entry;
            }
        // Newest first: a hit then usually ends the search at the first way. Hits do not
        // reorder (no writes on the hot path); a cycle of up to four texts in one set never
        // misses, where an LRU of two ways would miss on every call of a cycle of three.
        for (std::size_t i = ways.size() - 1; i > 0; --i)
            ways[i] = ways[i - 1];
        ways[0] = w;
        return ways[0].entry;
    }
    /// See stable_texts: entries for `text` are then trusted by address.
    void note_stable(std::string_view text) { stable_.note(text); }
    /// Forgets the entries (their statements are gone), not which texts are stable.
    void clear() noexcept { sets_ = {}; }

    static constexpr std::size_t set_count = 8;    ///< sets, chosen by the text's address
    static constexpr std::size_t ways_per_set = 4; ///< entries per set, least recent replaced
    /// The set `text` lands in, from its address (exposed for tests).
    static std::size_t set_of(std::string_view text) noexcept {
        // Heap text is 16-byte aligned: drop those bits, and fold in higher ones so strings
        // allocated at a fixed stride do not all land in one set.
        const auto a = reinterpret_cast<std::uintptr_t>(text.data());
        return static_cast<std::size_t>((a >> 4) ^ (a >> 9) ^ (a >> 14)) % set_count;
    }

private:
    struct way {
        const char* text = nullptr;
        std::size_t size = 0;
        bool stable = false;
        Entry entry{};
    };
    struct set {
        std::array<way, ways_per_set> ways{};
    };
    std::array<set, set_count> sets_{};
    stable_texts stable_;
};

} // namespace lockstep::spi
