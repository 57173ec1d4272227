// Where the order service finds its database URL: the environment, a config file, or a default.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace orders {

struct config {
    std::string database_url; ///< never printed as is: it may hold a password
    std::string queue_path;
};

/// `ORDERS_DATABASE_URL` and `ORDERS_QUEUE` from the environment win; then `database_url = ...`
/// and `queue = ...` lines of `config_file` (if not empty); then a SQLite file and a queue file
/// in the temporary directory.
config load_config(const std::string& config_file);

} // namespace orders
