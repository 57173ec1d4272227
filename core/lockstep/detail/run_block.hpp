// Runs a callable as one atomic block on a transaction manager; shared by lockstep::atomic and
// the model layer's write units.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/detail/transaction_manager.hpp"

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace lockstep::detail {

/// Runs `body`; then `returned()`, or `threw()` and a rethrow when `body` throws. Returns what
/// `body` returned, after `returned()` (which may throw, as a failed COMMIT does).
template <class Body, class Returned, class Threw>
auto run_and_close(Body& body, Returned&& returned, Threw&& threw) -> std::invoke_result_t<Body&> {
    using result = std::invoke_result_t<Body&>;
    if constexpr (std::is_void_v<result>) {
        try {
            body();
        } catch (...) {
            threw();
            throw;
        }
        returned();
    } else {
        std::optional<result> out;
        try {
            out.emplace(body());
        } catch (...) {
            threw();
            throw;
        }
        returned();
        return std::move(*out);
    }
}

/// Calls the callable at `f`, of type F: how the library runs a template's block body.
template <class F> void call_body(void* f) {
    (*static_cast<F*>(f))();
}

/// Opens a block, runs `body`, and closes the block as `body` returned or threw. Commit happens
/// here in normal control flow, never in a destructor. A nested block without a savepoint (every
/// model write's unit inside a caller's block) joins the enclosing block: no frame, nothing sent.
/// A nested block with one is a single call into the library (run_savepoint_block).
template <class Body>
auto run_block(transaction_manager& tm, const atomic_options& options, Body& body)
    -> std::invoke_result_t<Body&> {
    using result = std::invoke_result_t<Body&>;
    if (tm.joins_enclosing(options)) {
        const auto depth = tm.join();
        return run_and_close(
            body, [&] { tm.joined_returned(depth); }, [&] { tm.joined_threw(depth); });
    }
    if (tm.nests_plainly(options)) { // and does not join: it opens a savepoint
        if constexpr (std::is_void_v<result>) {
            using plain = std::remove_reference_t<Body>;
            tm.run_savepoint_block(&call_body<plain>, const_cast<void*>(static_cast<const void*>(
                                                          std::addressof(body))));
            return;
        } else {
            std::optional<result> out;
            auto fill = [&] { out.emplace(body()); };
            tm.run_savepoint_block(&call_body<decltype(fill)>, &fill);
            return std::move(*out);
        }
    }
    const auto index = tm.open_block(options);
    return run_and_close(
        body, [&] { tm.exit_returned(index); }, [&] { tm.exit_threw(index); });
}

} // namespace lockstep::detail
