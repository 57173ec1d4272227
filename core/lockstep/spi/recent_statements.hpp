// A small cache of recently used statements keyed by the address of their SQL text: the core
// passes the same strings for a table's statements every time, so backends find a statement
// here without hashing its text. Two-way set associative, so two statements used in turn (a
// write and its receiver's write) never evict each other.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace lockstep::spi {

/// `Entry` has `const char* text` and `std::size_t size`, plus whatever the backend keeps. A
/// hit only means the same address and length: the caller must still compare the text, since
/// the memory may hold other text by now.
///
/// Example:
///
///     if (auto* e = recent_.find(sql.data(), sql.size()); e && same_text(*e, sql)) ...
template <class Entry> class recent_statements {
public:
    Entry* find(const char* text, std::size_t size) noexcept {
        for (auto& e : sets_[index(text)].ways)
            if (e.text == text && e.size == size)
                return &e;
        return nullptr;
    }
    /// Remembers `entry`, replacing an entry for the same address (whose text changed), else
    /// the older of the two in its set.
    void put(const Entry& entry) noexcept {
        auto& s = sets_[index(entry.text)];
        for (auto& e : s.ways)
            if (e.text == entry.text && e.size == entry.size) {
                e = entry;
                return;
            }
        s.ways[s.next] = entry;
        s.next ^= 1u;
    }
    void clear() noexcept { sets_ = {}; }

private:
    static constexpr std::size_t set_count = 8;
    static std::size_t index(const char* text) noexcept {
        // Heap text is 16-byte aligned: drop those bits, and fold in higher ones so strings
        // allocated at a fixed stride do not all land in one set.
        const auto a = reinterpret_cast<std::uintptr_t>(text);
        return static_cast<std::size_t>((a >> 4) ^ (a >> 9) ^ (a >> 14)) % set_count;
    }
    struct set {
        std::array<Entry, 2> ways{};
        unsigned next = 0;
    };
    std::array<set, set_count> sets_{};
};

} // namespace lockstep::spi
