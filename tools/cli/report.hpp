// Renderings of a conformance matrix: text for people (colour on terminals), JSON for tools,
// JUnit XML for CI systems, Markdown for CI job summaries.
// SPDX-License-Identifier: MIT
#pragma once

#include "matrix.hpp"

#include <string>

namespace lockstep::cli {

/// Cases down, targets across, reasons, transcript differences, and one summary line per
/// target (`sqlite: 64 passed, 0 failed, 2 skipped`). `colour` adds ANSI colours.
std::string render_text(const matrix& m, bool colour);

/// The JSON document described in docs/ci.md (schema "lockstep-conform/1").
std::string render_json(const matrix& m);

/// JUnit XML: one <testsuite> per target, one per transcript check; skipped cases carry
/// <skipped message="reason"/>.
std::string render_junit(const matrix& m);

/// A GitHub-flavoured Markdown table and summary, for CI job summaries.
std::string render_markdown(const matrix& m);

} // namespace lockstep::cli
