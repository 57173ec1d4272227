// The `lockstep` command: parses its subcommands with CLI11 and turns errors into exit codes.
// SPDX-License-Identifier: MIT
#include "commands.hpp"
#include "spawn.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <lockstep/builtin.hpp>
#include <lockstep/lockstep.hpp>
#include <unistd.h>

namespace lockstep::cli {

bool use_colour(colour_choice choice, int fd) {
    if (choice != colour_choice::automatic)
        return choice == colour_choice::always;
    const char* no_colour = std::getenv("NO_COLOR");
    return (no_colour == nullptr || *no_colour == '\0') && ::isatty(fd) != 0;
}

std::string helper_program(const std::string& name) {
    return (std::filesystem::path(own_directory()) / ".." / "libexec" / "lockstep" / name)
        .lexically_normal()
        .string();
}

} // namespace lockstep::cli

int main(int argc, char* argv[]) {
    using namespace lockstep::cli;
    CLI::App app{"Lockstep: transactions, savepoints, hooks and model signals that behave the same "
                 "on every engine.\nExit codes: 0 passed, 1 a promise failed or transcripts "
                 "differ, 2 usage, 3 could not run.",
                 "lockstep"};
    app.set_version_flag("--version", std::string("lockstep ") + lockstep::version());
    app.require_subcommand(1);

    std::string demo_url;
    auto* demo_command = app.add_subcommand("demo", "Run the seed scenario and explain the answer");
    demo_command->add_option("url", demo_url,
                             "Connection URL (default: a SQLite file in a temporary folder)");

    conform_options conform_opts;
    auto* conform_command = app.add_subcommand(
        "conform", "Run the conformance suite against each target as one matrix");
    conform_command->add_option("--url", conform_opts.urls,
                                "A target (repeat for several); default: sqlite::memory:");
    conform_command->add_flag(
        "--all", conform_opts.all,
        "Embedded SQLite and SOCI's SQLite, plus every server URL that "
        "ci/services wrote (.lockstep/services/env) or the environment holds");
    conform_command->add_option("--filter", conform_opts.filter,
                                "Only cases matching a name (wildcards *) or a tag ([hooks])");
    conform_command->add_flag("--list", conform_opts.list, "List the cases and exit");
    conform_command
        ->add_option("-j,--jobs", conform_opts.jobs,
                     "Run up to N targets at once (each in its own process, with its own "
                     "tables); the report is the same as one at a time")
        ->check(CLI::Range(1, 64));
    conform_command->add_option("--format", conform_opts.format, "Report format")
        ->check(CLI::IsMember({"text", "json", "junit", "markdown"}));
    conform_command->add_option("--output", conform_opts.output,
                                "Write the report to FILE instead of stdout");
    conform_command
        ->add_option("--report", conform_opts.reports,
                     "Also write the report in FORMAT to FILE (FORMAT=FILE, repeatable)")
        ->check([](const std::string& spec) {
            const auto eq = spec.find('=');
            const auto format = spec.substr(0, eq);
            if (eq == std::string::npos || eq + 1 == spec.size())
                return std::string("expected FORMAT=FILE, got \"" + spec + "\"");
            if (format != "text" && format != "json" && format != "junit" && format != "markdown")
                return std::string("unknown format \"" + format +
                                   "\"; use text, json, junit or markdown");
            return std::string();
        });
    const std::map<std::string, colour_choice> colours{{"auto", colour_choice::automatic},
                                                       {"always", colour_choice::always},
                                                       {"never", colour_choice::never}};
    conform_command
        ->add_option("--color", conform_opts.colour,
                     "Colour the text table: auto (a terminal, unless NO_COLOR is set), always, "
                     "never")
        ->transform(CLI::CheckedTransformer(colours));

    std::string probe_url, probe_format = "text";
    auto* probe_command =
        app.add_subcommand("probe", "Show the engine, its version and every capability");
    probe_command->add_option("url", probe_url, "Connection URL")->required();
    probe_command->add_option("--format", probe_format, "Output format")
        ->check(CLI::IsMember({"text", "json"}));

    bool bench_signals = false;
    auto* bench_command = app.add_subcommand(
        "bench", "The workloads through the raw driver, Lockstep and SOCI (arguments after the "
                 "options go to the benchmark program: --url, --workload, --rounds, ...)");
    bench_command->add_flag("--signals", bench_signals,
                            "Signal dispatch against std::function loops and Boost.Signals2");
    bench_command->prefix_command(); // everything it does not know goes to the program

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e); // prints the help of the (sub)command asked; exit 0
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e); // prints what was wrong and where to look
        return exit_usage;
    }

#if !defined(LOCKSTEP_DRIVERS_FROM_PLUGINS) // a shared build loads each engine's plugin on demand
    lockstep::register_builtin_drivers();
#endif
    const std::string name = app.get_subcommands().front()->get_name();
    try {
        if (*demo_command)
            return demo(demo_url);
        if (*conform_command)
            return conform(conform_opts);
        if (*probe_command)
            return probe(probe_url, probe_format);
        return bench(bench_signals, bench_command->remaining());
    } catch (const lockstep::connection_error& e) {
        std::cerr << "lockstep " << name << ": " << e.kind() << ": " << e.what() << '\n';
        return exit_cannot_run;
    } catch (const lockstep::configuration_error& e) {
        std::cerr << "lockstep " << name << ": " << e.kind() << ": " << e.what() << '\n';
        return exit_cannot_run;
    } catch (const lockstep::error& e) {
        std::cerr << "lockstep " << name << ": " << e.kind() << ": " << e.what() << '\n';
        return exit_failed;
    } catch (const std::exception& e) {
        std::cerr << "lockstep " << name << ": " << e.what() << '\n';
        return exit_cannot_run;
    }
}
