// Out-of-line parts of signal dispatch: the references that keep each thread's snapshots
// alive, retired snapshots, and registry ids.
// SPDX-License-Identifier: MIT
#include "lockstep/signal.hpp"

#include <array>

namespace lockstep::detail {
namespace {

struct snapshot_owners {
    std::array<std::shared_ptr<const void>, dispatch_slot_count> owners;
    std::vector<std::shared_ptr<const void>> retired;
};

snapshot_owners& owners() {
    thread_local snapshot_owners o;
    return o;
}

} // namespace

void refresh_snapshot(snapshot_slot& slot, std::shared_ptr<const void> fresh, std::uint64_t stamp,
                      const void* first, const void* last) {
    auto& o = owners();
    auto& owner = o.owners[static_cast<std::size_t>(&slot - dispatch_slots)];
    slot.stamp = stamp;
    slot.first = first;
    slot.last = last;
    if (auto old = std::exchange(owner, std::move(fresh));
        old && dispatch_begun != dispatch_ended) {
        // Inside a dispatch the old list may be the one an outer dispatch on this thread is
        // iterating: keep it until the outermost dispatch ends. (Outside any dispatch it dies
        // here.) The vector keeps its capacity, so this allocates only while it grows.
        o.retired.push_back(std::move(old));
        dispatch_has_retired = true;
    }
}

void release_retired_snapshots() {
    // Destroying a list may run receivers' destructors, which may dispatch again: swap the
    // retired lists out first, and keep the capacity for next time.
    auto& o = owners();
    std::vector<std::shared_ptr<const void>> dying;
    dying.swap(o.retired);
    dispatch_has_retired = false;
    dying.clear();
    if (o.retired.empty())
        o.retired.swap(dying);
}

std::uint64_t next_signal_stamp() noexcept {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
}

} // namespace lockstep::detail
