// The templates of lockstep::connection's model layer (included at the end of connection.hpp).
// Not part of the API.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/connection.hpp"

namespace lockstep {

template <class F> auto connection::run(F&& statement) -> decltype(statement()) {
    auto& tm = state_->transactions;
    tm.check_statement_allowed();
    try {
        return statement();
    } catch (const error& e) {
        tm.statement_failed(e);
        throw;
    }
}

template <class F>
auto connection::run(std::string_view sql, std::span<const param> params, F&& statement,
                     bool inserted) -> decltype(statement()) {
    auto& tm = state_->transactions;
    tm.check_statement_allowed();
    if (state_->tracer) [[unlikely]]
        return run_traced(sql, params, statement, inserted);
    try {
        return statement();
    } catch (const error& e) {
        tm.statement_failed(e);
        throw;
    }
}

template <class F>
auto connection::run_traced(std::string_view sql, std::span<const param> params, F& statement,
                            bool inserted) -> decltype(statement()) {
    auto& tm = state_->transactions;
    std::vector<std::string> shown;
    statement_trace trace{sql, {}, -1, nullptr, nullptr};
    if (state_->trace_options.parameters) {
        for (std::size_t i = 0; i < params.size(); ++i)
            shown.push_back(state_->trace_options.parameters(i, params[i]));
        trace.parameters = &shown;
    }
    const auto report = [&] {
        try {
            state_->tracer->statement(trace);
        } catch (...) {
            // A tracer's failure must not change what the statement did.
        }
    };
    const auto started = std::chrono::steady_clock::now();
    try {
        auto result = statement();
        trace.duration = std::chrono::steady_clock::now() - started;
        using result_type = std::decay_t<decltype(result)>;
        if constexpr (std::is_same_v<result_type, std::vector<row>>)
            trace.rows = static_cast<std::int64_t>(result.size());
        else if constexpr (std::is_integral_v<result_type>)
            trace.rows = inserted ? 1 : static_cast<std::int64_t>(result);
        report();
        return result;
    } catch (const error& e) {
        trace.duration = std::chrono::steady_clock::now() - started;
        trace.failure = &e;
        report();
        tm.statement_failed(e);
        throw;
    }
}

template <class Model> void connection::insert_row(const table<Model>& t, Model& instance) {
    t.set_key(instance, gather_and_insert(t, instance, false, true)); // a given key comes back
}

// Inlined into each caller so that its constant flags fold away: add's path stays as short as
// when it had its own copy of these lines.
template <class Model>
[[gnu::always_inline]] inline std::int64_t
connection::gather_and_insert(const table<Model>& t, const Model& instance, bool check,
                              bool read_key) {
    const bool given_key = t.key_of(instance) != 0;
    detail::param_buffer params(t.columns().size());
    const auto used = t.insert_values(instance, params.data(), given_key, check);
    return insert_statement(t, params.view(used), given_key, read_key);
}

template <class Model>
void connection::insert_gathered(const table<Model>& t, Model& instance,
                                 std::span<const param> params, bool given_key) {
    t.set_key(instance, insert_statement(t, params, given_key)); // a given key comes back
}

template <class Model>
std::int64_t connection::update_row(const table<Model>& t, const Model& instance) {
    const auto n = t.columns().size();
    detail::param_buffer params(n);
    std::size_t used = 0;
    for (std::size_t i = 0; i < n; ++i)
        if (i != t.key_index())
            params.set(used++, t.get(instance, i));
    params.set(used++, t.get(instance, t.key_index()));
    return update_statement(t, params.view(used));
}

// The writes (insert, add, save, update, remove) are one function per model type, called from
// each call site rather than inlined into it. Inlined, insert put 2.5 KB into its caller: the
// compiler then left the caller's own code (the row's std::string constructors) uninlined, with
// a strlen call each, and the seed workload ran 1% slower on SQLite (docs/performance.md,
// "The heap top, and two cuts"). What they call stays inline within them.
template <class Model>
[[gnu::noinline]] Model connection::insert(const table<Model>& t, Model instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (!pre_save.has_receivers(&t)) {
        // Nobody can change the row before it is written: gather and check its values once,
        // before anything reaches the engine (semantics 2.1).
        const bool given_key = t.key_of(instance) != 0;
        detail::param_buffer params(t.columns().size());
        const auto values = params.view(t.insert_values(instance, params.data(), given_key, true));
        if (!post_save.has_receivers(&t)) {
            insert_gathered(t, instance, values, given_key); // one statement is atomic by itself
            return instance;
        }
        auto unit = [&] {
            insert_gathered(t, instance, values, given_key);
            post_save.send(saved<Model>{{*this, t, true}, instance}, &t);
        };
        // Outside a block this opens the unit's own transaction; inside one it joins the
        // caller's without a savepoint, so a receiver's exception marks the caller's block
        // (semantics 3.2).
        detail::run_block(state_->transactions, {.savepoint = false}, unit);
        return instance;
    }
    t.check_text_values(
        instance); // bad data fails before anything reaches the engine (semantics 2.1)
    auto unit = [&] {
        pre_save.send(saving<Model>{{*this, t, true}, instance}, &t);
        t.check_text_values(instance); // a receiver may have changed it
        insert_row(t, instance);
        post_save.send(saved<Model>{{*this, t, true}, instance}, &t);
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return instance;
}

template <class Model>
[[gnu::noinline]] void connection::add(const table<Model>& t, const Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (pre_save.has_receivers(&t) || post_save.has_receivers(&t)) {
        insert(t, instance); // the receivers see the row as insert gives it, key and all
        return;
    }
    // Nobody sees the row: check its values, then one statement, atomic by itself (semantics 2.1).
    gather_and_insert(t, instance, true, false);
}

template <class Model>
[[gnu::noinline]] bool connection::save(const table<Model>& t, Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    t.check_text_values(instance);
    bool created = t.key_of(instance) == 0;
    auto unit = [&] {
        pre_save.send(saving<Model>{{*this, t, created}, instance}, &t);
        t.check_text_values(instance);
        if (created || update_row(t, instance) == 0) {
            created = true;
            insert_row(t, instance);
        }
        post_save.send(saved<Model>{{*this, t, created}, instance}, &t);
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return created;
}

template <class Model>
[[gnu::noinline]] bool connection::update(const table<Model>& t, const Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    if (t.key_of(instance) == 0)
        throw usage_error("update() needs a row with a key; this " + t.name() +
                          " row has key 0. Use insert() or save() for new rows.");
    t.check_text_values(instance);
    Model copy = instance; // pre_save receivers may change what is written
    bool updated = false;
    auto unit = [&] {
        pre_save.send(saving<Model>{{*this, t, false}, copy}, &t);
        t.check_text_values(copy);
        updated = update_row(t, copy) > 0;
        if (updated)
            post_save.send(saved<Model>{{*this, t, false}, copy}, &t);
    };
    if (!pre_save.has_receivers(&t) && !post_save.has_receivers(&t))
        return update_row(t, copy) > 0;
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return updated;
}

template <class Model>
[[gnu::noinline]] bool connection::remove(const table<Model>& t, const Model& instance) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    const auto key = t.key_of(instance);
    if (key == 0)
        throw usage_error("remove() needs a row with a key; this " + t.name() +
                          " row has key 0, so it was never saved.");
    if (!pre_delete.has_receivers(&t) && !post_delete.has_receivers(&t))
        return delete_statement(t, key) > 0; // cascades happen inside this one statement
    bool deleted_row = false;
    auto unit = [&] {
        pre_delete.send(deleting<Model>{{*this, t}, instance}, &t);
        deleted_row = delete_statement(t, key) > 0;
        if (deleted_row)
            post_delete.send(deleted<Model>{{*this, t}, instance}, &t);
    };
    detail::run_block(state_->transactions, {.savepoint = false}, unit);
    return deleted_row;
}

template <class Model>
void connection::bulk_insert(const table<Model>& t, std::span<const Model> instances) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    for (const auto& instance : instances) // every value checked before anything is sent (6.2)
        t.check_text_values(instance);
    if (instances.empty())
        return;
    const auto columns = t.columns().size();
    const auto per_statement = detail::bulk_rows_per_statement(columns);
    constexpr std::size_t max_statement_bytes = 4 << 20; // far under any max_allowed_packet
    auto unit = [&] {
        std::vector<param> params;
        std::size_t next = 0;
        while (next < instances.size()) {
            // One run: consecutive rows that all have, or all lack, a key of their own.
            const bool given_key = t.key_of(instances[next]) != 0;
            std::size_t end = next + 1;
            while (end < instances.size() && (t.key_of(instances[end]) != 0) == given_key)
                ++end;
            const auto first = next;
            if (copy_statement(t, given_key, end - next, [&](std::size_t i, param* out) {
                    t.insert_values(instances[first + i], out, given_key, false);
                })) {
                next = end;
                continue;
            }
            params.resize(per_statement * columns);
            // The run is cut into statements here, so that finding a run's end stays one pass
            // over the rows (finding it again per statement made a long run quadratic).
            while (next < end) {
                std::size_t rows = 0, used = 0, bytes = 0;
                while (next < end && rows < per_statement && bytes < max_statement_bytes) {
                    const auto n =
                        t.insert_values(instances[next], params.data() + used, given_key, false);
                    for (std::size_t i = used; i < used + n; ++i)
                        bytes += detail::param_bytes(params[i]);
                    used += n;
                    ++rows;
                    ++next;
                }
                bulk_statement(t, std::span<const param>(params.data(), used), rows, given_key);
            }
        }
    };
    // Its own savepoint inside a block: a failure half-way leaves none of its rows (3.6).
    detail::run_block(state_->transactions, {.savepoint = true}, unit);
}

template <class Model> Model connection::to_model(const table<Model>& t, const row& r) const {
    Model m{};
    for (std::size_t i = 0; i < r.size(); ++i)
        t.set(m, i, r[i]);
    return m;
}

template <class Model, class T>
void connection::add_condition(const table<Model>& t, const equals<Model, T>& condition,
                               std::string& where, std::vector<param>& params) {
    const auto index = t.index_of(condition.member);
    const auto& quoted = sql_for(t).quoted_columns[index];
    where += where.empty() ? " WHERE " : " AND ";
    const auto p = detail::member_traits<T>::get(condition.value);
    if (std::holds_alternative<std::nullptr_t>(p)) {
        where += quoted + " IS NULL";
        return;
    }
    where += quoted + " = ?";
    params.push_back(p);
}

template <class Model>
std::optional<Model> connection::get(const table<Model>& t, std::int64_t key) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    const std::array<param, 1> params{key};
    const auto rows = select_statement(t, " WHERE " + sql_for(t).key_column + " = ?", params);
    if (rows.empty())
        return std::nullopt;
    return to_model(t, rows.front());
}

template <class Model, class... Conditions>
std::vector<Model> connection::find(const table<Model>& t, const Conditions&... conditions) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    std::string where;
    std::vector<param> params;
    (add_condition(t, conditions, where, params), ...);
    std::vector<Model> out;
    for (const auto& r : select_statement(t, where, params))
        out.push_back(to_model(t, r));
    return out;
}

template <class Model, class... Conditions>
std::int64_t connection::count(const table<Model>& t, const Conditions&... conditions) {
    const detail::owner_guard guard(state_.get()); // semantics 8.4
    std::string where;
    std::vector<param> params;
    (add_condition(t, conditions, where, params), ...);
    return count_statement(t, where, params);
}

namespace detail {

inline transaction_manager& connection_access::transactions(connection& db) {
    return db.transactions();
}
inline owner_guard connection_access::enter(connection& db) {
    return db.enter();
}
inline transaction_manager& connection_access::entered_transactions(connection& db) {
    return db.state_->transactions;
}
inline spi::session& connection_access::session(connection& db) {
    return db.session();
}

} // namespace detail
} // namespace lockstep
