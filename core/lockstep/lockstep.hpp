// The umbrella header: every public Lockstep header, nothing else. Engines are registered
// through <lockstep/builtin.hpp> or each engine's own <lockstep/<engine>/driver.hpp>.
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/atomic.hpp"
#include "lockstep/atomic_options.hpp"
#include "lockstep/connection.hpp"
#include "lockstep/connection_url.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/features.hpp"
#include "lockstep/log.hpp"
#include "lockstep/model_signals.hpp"
#include "lockstep/outbox.hpp"
#include "lockstep/pool.hpp"
#include "lockstep/retry.hpp"
#include "lockstep/savepoint.hpp"
#include "lockstep/signal.hpp"
#include "lockstep/table.hpp"
#include "lockstep/text_check.hpp"
#include "lockstep/trace.hpp"
#include "lockstep/value.hpp"
#include "lockstep/version.hpp"
