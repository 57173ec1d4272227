// The model signals pre_save, post_save, pre_delete and post_delete, and their typed events.
// Receivers run synchronously in the caller's transaction, on the caller's connection (semantics
// 3). SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/export.hpp"
#include "lockstep/signal.hpp"
#include "lockstep/table.hpp"

namespace lockstep {

class connection;

/// What every save event carries, whatever the model: for receivers of every table.
struct LOCKSTEP_API save_event {
    connection& db;          ///< write through this connection to join the caller's transaction
    const table_base& table; ///< the sender
    bool created;            ///< is this an insert (true) or an update (false)?
};

/// Sent by `pre_save` before a row is written. The receiver may change `instance`; the write
/// uses what it leaves there.
template <class Model> struct saving : save_event {
    Model& instance; ///< the row about to be written; a receiver may change it
};

/// Sent by `post_save` after a row is written; `instance` holds the engine-given key.
template <class Model> struct saved : save_event {
    const Model& instance; ///< the row as written, key included
};

/// What every delete event carries, whatever the model.
struct LOCKSTEP_API delete_event {
    connection& db;          ///< the connection that is writing: receivers write through it
    const table_base& table; ///< the table written to (the sender receivers filter on)
};

/// Sent by `pre_delete` before the row is deleted.
template <class Model> struct deleting : delete_event {
    const Model& instance; ///< the row about to be deleted
};

/// Sent by `post_delete` after the row (and the rows that cascade from it) are deleted.
template <class Model> struct deleted : delete_event {
    const Model& instance; ///< the row that was deleted
};

/// A model signal: a `signal<Base>` whose receivers are usually bound to one table and then get
/// the typed event `Typed<Model>`.
///
/// Example:
///
///     auto sub = lockstep::post_save.connect(authors, [](const lockstep::saved<Author>& e) {
///         if (e.created)
///             e.db.insert(profiles, Profile{.author_id = e.instance.id});
///     });
template <class Base, template <class> class Typed> class model_signal : public signal<Base> {
public:
    using signal<Base>::connect;

    /// Connects `fn` for rows of `sender` only; `fn` takes `const Typed<Model>&`, checked at
    /// compile time.
    template <class Model, class F>
    subscription connect(const table<Model>& sender, F&& fn, connect_options options = {}) {
        static_assert(std::is_invocable_v<F&, const Typed<Model>&>,
                      "The receiver's parameter must match the table's model type");
        options.sender = &sender;
        return signal<Base>::connect(
            [fn = std::forward<F>(fn)](const Base& event) {
                fn(static_cast<const Typed<Model>&>(event));
            },
            std::move(options));
    }
};

/// Sent before a model row is inserted or updated, inside the write's transaction.
LOCKSTEP_API inline model_signal<save_event, saving> pre_save;
/// Sent after a model row is inserted or updated, inside the write's transaction.
LOCKSTEP_API inline model_signal<save_event, saved> post_save;
/// Sent before a model row is deleted, inside the delete's transaction.
LOCKSTEP_API inline model_signal<delete_event, deleting> pre_delete;
/// Sent after a model row is deleted, inside the delete's transaction.
LOCKSTEP_API inline model_signal<delete_event, deleted> post_delete;

} // namespace lockstep
