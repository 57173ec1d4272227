// Table descriptors of the conformance models.
// SPDX-License-Identifier: MIT
#include "models.hpp"

namespace conformance {

using lockstep::column;
using lockstep::foreign_key;
using lockstep::max_length;
using lockstep::on_delete;
using lockstep::primary_key;

schema::schema(const std::string& prefix)
    // The seed pair is spelt with compile-time columns, as the README teaches, so every engine
    // runs that path; the other tables keep the run-time spelling, so both are checked.
    : main(prefix + "main", primary_key<&main_model::id>("id"),
           column<&main_model::name>("name", max_length(100))),
      sig(prefix + "sig", primary_key<&signal_model::id>("id"),
          foreign_key<&signal_model::main_id>("main_id", main, on_delete::cascade),
          column<&signal_model::message>("message", max_length(100))),
      uniq(prefix + "uniq",
           {primary_key(&unique_model::id, "id"),
            column(&unique_model::code, "code", max_length(100), lockstep::unique)}),
      audit(prefix + "audit", {primary_key(&audit_log::id, "id"),
                               column(&audit_log::action, "action", max_length(100))}),
      notes(prefix + "notes",
            {primary_key(&note_model::id, "id"),
             foreign_key(&note_model::main_id, "main_id", main, on_delete::set_null),
             column(&note_model::note, "note", max_length(100))}),
      guards(prefix + "guards",
             {primary_key(&guard_model::id, "id"),
              foreign_key(&guard_model::main_id, "main_id", main, on_delete::restrict)}) {}

} // namespace conformance
