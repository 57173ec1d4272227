// spi::session over libpq: `?` placeholders numbered once per statement, named prepared
// statements cached per connection, text parameters (binary for bytea), errors by SQLSTATE.
// SPDX-License-Identifier: MIT
#include "postgresql/session.hpp"

#include "lockstep/detail/sql_scan.hpp"
#include "lockstep/errors.hpp"
#include "lockstep/spi/dialects.hpp"
#include "lockstep/spi/parameter_signature.hpp"
#include "lockstep/spi/quote.hpp"
#include "postgresql/errors.hpp"
#include "postgresql/liveness.hpp"
#include "postgresql/notices.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <libpq-fe.h>
#include <poll.h>

namespace lockstep::postgresql {
namespace {

// Type OIDs from PostgreSQL's catalog (pg_type.dat); stable across versions.
constexpr unsigned bool_oid = 16, bytea_oid = 17, name_oid = 19, int8_oid = 20, int2_oid = 21,
                   int4_oid = 23, text_oid = 25, oid_oid = 26, float4_oid = 700, float8_oid = 701,
                   unknown_oid = 705, bpchar_oid = 1042, varchar_oid = 1043, numeric_oid = 1700;

// Dynamic SQL must not grow the server's prepared statements without bound.
constexpr std::size_t max_cached_statements = 512;

std::string redact(std::string text, const std::string& password) {
    if (password.empty())
        return text;
    for (std::size_t pos; (pos = text.find(password)) != std::string::npos;)
        text.replace(pos, password.size(), "***");
    return text;
}

// Lockstep's own options; everything else must be a libpq connection keyword.
bool is_lockstep_option(std::string_view key) {
    return key == "isolation" || key == "lock_timeout" || key == "pipeline";
}

// More queued statements than this are synchronised at once: with libpq blocking, the results
// must not outgrow the socket buffers while nobody reads them (semantics 10.4).
constexpr std::size_t max_queued = 256;

bool is_libpq_keyword(std::string_view key) {
    PQconninfoOption* defaults = PQconndefaults();
    bool found = false;
    for (auto* o = defaults; o != nullptr && o->keyword != nullptr; ++o)
        found = found || key == o->keyword;
    PQconninfoFree(defaults);
    return found;
}

} // namespace

void session::result_deleter::operator()(PGresult* r) const noexcept {
    PQclear(r);
}

session::session(const connection_url& url) {
    // Options are checked before connecting: nothing to close when one is wrong.
    std::optional<int> lock_timeout_ms;
    if (const auto timeout = url.option("lock_timeout")) {
        int ms = -1;
        const auto [end, ec] =
            std::from_chars(timeout->data(), timeout->data() + timeout->size(), ms);
        if (ec != std::errc{} || end != timeout->data() + timeout->size() || ms < 0)
            throw configuration_error("PostgreSQL option lock_timeout=\"" + *timeout +
                                      "\" is not a number of milliseconds.");
        lock_timeout_ms = ms;
    }
    if (const auto pipeline = url.option("pipeline")) {
        if (*pipeline != "on" && *pipeline != "off")
            throw configuration_error("PostgreSQL option pipeline=\"" + *pipeline +
                                      "\" is neither on nor off.");
        pipeline_enabled_ = *pipeline == "on";
    }
    std::vector<std::string> keys, values;
    const auto add = [&](std::string key, std::string value) {
        keys.push_back(std::move(key));
        values.push_back(std::move(value));
    };
    if (url.more_hosts.empty()) {
        if (!url.host.empty())
            add("host", url.host);
        if (url.port)
            add("port", std::to_string(*url.port));
    } else {
        // A multi-host URL goes to libpq as its own host and port lists, which it tries in
        // order, honouring target_session_attrs (semantics 8.10); an empty port is the default.
        std::string hosts = url.host, ports = url.port ? std::to_string(*url.port) : "";
        for (const auto& more : url.more_hosts) {
            hosts += "," + more.host;
            ports += "," + (more.port ? std::to_string(*more.port) : std::string());
        }
        add("host", hosts);
        add("port", ports);
    }
    if (!url.database.empty())
        add("dbname", url.database);
    if (!url.user.empty())
        add("user", url.user);
    if (url.has_password)
        add("password", url.password);
    bool has_connect_timeout = false;
    for (const auto& [key, value] : url.options) {
        if (is_lockstep_option(key))
            continue;
        if (!is_libpq_keyword(key) || key == "password" || key == "dbname" || key == "host" ||
            key == "port" || key == "user")
            throw configuration_error("PostgreSQL URL option \"" + key +
                                      "\" is unknown; use lock_timeout, isolation, or a libpq "
                                      "connection keyword such as sslmode or application_name.");
        if (key == "connect_timeout") {
            // Checked here, so the message says what is wrong (libpq would fail the connection).
            int seconds = -1;
            const auto [end, ec] =
                std::from_chars(value.data(), value.data() + value.size(), seconds);
            if (ec != std::errc{} || end != value.data() + value.size() || seconds < 0)
                throw configuration_error("PostgreSQL option connect_timeout=\"" + value +
                                          "\" is not a whole number of seconds.");
            has_connect_timeout = true;
        }
        add(key, value);
    }
    if (!has_connect_timeout)
        add("connect_timeout", "10"); // an unreachable server fails instead of hanging
    add("client_encoding", "UTF8");

    std::vector<const char*> key_ptrs, value_ptrs;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        key_ptrs.push_back(keys[i].c_str());
        value_ptrs.push_back(values[i].c_str());
    }
    key_ptrs.push_back(nullptr);
    value_ptrs.push_back(nullptr);
    conn_ = PQconnectdbParams(key_ptrs.data(), value_ptrs.data(), 0);
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        std::string message = conn_ ? redact(PQerrorMessage(conn_), url.password) : "out of memory";
        // libpq's message has several lines ("...failed: Connection refused\n\tIs the server
        // running..."); one line reads better inside Lockstep's sentence.
        for (auto& c : message)
            if (c == '\n' || c == '\t')
                c = ' ';
        while (!message.empty() && message.back() == ' ')
            message.pop_back();
        PQfinish(conn_);
        conn_ = nullptr;
        // libpq checks option values when it connects ("invalid sslmode value: ..."): that is
        // the configuration's fault, and a new connection with the same URL cannot help.
        if (message.starts_with("invalid ") && message.find(" value") != std::string::npos)
            throw configuration_error("PostgreSQL rejected an option of the URL: " + message +
                                      ". Fix the URL.");
        spi::raise({spi::error_category::connection}, {"postgresql", "08001", 0, message, ""});
    }
    silence_notices(conn_);
    if (lock_timeout_ms) {
        try {
            run_simple("SET lock_timeout = " + std::to_string(*lock_timeout_ms));
        } catch (...) {
            PQfinish(conn_); // the destructor does not run for a constructor that throws
            conn_ = nullptr;
            throw;
        }
    }

    features_ = spi::postgresql_features();
}

session::~session() {
    PQfinish(conn_);
}

std::string session::server_version() {
    const char* version = PQparameterStatus(conn_, "server_version");
    return version ? version : std::to_string(PQserverVersion(conn_));
}

std::string session::default_isolation() {
    return as_text(query("SHOW default_transaction_isolation", {}).at(0).at(0));
}

void session::fail(const PGresult* r, std::string_view sql) {
    const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    std::string message = primary ? primary : PQerrorMessage(conn_);
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    // Without a SQLSTATE, or with a dead socket, the connection is gone whatever the text says.
    const std::string_view sqlstate = PQstatus(conn_) == CONNECTION_BAD
                                          ? std::string_view{}
                                          : std::string_view(state ? state : "");
    raise_error(sqlstate, message, sql);
}

session::result_ptr session::run_simple(const std::string& sql) {
    if (in_pipeline_) [[unlikely]]
        sync(); // a queued statement's failure is raised here, before this one runs (10.4)
    result_ptr r(PQexec(conn_, sql.c_str()));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail(r.get(), sql);
    return r;
}

const session::prepared& session::prepare(std::string_view sql, std::span<const param> params,
                                          std::string_view returning) {
    const auto signature = spi::parameter_signature(params);
    if (signature)
        if (const auto* recent = recent_.find(sql);
            recent != nullptr && recent->types == *signature && recent->returning == returning)
            return *recent->statement;
    // The same text with other parameter types needs its own statement: PostgreSQL fixes the
    // types when it prepares.
    cache_key_.assign(sql);
    cache_key_ += '\x1f';
    for (const auto& p : params)
        cache_key_ += static_cast<char>('0' + p.index());
    if (!returning.empty()) {
        cache_key_ += '\x1e';
        cache_key_ += returning;
    }
    const auto remember = [&](const auto& it) -> const prepared& {
        if (signature) {
            // The key ends with the RETURNING column after its marker, if there is one.
            const std::string_view key = it->first;
            recent_.put(sql, {&it->first, &it->second, *signature,
                              returning.empty() ? std::string_view{}
                                                : key.substr(key.size() - returning.size())});
        }
        return it->second;
    };
    if (const auto it = statements_.find(cache_key_); it != statements_.end())
        return remember(it);
    if (in_pipeline_) [[unlikely]]
        sync(); // preparing waits for the server's answer: not inside a pipeline

    if (statements_.size() >= max_cached_statements) {
        run_simple("DEALLOCATE ALL");
        recent_.clear();
        statements_.clear();
    }
    auto [text, count] = detail::number_placeholders(sql, "$");
    if (!returning.empty())
        text += " RETURNING " + quote_identifier(returning);
    if (count != static_cast<int>(params.size()))
        throw usage_error("The statement has " + std::to_string(count) + " placeholders but " +
                          std::to_string(params.size()) + " values were given.");
    std::vector<unsigned> types;
    for (const auto& p : params) {
        switch (p.index()) {
        case 1:
            types.push_back(int8_oid);
            break;
        case 2:
            types.push_back(float8_oid);
            break;
        case 3:
            types.push_back(bool_oid);
            break;
        case 5:
            types.push_back(bytea_oid);
            break;
        default: // NULL and text: let the server infer from the context (varchar, text, ...)
            types.push_back(0);
        }
    }
    auto name = "lockstep_" + std::to_string(next_statement_++);
    result_ptr r(PQprepare(conn_, name.c_str(), text.c_str(), static_cast<int>(params.size()),
                           types.data()));
    if (!r || PQresultStatus(r.get()) != PGRES_COMMAND_OK)
        fail(r.get(), sql);
    // Ask which types the server chose, so text bound to a non-text parameter (an integer
    // column compared with a string) is sent as text for the server to parse.
    result_ptr description(PQdescribePrepared(conn_, name.c_str()));
    if (!description || PQresultStatus(description.get()) != PGRES_COMMAND_OK)
        fail(description.get(), sql);
    prepared statement{std::move(name), {}};
    for (int i = 0; i < PQnparams(description.get()); ++i)
        statement.parameter_types.push_back(PQparamtype(description.get(), i));
    return remember(statements_.emplace(cache_key_, std::move(statement)).first);
}

session::result_ptr session::run_prepared(std::string_view sql, std::span<const param> params,
                                          std::string_view returning) {
    if (in_pipeline_) [[unlikely]]
        sync(); // a queued statement's failure is raised here, before this one runs (10.4)
    const auto& statement = prepare(sql, params, returning);
    bind(statement, params);
    result_ptr r(PQexecPrepared(conn_, statement.name.c_str(), static_cast<int>(params.size()),
                                values_.data(), lengths_.data(), formats_.data(), 0));
    const auto status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
        fail(r.get(), sql);
    return r;
}

void session::bind(const prepared& statement, std::span<const param> params) {
    const auto n = params.size();
    values_.resize(n);
    lengths_.resize(n);
    formats_.resize(n);
    if (numbers_.size() < n)
        numbers_.resize(n);
    if (texts_.size() < n)
        texts_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        const auto& p = params[i];
        formats_[i] = 0;
        lengths_[i] = 0;
        if (std::holds_alternative<std::nullptr_t>(p)) {
            values_[i] = nullptr;
        } else if (const auto* number = std::get_if<std::int64_t>(&p)) {
            auto& buffer = numbers_[i];
            const auto end =
                std::to_chars(buffer.data(), buffer.data() + buffer.size() - 1, *number).ptr;
            *end = '\0';
            values_[i] = buffer.data();
        } else if (const auto* real = std::get_if<double>(&p)) {
            auto& buffer = numbers_[i];
            const auto end =
                std::to_chars(buffer.data(), buffer.data() + buffer.size() - 1, *real).ptr;
            *end = '\0'; // shortest text that reads back as the same double
            values_[i] = buffer.data();
        } else if (const auto* flag = std::get_if<bool>(&p)) {
            values_[i] = *flag ? "t" : "f";
        } else if (const auto* text = std::get_if<std::string_view>(&p)) {
            const auto type = statement.parameter_types[i];
            if (type == text_oid || type == varchar_oid || type == bpchar_oid || type == name_oid ||
                type == unknown_oid) {
                // The binary format of text is its bytes: no copy, no terminating NUL needed.
                values_[i] = text->data();
                lengths_[i] = static_cast<int>(text->size());
                formats_[i] = 1;
            } else {
                texts_[i].assign(*text); // text format: the server parses it as its type
                values_[i] = texts_[i].c_str();
            }
            // An empty view may have no address, which libpq would send as NULL (6.4).
            if (values_[i] == nullptr)
                values_[i] = "";
        } else if (const auto* bytes = std::get_if<std::span<const std::byte>>(&p)) {
            // An empty span may have no address, which libpq would send as NULL: an empty
            // blob is a zero-length value (semantics 6.4).
            values_[i] = bytes->empty() ? "" : reinterpret_cast<const char*>(bytes->data());
            lengths_[i] = static_cast<int>(bytes->size());
            formats_[i] = 1;
        }
    }
}

void session::begin(isolation_level level) {
    static const std::string plain = "BEGIN";
    const std::string text = level == isolation_level::engine_default
                                 ? plain
                                 : plain + " ISOLATION LEVEL " + std::string(to_sql(level));
    if (!pipeline_enabled_) {
        run_simple(text);
        return;
    }
    queue_control(text); // travels with the transaction's first statements (10.2)
    pipelining_ = true;
}

void session::enter_pipeline() {
    if (!in_pipeline_) {
        if (PQenterPipelineMode(conn_) != 1)
            fail(nullptr, "(entering pipeline mode)");
        in_pipeline_ = true;
    }
}

void session::note_queued(std::string_view sql) {
    if (queued_sql_.size() <= queued_)
        queued_sql_.emplace_back();
    queued_sql_[queued_++].assign(sql); // reuses the string's room after the first rounds
}

void session::queue_control(const std::string& sql) {
    // A named statement like any other (prepared once, outside a pipeline): the server skips
    // parsing it again for every savepoint.
    const auto& statement = prepare(sql, {}, {});
    enter_pipeline();
    if (PQsendQueryPrepared(conn_, statement.name.c_str(), 0, nullptr, nullptr, nullptr, 0) != 1)
        fail(nullptr, sql);
    note_queued(sql);
}

void session::execute_deferred(std::string_view sql, std::span<const param> params) {
    if (!pipelining_) {
        (void)execute(sql, params);
        return;
    }
    const auto& statement = prepare(sql, params, {}); // may synchronise, to prepare
    // A server that ended the session has said so on the socket: fail this write now, as it
    // would fail without the pipeline, instead of queueing it (one poll, no round trip).
    // The FATAL message and the end of the stream may take two reads.
    for (int reads = 0; reads < 4; ++reads) {
        pollfd fd{PQsocket(conn_), POLLIN, 0};
        if (::poll(&fd, 1, 0) <= 0 || fd.revents == 0)
            break;
        if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK)
            fail(nullptr, sql);
    }
    bind(statement, params);
    enter_pipeline();
    // libpq copies the values into its output buffer here: the caller's may go away.
    if (PQsendQueryPrepared(conn_, statement.name.c_str(), static_cast<int>(params.size()),
                            values_.data(), lengths_.data(), formats_.data(), 0) != 1)
        fail(nullptr, sql);
    note_queued(sql);
    ++queued_writes_;
    if (queued_ >= max_queued)
        sync();
}

void session::sync() {
    if (!in_pipeline_)
        return;
    const auto count = queued_;
    queued_ = 0;
    queued_writes_ = 0;
    bool lost = count > 0 && PQpipelineSync(conn_) != 1;
    result_ptr first_error;
    std::size_t failed_at = 0, index = 0;
    while (count > 0 && !lost) {
        result_ptr r(PQgetResult(conn_));
        if (!r) { // the end of one statement's results
            lost = PQstatus(conn_) == CONNECTION_BAD || ++index > count;
            continue;
        }
        const auto status = PQresultStatus(r.get());
        if (status == PGRES_PIPELINE_SYNC)
            break;
        if (status == PGRES_FATAL_ERROR && !first_error) {
            first_error = std::move(r);
            failed_at = index;
        }
    }
    in_pipeline_ = false;
    if (!lost && PQexitPipelineMode(conn_) != 1)
        lost = true;
    if (lost || first_error) {
        const std::string_view sql = count == 0 ? std::string_view("(pipeline)")
                                                : queued_sql_[std::min(failed_at, count - 1)];
        fail(lost ? nullptr : first_error.get(), sql);
    }
}

void session::discard_queued() noexcept {
    try {
        sync();
    } catch (const error&) {
        // The statement that failed is being rolled back; the rollback reports a lost connection.
    }
}

void session::end_transaction() noexcept {
    pipelining_ = false;
    for (auto& block : keys_) { // keys taken ahead are not kept past the transaction
        block.keys.clear();
        block.next = 0;
        // Each transaction starts small again: a run of short transactions (one insert each)
        // must not take 1024 keys per transaction for one it uses (semantics 10.3).
        block.batch = first_key_batch;
    }
}

void session::run_control(const std::string& sql) {
    if (std::exchange(defer_control_, false))
        queue_control(sql);
    else
        run_simple(sql);
}

void session::create_savepoint(std::string_view name) {
    defer_control_ = pipelining_;
    const bool confirm = pipelining_ && queued_writes_ > 0;
    sql_savepoint_session::create_savepoint(name);
    // The enclosing block's queued writes must have succeeded before the nested block runs:
    // their failure leaves the enclosing block, as it would without the pipeline (10.4).
    if (confirm)
        sync();
}

void session::release_savepoint(std::string_view name) {
    defer_control_ = pipelining_; // travels with the next statements
    sql_savepoint_session::release_savepoint(name);
}

void session::rollback_to_savepoint(std::string_view name) {
    // Whatever is queued was sent after the savepoint: it is being undone.
    discard_queued();
    sql_savepoint_session::rollback_to_savepoint(name);
}

void session::commit() {
    result_ptr r;
    try {
        r = run_simple("COMMIT");
    } catch (...) {
        end_transaction();
        throw;
    }
    end_transaction();
    // PostgreSQL answers COMMIT of an aborted transaction with ROLLBACK and no error
    // (semantics 2.3): that is a failure, never a success.
    if (std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0)
        spi::raise({spi::error_category::other},
                   {"postgresql", "", 0,
                    "the server answered COMMIT with ROLLBACK: the transaction had failed and "
                    "nothing was committed",
                    "COMMIT"});
}

void session::rollback() {
    discard_queued(); // undone by the ROLLBACK
    end_transaction();
    run_simple("ROLLBACK");
}

bool session::is_alive() noexcept {
    return postgresql::is_alive(conn_);
}

bool session::in_transaction() {
    const auto status = PQtransactionStatus(conn_);
    return status == PQTRANS_INTRANS || status == PQTRANS_INERROR || status == PQTRANS_ACTIVE;
}

std::int64_t session::execute(std::string_view sql, std::span<const param> params) {
    const auto r = run_prepared(sql, params);
    const char* changed = PQcmdTuples(r.get());
    std::int64_t count = 0;
    std::from_chars(changed, changed + std::strlen(changed), count);
    return count;
}

std::int64_t session::insert(std::string_view sql, std::span<const param> params,
                             std::string_view key_column) {
    const auto r = run_prepared(sql, params, key_column); // no RETURNING without a column
    if (key_column.empty())
        return 0;
    if (PQntuples(r.get()) != 1)
        throw usage_error("The INSERT returned no key; was it an INSERT of one row?");
    const char* text = PQgetvalue(r.get(), 0, 0);
    std::int64_t key = 0;
    std::from_chars(text, text + std::strlen(text), key);
    return key;
}

std::vector<row> session::query(std::string_view sql, std::span<const param> params) {
    const auto r = run_prepared(sql, params);
    const int rows = PQntuples(r.get());
    const int columns = PQnfields(r.get());
    std::vector<row> out;
    out.reserve(static_cast<std::size_t>(rows));
    for (int i = 0; i < rows; ++i) {
        row values;
        values.reserve(static_cast<std::size_t>(columns));
        for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(r.get(), i, c)) {
                values.emplace_back(std::monostate{});
                continue;
            }
            const char* text = PQgetvalue(r.get(), i, c);
            const auto length = static_cast<std::size_t>(PQgetlength(r.get(), i, c));
            switch (PQftype(r.get(), c)) {
            case bool_oid:
                values.emplace_back(text[0] == 't');
                break;
            case int2_oid:
            case int4_oid:
            case int8_oid:
            case oid_oid: {
                std::int64_t n = 0;
                std::from_chars(text, text + length, n);
                values.emplace_back(n);
                break;
            }
            case float4_oid:
            case float8_oid:
            case numeric_oid:
                values.emplace_back(std::strtod(text, nullptr));
                break;
            case bytea_oid: {
                std::size_t size = 0;
                unsigned char* bytes =
                    PQunescapeBytea(reinterpret_cast<const unsigned char*>(text), &size);
                const auto* begin = reinterpret_cast<const std::byte*>(bytes);
                values.emplace_back(blob(begin, begin + size));
                PQfreemem(bytes);
                break;
            }
            default:
                values.emplace_back(std::string(text, length));
            }
        }
        out.push_back(std::move(values));
    }
    return out;
}

namespace {

// One value in COPY's text format: \N for NULL, and backslash, tab, newline and carriage
// return escaped inside text, since they would otherwise end the value or the row.
void append_copy_value(std::string& out, const param& p) {
    const auto escaped = [&out](std::string_view text) {
        for (const char c : text) {
            switch (c) {
            case '\\':
                out += "\\\\";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                out += c;
            }
        }
    };
    std::array<char, 32> number{};
    if (std::holds_alternative<std::nullptr_t>(p)) {
        out += "\\N";
    } else if (const auto* integer = std::get_if<std::int64_t>(&p)) {
        out.append(number.data(), std::to_chars(number.data(), number.data() + 32, *integer).ptr);
    } else if (const auto* real = std::get_if<double>(&p)) {
        out.append(number.data(), std::to_chars(number.data(), number.data() + 32, *real).ptr);
    } else if (const auto* flag = std::get_if<bool>(&p)) {
        out += *flag ? 't' : 'f';
    } else if (const auto* text = std::get_if<std::string_view>(&p)) {
        escaped(*text);
    } else if (const auto* bytes = std::get_if<std::span<const std::byte>>(&p)) {
        // bytea's hex input form, its backslash escaped for COPY: \\x0aff...
        static constexpr char hex[] = "0123456789abcdef";
        out += "\\\\x";
        for (const auto b : *bytes) {
            out += hex[std::to_integer<unsigned>(b) >> 4];
            out += hex[std::to_integer<unsigned>(b) & 15];
        }
    }
}

} // namespace

std::int64_t session::copy_rows(std::string_view target, std::size_t columns, std::size_t rows,
                                const row_filler& fill) {
    if (in_pipeline_)
        sync(); // COPY cannot run inside a pipeline
    const auto sql = "COPY " + std::string(target) + " FROM STDIN";
    result_ptr start(PQexec(conn_, sql.c_str()));
    if (!start || PQresultStatus(start.get()) != PGRES_COPY_IN)
        fail(start.get(), sql);
    constexpr std::size_t piece = 64 << 10;
    std::string buffer;
    buffer.reserve(piece + 4096);
    std::vector<param> values(columns);
    const auto send = [&] {
        if (PQputCopyData(conn_, buffer.data(), static_cast<int>(buffer.size())) != 1)
            fail(nullptr, sql); // the connection is gone
        buffer.clear();
    };
    try {
        for (std::size_t r = 0; r < rows; ++r) {
            fill(r, values.data());
            for (std::size_t c = 0; c < columns; ++c) {
                if (c > 0)
                    buffer += '\t';
                append_copy_value(buffer, values[c]);
            }
            buffer += '\n';
            if (buffer.size() >= piece)
                send();
        }
        if (!buffer.empty())
            send();
    } catch (...) {
        // End the COPY, so the connection is usable for the ROLLBACK that follows.
        PQputCopyEnd(conn_, "lockstep: bulk_insert stopped");
        while (PGresult* r = PQgetResult(conn_))
            PQclear(r);
        throw;
    }
    if (PQputCopyEnd(conn_, nullptr) != 1)
        fail(nullptr, sql);
    result_ptr done(PQgetResult(conn_));
    while (PGresult* extra = PQgetResult(conn_)) // until libpq says the command is over
        PQclear(extra);
    if (!done || PQresultStatus(done.get()) != PGRES_COMMAND_OK)
        fail(done.get(), sql);
    const char* loaded = PQcmdTuples(done.get());
    std::int64_t count = 0;
    std::from_chars(loaded, loaded + std::strlen(loaded), count);
    return count;
}

std::optional<std::int64_t> session::reserve_key(std::string_view table,
                                                 std::string_view key_column) {
    if (!pipelining_)
        return std::nullopt; // a key read back costs nothing more than the INSERT's own wait
    auto found_block = std::find_if(keys_.begin(), keys_.end(), [&](const key_block& b) {
        return b.table == table && b.column == key_column;
    });
    if (found_block == keys_.end()) {
        keys_.push_back(
            {std::string(table), std::string(key_column), {}, false, {}, 0, first_key_batch});
        found_block = keys_.end() - 1;
    }
    auto& block = *found_block;
    if (block.unavailable)
        return std::nullopt;
    if (block.next == block.keys.size()) {
        if (block.sequence.empty()) {
            // The column's own sequence (serial or identity), unless it refuses given values
            // (GENERATED ALWAYS): then INSERTs read their keys back as without the pipeline.
            const auto quoted = quote_identifier(table);
            const std::array<param, 4> names{std::string_view(quoted), key_column,
                                             std::string_view(quoted), key_column};
            const auto found = query(
                "SELECT pg_get_serial_sequence(?, ?), (SELECT CAST(attidentity AS text) FROM "
                "pg_attribute WHERE attrelid = CAST(CAST(? AS text) AS regclass) AND attname = ?)",
                names);
            if (found.empty() || std::holds_alternative<std::monostate>(found[0][0]) ||
                found[0][1] == value(std::string("a"))) {
                block.unavailable = true;
                return std::nullopt;
            }
            block.sequence = as_text(found[0][0]);
        }
        // Each value is the sequence's own, as a default would take it: no other session can
        // get it, and one never used leaves a gap, as a rolled-back INSERT does.
        const std::array<param, 2> ask{std::string_view(block.sequence), std::int64_t{block.batch}};
        // Read straight from the result: a row vector per key would cost an allocation each.
        const auto r = run_prepared("SELECT nextval(CAST(CAST(? AS text) AS regclass)) FROM "
                                    "generate_series(1, CAST(? AS integer))",
                                    ask);
        block.keys.clear();
        block.next = 0;
        for (int i = 0; i < PQntuples(r.get()); ++i) {
            const char* text = PQgetvalue(r.get(), i, 0);
            std::int64_t key = 0;
            std::from_chars(text, text + std::strlen(text), key);
            block.keys.push_back(key);
        }
        block.batch =
            std::min(block.batch * 2, last_key_batch); // a long transaction asks less often
        if (block.keys.empty())
            return std::nullopt;
    }
    return block.keys[block.next++];
}

bool session::wait_for_notification(std::chrono::milliseconds timeout) {
    sync(); // a pipelined session sends what it queued first (it is idle between blocks)
    // libpq keeps notifications that arrived with earlier results; take those first.
    const auto take = [&] {
        bool any = false;
        while (PGnotify* n = PQnotifies(conn_)) {
            PQfreemem(n);
            any = true;
        }
        return any;
    };
    if (take())
        return true;
    pollfd fd{PQsocket(conn_), POLLIN, 0};
    const auto ms = static_cast<int>(std::clamp<std::int64_t>(timeout.count(), 0, 1 << 30));
    if (::poll(&fd, 1, ms) < 0 && errno != EINTR)
        fail(nullptr, "LISTEN (waiting for a notification)");
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK)
        fail(nullptr, "LISTEN (waiting for a notification)");
    return take();
}

std::string session::server_session_id() {
    return std::to_string(PQbackendPID(conn_));
}

void session::terminate_server_session(std::string_view id) {
    std::int64_t pid = 0;
    const auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), pid);
    if (ec != std::errc{} || end != id.data() + id.size())
        throw usage_error("\"" + std::string(id) + "\" is not a PostgreSQL backend pid.");
    const std::array<param, 1> params{pid};
    // From PostgreSQL 14 on, wait (up to 5 s) until the backend is gone, so its session has
    // seen the end when this returns.
    const auto rows = query(PQserverVersion(conn_) >= 140000
                                ? "SELECT pg_terminate_backend(CAST(? AS integer), 5000)"
                                : "SELECT pg_terminate_backend(CAST(? AS integer))",
                            params);
    if (rows.empty() || !std::get<bool>(rows[0][0]))
        throw usage_error("PostgreSQL did not end backend " + std::string(id) +
                          "; is it a session of the same role?");
}

std::string session::quote_identifier(std::string_view name) const {
    return spi::quote_identifier(name, spi::postgresql_dialect().identifier_quote);
}

std::string session::column_type_sql(column_type type,
                                     std::optional<std::size_t> max_length) const {
    return spi::postgresql_dialect().column_type(type, max_length);
}

std::string session::auto_key_sql() const {
    return spi::postgresql_dialect().auto_key;
}

} // namespace lockstep::postgresql
