// Runs a callable as one atomic block on a transaction manager; shared by lockstep::atomic and
// the model layer's write units.
#pragma once

#include "lockstep/detail/transaction_manager.hpp"

#include <optional>
#include <type_traits>
#include <utility>

namespace lockstep::detail {

/// Opens a block, runs `body`, and closes the block as `body` returned or threw. Commit happens
/// here in normal control flow, never in a destructor.
template <class Body>
auto run_block(transaction_manager& tm, const atomic_options& options, Body& body)
    -> std::invoke_result_t<Body&> {
    using result = std::invoke_result_t<Body&>;
    const auto index = tm.open_block(options);
    if constexpr (std::is_void_v<result>) {
        try {
            body();
        } catch (...) {
            tm.exit_threw(index);
            throw;
        }
        tm.exit_returned(index);
    } else {
        std::optional<result> out;
        try {
            out.emplace(body());
        } catch (...) {
            tm.exit_threw(index);
            throw;
        }
        tm.exit_returned(index);
        return std::move(*out);
    }
}

/// Runs a model write's unit (its statement and its receivers' work) as a block without a
/// savepoint. Outside a block that is run_block's own transaction. Inside one it joins the
/// caller's without pushing a frame: a merged frame does nothing but mark the enclosing block
/// for rollback when its body throws, which this does directly, one fewer push and pop per
/// write.
template <class Body> void run_write_unit(transaction_manager& tm, Body& body) {
    if (!tm.in_block()) {
        run_block(tm, {.savepoint = false}, body);
        return;
    }
    tm.check_statement_allowed();
    const auto depth = tm.depth();
    try {
        body();
    } catch (...) {
        tm.write_unit_threw(depth);
        throw;
    }
    tm.write_unit_returned(depth);
}

} // namespace lockstep::detail
