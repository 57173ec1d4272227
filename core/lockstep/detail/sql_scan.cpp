// The SQL scanner behind classify_statement: words outside literals, comments and quotes.
// SPDX-License-Identifier: MIT
#include "lockstep/detail/sql_scan.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>

namespace lockstep::detail {
namespace {

bool is_word_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

bool equals_word(std::string_view word, std::string_view keyword) {
    if (word.size() != keyword.size())
        return false;
    for (std::size_t i = 0; i < word.size(); ++i)
        if (std::toupper(static_cast<unsigned char>(word[i])) != keyword[i])
            return false;
    return true;
}

// Yields the words of `sql` that are outside literals, quoted identifiers and comments.
class word_reader {
public:
    explicit word_reader(std::string_view sql) : sql_(sql) {}

    std::string_view next() {
        while (pos_ < sql_.size()) {
            const char c = sql_[pos_];
            if (c == '\'' || c == '"' || c == '`') {
                skip_quoted(c);
            } else if (c == '-' && peek(1) == '-') {
                while (pos_ < sql_.size() && sql_[pos_] != '\n')
                    ++pos_;
            } else if (c == '#') {
                while (pos_ < sql_.size() && sql_[pos_] != '\n')
                    ++pos_;
            } else if (c == '/' && peek(1) == '*') {
                pos_ += 2;
                while (pos_ < sql_.size() && !(sql_[pos_] == '*' && peek(1) == '/'))
                    ++pos_;
                pos_ += 2;
            } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
                const auto start = pos_;
                while (pos_ < sql_.size() && is_word_char(sql_[pos_]))
                    ++pos_;
                return sql_.substr(start, pos_ - start);
            } else {
                ++pos_;
            }
        }
        return {};
    }

    /// Just past the word `next` returned last.
    std::size_t position() const noexcept { return pos_; }

private:
    char peek(std::size_t ahead) const {
        return pos_ + ahead < sql_.size() ? sql_[pos_ + ahead] : '\0';
    }
    void skip_quoted(char quote) {
        ++pos_;
        while (pos_ < sql_.size()) {
            if (sql_[pos_] == '\\' && quote != '"') {
                pos_ += 2;
                continue;
            }
            if (sql_[pos_] == quote) {
                if (peek(1) == quote) { // doubled quote inside the literal
                    pos_ += 2;
                    continue;
                }
                ++pos_;
                return;
            }
            ++pos_;
        }
    }

    std::string_view sql_;
    std::size_t pos_ = 0;
};

template <std::size_t N>
bool is_one_of(std::string_view word, const std::array<std::string_view, N>& keywords) {
    for (const auto keyword : keywords)
        if (equals_word(word, keyword))
            return true;
    return false;
}

constexpr std::array<std::string_view, 7> query_words{"SELECT",  "WITH",   "VALUES", "SHOW",
                                                      "EXPLAIN", "PRAGMA", "TABLE"};
constexpr std::array<std::string_view, 6> write_words{"INSERT",  "UPDATE", "DELETE",
                                                      "REPLACE", "MERGE",  "UPSERT"};
constexpr std::array<std::string_view, 11> ddl_words{"CREATE", "ALTER",   "DROP",   "TRUNCATE",
                                                     "RENAME", "GRANT",   "REVOKE", "LOCK",
                                                     "UNLOCK", "COMMENT", "REINDEX"};
constexpr std::array<std::string_view, 8> control_words{
    "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "START", "END", "ABORT"};

bool has_locking_clause(word_reader& words) {
    // FOR UPDATE, FOR NO KEY UPDATE, FOR SHARE, FOR KEY SHARE (PostgreSQL, MySQL 8);
    // LOCK IN SHARE MODE (MySQL, MariaDB).
    std::string_view previous;
    for (auto word = words.next(); !word.empty(); previous = word, word = words.next()) {
        if (equals_word(previous, "FOR") &&
            (equals_word(word, "UPDATE") || equals_word(word, "SHARE") || equals_word(word, "NO") ||
             equals_word(word, "KEY")))
            return true;
        if (equals_word(previous, "LOCK") && equals_word(word, "IN"))
            return true;
    }
    return false;
}

// Reads the words of a statement, skipping white space and comments; a quoted name (`name` or
// "name") is one word without its quotes.
class name_reader {
public:
    explicit name_reader(std::string_view sql) : sql_(sql) {}
    std::string next() {
        skip_space();
        if (pos_ >= sql_.size())
            return {};
        if (sql_[pos_] == '`' || sql_[pos_] == '"') {
            const char quote = sql_[pos_];
            std::string word;
            for (++pos_; pos_ < sql_.size(); ++pos_) {
                if (sql_[pos_] == quote) {
                    if (pos_ + 1 < sql_.size() && sql_[pos_ + 1] == quote) {
                        word += quote;
                        ++pos_;
                        continue;
                    }
                    ++pos_;
                    break;
                }
                word += sql_[pos_];
            }
            return word;
        }
        const auto start = pos_;
        while (pos_ < sql_.size() && (std::isalnum(static_cast<unsigned char>(sql_[pos_])) ||
                                      sql_[pos_] == '_' || sql_[pos_] == '$'))
            ++pos_;
        if (pos_ == start)
            return std::string(1, sql_[pos_++]);
        return std::string(sql_.substr(start, pos_ - start));
    }
    bool next_is_dot() {
        skip_space();
        if (pos_ < sql_.size() && sql_[pos_] == '.') {
            ++pos_;
            return true;
        }
        return false;
    }

private:
    void skip_space() {
        while (pos_ < sql_.size()) {
            if (std::isspace(static_cast<unsigned char>(sql_[pos_]))) {
                ++pos_;
            } else if (sql_.substr(pos_, 2) == "/*") {
                const auto end = sql_.find("*/", pos_ + 2);
                pos_ = end == std::string_view::npos ? sql_.size() : end + 2;
            } else if (sql_.substr(pos_, 2) == "--" || sql_[pos_] == '#') {
                const auto end = sql_.find('\n', pos_);
                pos_ = end == std::string_view::npos ? sql_.size() : end + 1;
            } else {
                return;
            }
        }
    }
    std::string_view sql_;
    std::size_t pos_ = 0;
};

} // namespace

std::string write_target(std::string_view sql) {
    name_reader words(sql);
    const auto verb = words.next();
    auto word = words.next();
    const auto skip = [&](std::initializer_list<std::string_view> modifiers) {
        for (bool again = true; again;) {
            again = false;
            for (const auto m : modifiers)
                if (equals_ignoring_case(word, m)) {
                    word = words.next();
                    again = true;
                }
        }
    };
    if (equals_ignoring_case(verb, "INSERT") || equals_ignoring_case(verb, "REPLACE")) {
        skip({"LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"});
    } else if (equals_ignoring_case(verb, "UPDATE")) {
        skip({"LOW_PRIORITY", "IGNORE"});
    } else if (equals_ignoring_case(verb, "DELETE")) {
        skip({"LOW_PRIORITY", "QUICK", "IGNORE"});
        if (!equals_ignoring_case(word, "FROM"))
            return {};
        word = words.next();
    } else {
        return {};
    }
    while (words.next_is_dot()) // schema.table: keep the table
        word = words.next();
    return word;
}

std::size_t skip_literal_or_comment(std::string_view sql, std::size_t i) noexcept {
    const char c = sql[i];
    const auto next = [&](std::size_t k) { return k < sql.size() ? sql[k] : '\0'; };
    if (c == '\'' || c == '"' || c == '`') {
        std::size_t j = i + 1;
        while (j < sql.size()) {
            if (sql[j] == '\\' && c != '"') {
                j += 2;
                continue;
            }
            if (sql[j] == c) {
                if (next(j + 1) == c) { // a doubled quote inside the literal
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            ++j;
        }
        return sql.size();
    }
    if (c == '-' && next(i + 1) == '-') {
        const auto end = sql.find('\n', i);
        return end == std::string_view::npos ? sql.size() : end + 1;
    }
    if (c == '/' && next(i + 1) == '*') {
        const auto end = sql.find("*/", i + 2);
        return end == std::string_view::npos ? sql.size() : end + 2;
    }
    if (c == '$' && (i == 0 || !is_word_char(sql[i - 1]))) {
        // PostgreSQL's dollar quoting: $$...$$ or $tag$...$tag$; $1 is a parameter, not a tag.
        std::size_t j = i + 1;
        if (j < sql.size() && (std::isalpha(static_cast<unsigned char>(sql[j])) || sql[j] == '_'))
            while (j < sql.size() &&
                   (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_'))
                ++j;
        if (next(j) != '$')
            return i;
        const auto tag = sql.substr(i, j + 1 - i);
        const auto close = sql.find(tag, j + 1);
        return close == std::string_view::npos ? sql.size() : close + tag.size();
    }
    return i;
}

std::pair<std::string, int> number_placeholders(std::string_view sql, std::string_view prefix) {
    std::string out;
    out.reserve(sql.size() + 8);
    int count = 0;
    for (std::size_t i = 0; i < sql.size();) {
        if (const auto end = skip_literal_or_comment(sql, i); end != i) {
            out.append(sql.substr(i, end - i));
            i = end;
            continue;
        }
        const char c = sql[i];
        if (c == '?' && i + 1 < sql.size() && sql[i + 1] == '?') {
            out += '?'; // ?? is a literal ? (PostgreSQL's jsonb operators)
            i += 2;
            continue;
        }
        if (c == '?') {
            out.append(prefix);
            out.append(std::to_string(++count));
        } else {
            out += c;
        }
        ++i;
    }
    return {std::move(out), count};
}

bool has_several_statements(std::string_view sql) noexcept {
    bool after_semicolon = false;
    for (std::size_t i = 0; i < sql.size();) {
        if (const auto end = skip_literal_or_comment(sql, i); end != i) {
            const char c = sql[i];
            const bool comment = c == '-' || c == '/';
            if (after_semicolon && !comment)
                return true;
            i = end;
            continue;
        }
        const char c = sql[i++];
        if (c == ';') {
            after_semicolon = true;
        } else if (after_semicolon && c == '#') { // MySQL's line comment after the statement
            const auto end = sql.find('\n', i);
            i = end == std::string_view::npos ? sql.size() : end + 1;
        } else if (after_semicolon && !std::isspace(static_cast<unsigned char>(c))) {
            return true;
        }
    }
    return false;
}

statement_class classify_statement(std::string_view sql) noexcept {
    word_reader words(sql);
    const auto first = words.next();
    if (is_one_of(first, query_words))
        return has_locking_clause(words) ? statement_class::locking_query : statement_class::query;
    if (is_one_of(first, write_words))
        return statement_class::write;
    if (is_one_of(first, control_words))
        return statement_class::transaction_control;
    if (is_one_of(first, ddl_words))
        return statement_class::ddl;
    if (equals_word(first, "SET")) {
        // SET autocommit / SET TRANSACTION change what a transaction is behind the core's back.
        const auto second = words.next();
        if (equals_word(second, "AUTOCOMMIT") || equals_word(second, "TRANSACTION") ||
            equals_word(second, "SESSION") || equals_word(second, "LOCAL")) {
            const auto third =
                equals_word(second, "AUTOCOMMIT") || equals_word(second, "TRANSACTION")
                    ? second
                    : words.next();
            if (equals_word(third, "AUTOCOMMIT") || equals_word(third, "TRANSACTION") ||
                equals_word(third, "CHARACTERISTICS"))
                return statement_class::transaction_control;
        }
    }
    return statement_class::other;
}

bool calls_function(std::string_view sql, std::string_view name) noexcept {
    word_reader words(sql);
    for (auto word = words.next(); !word.empty(); word = words.next()) {
        if (!equals_ignoring_case(word, name))
            continue;
        auto i = words.position();
        while (i < sql.size() && std::isspace(static_cast<unsigned char>(sql[i])))
            ++i;
        if (i < sql.size() && sql[i] == '(')
            return true;
    }
    return false;
}

bool starts_with_words(std::string_view sql,
                       std::initializer_list<std::string_view> keywords) noexcept {
    word_reader words(sql);
    for (const auto keyword : keywords)
        if (!equals_ignoring_case(words.next(), keyword))
            return false;
    return true;
}

} // namespace lockstep::detail
