// Galera node loss (ctest cluster.node_loss, label cluster): a node of `ci/services up galera`
// frozen with SIGSTOP inside a block, then killed and restarted. The statement in flight fails
// with connection_error (or COMMIT with commit_outcome_unknown) after the URL's read_timeout,
// and the surviving nodes hold all of the block or none of it, never a part.
// SPDX-License-Identifier: MIT
#include "fault_support.hpp"

using namespace lockstep;
using namespace reliability;

namespace {

/// Rows of the pair on node 1, after it applied every earlier commit of the cluster.
std::pair<std::int64_t, std::int64_t> rows_on_node1(const pair_schema& s) {
    auto db = connection::open(url_from_env("LOCKSTEP_GALERA_NODE1_URL"));
    db.execute("SET SESSION wsrep_sync_wait = 1");
    return {db.count(s.parents), db.count(s.children)};
}

/// Runs a block on node 3 that writes a parent (its receiver writes the child), calls
/// `freeze_point(db)` at the point under test, and reports the error class it ended with.
template <class F> std::string block_on_frozen_node(const pair_schema& s, F&& freeze_point) {
    auto db = connection::open(url_from_env("LOCKSTEP_GALERA_NODE3_URL") +
                               "?read_timeout=2&connect_timeout=2");
    // Node 3 may not have applied node 1's CREATE TABLE yet (it was just restarted, or is
    // merely behind): one causal read waits until it has, so the block's INSERT finds the table.
    db.execute("SET SESSION wsrep_sync_wait = 1");
    (void)db.count(s.parents);
    db.execute("SET SESSION wsrep_sync_wait = 0");
    bool committed = false;
    const auto kind = error_kind_of([&] {
        atomic(db, [&] {
            on_commit(db, [&] { committed = true; });
            db.insert(s.parents, parent{.id = 0, .name = "frozen"});
            freeze_point(db);
        });
    });
    CHECK_FALSE(committed); // no hook runs for a block whose COMMIT did not succeed
    CHECK_FALSE(db.is_usable());
    services("kill", "galera3");
    services("start", "galera3"); // rejoins (state transfer) and waits until synced
    return kind;
}

} // namespace

TEST_CASE("A Galera node frozen inside a block fails the next statement with connection_error, "
          "and the other nodes hold nothing of the block",
          "[cluster]") {
    const pair_schema s("frozen");
    auto setup = connection::open(url_from_env("LOCKSTEP_GALERA_NODE1_URL"));
    setup.drop_tables(s.parents, s.children);
    setup.create_tables(s.parents, s.children);
    auto writer = s.connect_child_writer();
    const auto started = std::chrono::steady_clock::now();
    const auto kind = block_on_frozen_node(s, [&](connection& db) {
        services("pause", "galera3");
        db.insert(s.parents, parent{.id = 0, .name = "after the freeze"});
    });
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started)
            .count();
    report("Galera node frozen mid-block",
           kind + " (" + std::to_string(seconds) + " s, with read_timeout=2, kill and rejoin)");
    CHECK(kind == "connection_error");
    CHECK(rows_on_node1(s) == std::pair<std::int64_t, std::int64_t>{0, 0});
    setup.drop_tables(s.parents, s.children);
}

TEST_CASE("A Galera node frozen while COMMIT is in flight gives commit_outcome_unknown, and the "
          "other nodes hold all of the block or none of it",
          "[cluster]") {
    const pair_schema s("frozen_commit");
    auto setup = connection::open(url_from_env("LOCKSTEP_GALERA_NODE1_URL"));
    setup.drop_tables(s.parents, s.children);
    setup.create_tables(s.parents, s.children);
    auto writer = s.connect_child_writer();
    // The last thing the block does: the COMMIT that follows goes to a frozen node.
    const auto kind = block_on_frozen_node(s, [&](connection&) { services("pause", "galera3"); });
    const auto rows = rows_on_node1(s);
    report("Galera node frozen during COMMIT",
           kind + "; node 1 then held " + std::to_string(rows.first) + " parent(s) and " +
               std::to_string(rows.second) + " child(ren) of the block");
    CHECK(kind == "commit_outcome_unknown");
    CHECK(rows.first == rows.second); // all of the block or none of it
    CHECK(rows.first <= 1);
    setup.drop_tables(s.parents, s.children);
}
