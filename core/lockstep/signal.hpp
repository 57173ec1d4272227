// Thread-safe signals: receivers connected through owning subscriptions, dispatched on a snapshot
// in connection order (semantics 3.4, 3.5).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace lockstep {

namespace detail {

/// The part of a signal that subscriptions point at, so a subscription can outlive its signal.
class LOCKSTEP_API signal_registry_base {
public:
    virtual ~signal_registry_base() = default;
    virtual void disconnect(std::uint64_t id) noexcept = 0;
};

/// Each thread keeps the receiver list it last dispatched for each signal, with the signal's
/// stamp at that time: while nobody connects or disconnects, a dispatch takes no lock and
/// touches no reference count. A stamp is process-unique (every change to any signal takes a
/// new one), so one comparison tells both "same signal" and "same version". The slots are
/// trivial, so reaching them costs no TLS guard; the references that keep their lists alive
/// sit beside them, touched only on a refresh.
struct LOCKSTEP_API snapshot_slot {
    std::uint64_t stamp;
    const void* first; // the list's receivers, [first, last): one load less per dispatch
    const void* last;
};

inline constexpr std::size_t dispatch_slot_count = 32;
LOCKSTEP_API inline thread_local snapshot_slot dispatch_slots[dispatch_slot_count]{};
/// This thread's dispatches so far, begun and ended: their difference is the nesting depth.
/// Two counters rather than one depth, so that a dispatch's increment at its start and its
/// increment at its end do not wait on each other through memory (each counter's chain is one
/// update per dispatch). `dispatch_has_retired` is set while lists retired during a dispatch
/// wait for the outermost one to end.
LOCKSTEP_API inline thread_local unsigned dispatch_begun = 0;
LOCKSTEP_API inline thread_local unsigned dispatch_ended = 0;
LOCKSTEP_API inline thread_local bool dispatch_has_retired = false;

/// Points `slot` at `fresh` as of `stamp`, keeping `fresh` alive; the list it replaces stays
/// alive until this thread's outermost dispatch ends (an outer dispatch of a signal sharing the
/// slot may still be iterating it).
LOCKSTEP_API void refresh_snapshot(snapshot_slot& slot, std::shared_ptr<const void> fresh,
                                   std::uint64_t stamp, const void* first, const void* last);
/// Frees the lists retired during the dispatch that just ended on this thread.
LOCKSTEP_API void release_retired_snapshots();
/// A process-unique stamp for a signal's new receiver list (never reused, unlike addresses).
LOCKSTEP_API std::uint64_t next_signal_stamp() noexcept;

/// Marks a dispatch on this thread; the outermost one frees the lists retired meanwhile.
class LOCKSTEP_API dispatch_scope {
public:
    dispatch_scope() noexcept { ++dispatch_begun; }
    ~dispatch_scope() {
        if (++dispatch_ended == dispatch_begun && dispatch_has_retired) // outermost ended
            release_retired_snapshots();
    }
    dispatch_scope(const dispatch_scope&) = delete;
    dispatch_scope& operator=(const dispatch_scope&) = delete;
};

} // namespace detail

/// Owns one receiver's connection to a signal: destroying it (or calling `disconnect`)
/// disconnects the receiver. Move-only. Safe to destroy on any thread, during a dispatch, and
/// after the signal itself is gone.
///
/// Example:
///
///     auto sub = lockstep::post_save.connect(authors, on_author_saved);
///     // ... receivers run while `sub` lives ...
///     sub.disconnect();
class [[nodiscard]] subscription {
public:
    subscription() = default;
    /// Made by `signal::connect`; applications do not call it.
    subscription(std::weak_ptr<detail::signal_registry_base> registry, std::uint64_t id) noexcept
        : registry_(std::move(registry)), id_(id) {}
    /// Takes over `other`'s receiver; `other` then disconnects nothing.
    subscription(subscription&& other) noexcept
        : registry_(std::move(other.registry_)), id_(std::exchange(other.id_, 0)) {}
    /// Disconnects this subscription's receiver, then takes over `other`'s.
    subscription& operator=(subscription&& other) noexcept {
        if (this != &other) {
            disconnect();
            registry_ = std::move(other.registry_);
            id_ = std::exchange(other.id_, 0);
        }
        return *this;
    }
    subscription(const subscription&) = delete;
    subscription& operator=(const subscription&) = delete;
    ~subscription() { disconnect(); }

    /// Disconnects the receiver; later calls do nothing. A dispatch already under way still
    /// calls it (the dispatch works on a snapshot).
    void disconnect() noexcept {
        if (id_ == 0)
            return;
        if (auto registry = registry_.lock())
            registry->disconnect(id_);
        id_ = 0;
        registry_.reset();
    }
    /// Is this subscription connected? False after `disconnect`, and for the no-op subscription
    /// that a duplicate dedup key returns.
    bool connected() const noexcept { return id_ != 0 && !registry_.expired(); }

private:
    std::weak_ptr<detail::signal_registry_base> registry_;
    std::uint64_t id_ = 0;
};

/// How a receiver is connected.
struct LOCKSTEP_API connect_options {
    /// Only events sent by this sender reach the receiver; null means every sender. Model signals
    /// use the table as the sender.
    const void* sender = nullptr;
    /// A second `connect` with the same non-empty key, while the first is connected, is a no-op.
    std::string dedup_key{};
};

/// One receiver's failure, as `send_robust` reports it.
struct LOCKSTEP_API receiver_failure {
    std::size_t receiver_index; ///< position among the receivers that were called, from 0
    std::exception_ptr error;   ///< what it threw
};

/// A signal that carries `Event` to its receivers.
///
/// `send` calls the receivers connected when it starts, in connection order; the first exception
/// stops the dispatch and propagates. `send_robust` calls every receiver and returns the failures.
/// Connecting and disconnecting are thread-safe and allowed during a dispatch, including by the
/// receiver being called. A signal with no receivers costs one relaxed atomic load per send, and
/// so does a send whose receivers all listen to other senders; one with receivers takes no lock
/// while nobody connects or disconnects (each thread caches the receiver list it last used, so a
/// disconnected receiver's captures are destroyed when that thread next dispatches this signal, or
/// exits).
///
/// Example:
///
///     lockstep::signal<order_paid> paid;
///     auto sub = paid.connect([](const order_paid& e) { notify(e.order_id); });
///     paid.send(order_paid{42});
template <class Event> class signal {
public:
    using receiver = std::function<void(const Event&)>; ///< what `connect` stores

    signal() : registry_(std::make_shared<registry>()) {}
    signal(const signal&) = delete;
    signal& operator=(const signal&) = delete;

    /// Connects `fn`; the receiver stays connected while the returned subscription lives.
    template <class F> subscription connect(F&& fn, connect_options options = {}) {
        static_assert(std::is_invocable_v<F&, const Event&>,
                      "A receiver must be callable with the signal's event type");
        return registry_->add(receiver(std::forward<F>(fn)), std::move(options), registry_);
    }

    /// Calls the receivers for `sender` (and those connected for every sender) in connection
    /// order. The first exception stops the dispatch and propagates.
    void send(const Event& event, const void* sender = nullptr) const {
        if (registry_->reach_of(sender) == reach::none)
            return;
        const detail::dispatch_scope scope;
        for (const auto& e : registry_->current())
            if (e.sender == nullptr || e.sender == sender)
                e.fn(event);
    }

    /// Calls every receiver for `sender`, even after one throws; returns the failures.
    std::vector<receiver_failure> send_robust(const Event& event,
                                              const void* sender = nullptr) const {
        std::vector<receiver_failure> failures;
        if (registry_->reach_of(sender) == reach::none)
            return failures;
        const detail::dispatch_scope scope;
        std::size_t index = 0;
        for (const auto& e : registry_->current()) {
            if (e.sender != nullptr && e.sender != sender)
                continue;
            try {
                e.fn(event);
            } catch (...) {
                failures.push_back({index, std::current_exception()});
            }
            ++index;
        }
        return failures;
    }

    /// Would `send(event, sender)` call anyone? Cheap: use it to skip building costly events.
    bool has_receivers(const void* sender = nullptr) const {
        if (const auto r = registry_->reach_of(sender); r != reach::unknown)
            return r == reach::certain;
        // No dispatch_scope: nothing is called, and a list this replaces outside any dispatch
        // is freed at once (refresh_snapshot), inside one when that dispatch ends.
        for (const auto& e : registry_->current())
            if (e.sender == nullptr || e.sender == sender)
                return true;
        return false;
    }

    /// How many receivers are connected (for every sender).
    std::size_t receiver_count() const { return registry_->count.load(); }

private:
    // What a dispatch reads sits together; ids and dedup keys are only read when connecting.
    struct hot_entry {
        const void* sender;
        receiver fn;
    };
    struct cold_entry {
        std::uint64_t id;
        std::string dedup_key;
    };
    struct list {
        std::vector<hot_entry> hot;
        std::vector<cold_entry> cold;
    };
    /// Whether a sender's events reach a receiver: surely not, surely, or only the list knows.
    enum class reach { none, certain, unknown };

    // Copy-on-write list: a dispatch takes the current list and keeps it alive while it runs,
    // so receivers may connect and disconnect (themselves included) at any time.
    struct registry final : detail::signal_registry_base {
        // What every send and has_receivers reads comes first, in the object's first cache
        // line: a write that sends two model signals touches one line of each registry.
        // Who the receivers listen to, in one word so that a reader never sees half a change:
        // no_receivers, the one sender every receiver is bound to (a model signal whose
        // receivers all watch one table), or mixed_senders (several, or a receiver for every
        // sender). Lets has_receivers and send answer "nobody for this sender" without the list.
        static constexpr std::uintptr_t no_receivers = 0;
        static constexpr std::uintptr_t mixed_senders = 1; // no object lives at address 1
        std::atomic<std::uintptr_t> senders{no_receivers};
        // A new one, under the mutex, with every change; the first also picks the slot.
        std::atomic<std::uint64_t> stamp{detail::next_signal_stamp()};
        const std::size_t slot_index = stamp.load() % detail::dispatch_slot_count;
        std::atomic<std::size_t> count{0};
        std::mutex mutex;
        std::shared_ptr<const list> entries = std::make_shared<const list>();
        std::uint64_t next_id = 1;

        /// What the summary alone says about `sender`'s events.
        reach reach_of(const void* sender) const noexcept {
            const auto s = senders.load(std::memory_order_relaxed);
            if (s == no_receivers) // the common case first: one load and one test
                return reach::none;
            if (s == reinterpret_cast<std::uintptr_t>(sender))
                return reach::certain;
            return s == mixed_senders ? reach::unknown : reach::none;
        }

        /// Called under the mutex after every change to `entries`.
        void publish(const list& now) noexcept {
            std::uintptr_t s = no_receivers;
            for (const auto& e : now.hot) {
                const auto one = reinterpret_cast<std::uintptr_t>(e.sender);
                if (e.sender == nullptr || (s != no_receivers && s != one)) {
                    s = mixed_senders;
                    break;
                }
                s = one;
            }
            senders.store(s, std::memory_order_relaxed);
            count.store(now.hot.size(), std::memory_order_relaxed);
            stamp.store(detail::next_signal_stamp(), std::memory_order_release);
        }

        /// The receivers as of now, through this thread's cached snapshot. Only valid inside a
        /// dispatch_scope, which keeps a replaced snapshot alive.
        // The stamp test is inlined into every send; the refresh, rare, is not.
        [[gnu::always_inline]] std::span<const hot_entry> current() {
            auto& slot = detail::dispatch_slots[slot_index];
            if (slot.stamp != stamp.load(std::memory_order_acquire)) [[unlikely]]
                refresh(slot);
            return {static_cast<const hot_entry*>(slot.first),
                    static_cast<const hot_entry*>(slot.last)};
        }

        [[gnu::noinline]] void refresh(detail::snapshot_slot& slot) {
            std::shared_ptr<const list> fresh;
            std::uint64_t fresh_stamp;
            {
                const std::lock_guard lock(mutex);
                fresh = entries;
                fresh_stamp = stamp.load(std::memory_order_relaxed);
            }
            const auto& hot = fresh->hot;
            detail::refresh_snapshot(slot, std::move(fresh), fresh_stamp, hot.data(),
                                     hot.data() + hot.size());
        }

        subscription add(receiver fn, connect_options options,
                         const std::shared_ptr<registry>& self) {
            const std::lock_guard lock(mutex);
            if (!options.dedup_key.empty())
                for (const auto& e : entries->cold)
                    if (e.dedup_key == options.dedup_key)
                        return subscription{};
            auto updated = std::make_shared<list>(*entries);
            const auto id = next_id++;
            updated->hot.push_back({options.sender, std::move(fn)});
            updated->cold.push_back({id, std::move(options.dedup_key)});
            entries = std::move(updated);
            publish(*entries);
            return subscription{std::weak_ptr<detail::signal_registry_base>(self), id};
        }

        void disconnect(std::uint64_t id) noexcept override {
            std::shared_ptr<const list> old; // released outside the lock: receivers may disconnect
            try {
                const std::lock_guard lock(mutex);
                auto updated = std::make_shared<list>();
                updated->hot.reserve(entries->hot.size());
                updated->cold.reserve(entries->cold.size());
                for (std::size_t i = 0; i < entries->cold.size(); ++i)
                    if (entries->cold[i].id != id) {
                        updated->hot.push_back(entries->hot[i]);
                        updated->cold.push_back(entries->cold[i]);
                    }
                old = std::exchange(entries, std::move(updated));
                publish(*entries);
            } catch (...) {
                // Out of memory while copying the list: leave the receiver connected rather
                // than crash in a destructor.
            }
        }
    };

    std::shared_ptr<registry> registry_;
};

} // namespace lockstep
