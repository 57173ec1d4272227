// Per-thread snapshot slots that let signal dispatch run without taking a lock.
#include "lockstep/signal.hpp"

#include <array>

namespace lockstep::detail {
namespace {

constexpr std::size_t slot_count = 32;

struct thread_state {
    std::array<snapshot_slot, slot_count> slots;
    std::vector<std::shared_ptr<const void>> retired;
    int depth = 0;
};

thread_state& state() noexcept {
    thread_local thread_state s;
    return s;
}

} // namespace

snapshot_slot& thread_snapshot_slot(std::uint64_t registry_id) noexcept {
    // Ids are sequential, so direct mapping spreads the few signals a program has.
    return state().slots[registry_id % slot_count];
}

void retire_snapshot(std::shared_ptr<const void> list) {
    // Called only inside a dispatch: the list may be the one an outer dispatch on this thread
    // is iterating. The vector keeps its capacity, so this allocates only while it grows.
    state().retired.push_back(std::move(list));
}

std::uint64_t next_signal_registry_id() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
}

dispatch_scope::dispatch_scope() noexcept {
    ++state().depth;
}

dispatch_scope::~dispatch_scope() {
    auto& s = state();
    if (--s.depth == 0 && !s.retired.empty()) {
        // Destroying a list may run receivers' destructors, which may dispatch again: swap
        // the retired lists out first.
        std::vector<std::shared_ptr<const void>> dying;
        dying.swap(s.retired);
        dying.clear();
        if (s.retired.empty())
            s.retired.swap(dying); // keep the capacity for next time
    }
}

} // namespace lockstep::detail
