// Table descriptors: a plain struct plus a value that maps its members to columns (no macros).
// SPDX-License-Identifier: MIT
#pragma once

#include "lockstep/errors.hpp"
#include "lockstep/export.hpp"
#include "lockstep/text_check.hpp"
#include "lockstep/value.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace lockstep {

class table_base;

/// What happens to rows that point at a deleted row.
enum class on_delete {
    cascade,  ///< they are deleted too, inside the same unit (semantics 3.3)
    restrict, ///< the delete fails with an `integrity_error` (foreign_key)
    set_null, ///< their key becomes NULL (the member must be `std::optional`)
};

/// Column option: the most characters a text column holds (checked on every engine, semantics 6.2).
struct LOCKSTEP_API max_length {
    /// At most `n` characters.
    explicit constexpr max_length(std::size_t n) noexcept : characters(n) {}
    std::size_t characters; ///< the limit, in characters (not bytes)
};

/// Column option: no two rows may hold the same value (compared byte for byte, semantics 5.5).
struct LOCKSTEP_API unique_t {
    explicit constexpr unique_t() = default;
};
/// Column option: a UNIQUE constraint (`lockstep::column(&M::email, "email", lockstep::unique)`).
inline constexpr unique_t unique{};

/// A column as the DDL and SQL builders see it.
struct LOCKSTEP_API column_info {
    std::string name;                        ///< the column name, unquoted
    column_type type = column_type::integer; ///< the value type
    bool nullable = false;                   ///< may hold NULL (a `std::optional` member)
    bool primary_key = false;                ///< is the table's key
    bool unique = false;                     ///< has a UNIQUE constraint
    std::optional<std::size_t> max_length;   ///< most characters, for text
    const table_base* references = nullptr;  ///< the parent table of a foreign key
    lockstep::on_delete deletion = lockstep::on_delete::restrict; ///< what deleting the parent does
};

namespace detail {

template <class T> struct member_traits;
template <class Int>
requires(std::is_integral_v<Int> && !std::is_same_v<Int, bool>) struct member_traits<Int> {
    static constexpr column_type type = column_type::integer;
    static constexpr bool nullable = false;
    static param get(const Int& v) { return static_cast<std::int64_t>(v); }
    static void set(Int& m, const value& v) { m = static_cast<Int>(as_integer(v)); }
};
template <> struct member_traits<bool> {
    static constexpr column_type type = column_type::boolean;
    static constexpr bool nullable = false;
    static param get(const bool& v) { return v; }
    static void set(bool& m, const value& v) { m = as_bool(v); }
};
template <class Real>
requires std::is_floating_point_v<Real>
struct member_traits<Real> {
    static constexpr column_type type = column_type::real;
    static constexpr bool nullable = false;
    static param get(const Real& v) { return static_cast<double>(v); }
    static void set(Real& m, const value& v) { m = static_cast<Real>(as_real(v)); }
};
template <> struct member_traits<std::string> {
    static constexpr column_type type = column_type::text;
    static constexpr bool nullable = false;
    static param get(const std::string& v) { return std::string_view(v); }
    static void set(std::string& m, const value& v) { m = as_text(v); }
};
template <> struct member_traits<blob> {
    static constexpr column_type type = column_type::binary;
    static constexpr bool nullable = false;
    static param get(const blob& v) { return std::span<const std::byte>(v); }
    static void set(blob& m, const value& v) { m = as_blob(v); }
};
template <class T> struct member_traits<std::optional<T>> {
    static constexpr column_type type = member_traits<T>::type;
    static constexpr bool nullable = true;
    static param get(const std::optional<T>& v) {
        return v ? member_traits<T>::get(*v) : param(nullptr);
    }
    static void set(std::optional<T>& m, const value& v) {
        if (is_null(v)) {
            m.reset();
            return;
        }
        T inner{};
        member_traits<T>::set(inner, v);
        m = std::move(inner);
    }
};

/// Reads and writes one member of a model; erased so a table can hold columns of any type.
template <class Model> class accessor {
public:
    virtual ~accessor() = default;
    virtual param get(const Model& m) const = 0;
    virtual void set(Model& m, const value& v) const = 0;
};

template <class Model, class T> class member_accessor final : public accessor<Model> {
public:
    explicit member_accessor(T Model::*member) : member_(member) {}
    param get(const Model& m) const override { return member_traits<T>::get(m.*member_); }
    void set(Model& m, const value& v) const override { member_traits<T>::set(m.*member_, v); }
    bool is(T Model::*member) const noexcept { return member == member_; }
    T Model::*member() const noexcept { return member_; }

private:
    T Model::*member_;
};

LOCKSTEP_API std::uint64_t next_table_serial() noexcept;

} // namespace detail

/// One column of a `table<Model>`, made by `column`, `primary_key` or `foreign_key`.
template <class Model> struct column_def {
    column_info info;                                      ///< name, type and constraints
    std::shared_ptr<const detail::accessor<Model>> access; ///< reads and writes the member
};

namespace detail {
template <class Model, class T> column_def<Model> make_column(T Model::*member, std::string name) {
    column_def<Model> def;
    def.info.name = std::move(name);
    def.info.type = member_traits<T>::type;
    def.info.nullable = member_traits<T>::nullable;
    def.access = std::make_shared<member_accessor<Model, T>>(member);
    return def;
}
inline void apply(column_info& info, max_length m) {
    if (info.type != column_type::text)
        throw usage_error("Column \"" + info.name + "\": max_length applies to text columns only.");
    info.max_length = m.characters;
}
inline void apply(column_info& info, unique_t) {
    info.unique = true;
}
} // namespace detail

/// A data column. Options: `lockstep::max_length(n)` for text, `lockstep::unique`.
/// `std::optional` members are nullable; all others are NOT NULL.
///
/// Example:
///
///     lockstep::column(&Author::name, "name", lockstep::max_length(100), lockstep::unique)
template <class Model, class T, class... Options>
column_def<Model> column(T Model::*member, std::string name, Options... options) {
    auto def = detail::make_column(member, std::move(name));
    (detail::apply(def.info, options), ...);
    return def;
}

/// The primary key: an integer the engine generates when the member is 0 at insert.
template <class Model>
column_def<Model> primary_key(std::int64_t Model::*member, std::string name) {
    auto def = detail::make_column(member, std::move(name));
    def.info.primary_key = true;
    return def;
}

template <class Model> class table;

/// A foreign key to `parent`'s primary key, checked at the statement that breaks it on every
/// engine (semantics 5.3).
template <class Model, class T, class Parent>
column_def<Model> foreign_key(T Model::*member, std::string name, const table<Parent>& parent,
                              on_delete deletion) {
    auto def = detail::make_column(member, std::move(name));
    if (def.info.type != column_type::integer)
        throw usage_error("Foreign key \"" + def.info.name + "\" must be an integer member.");
    if (deletion == on_delete::set_null && !def.info.nullable)
        throw usage_error("Foreign key \"" + def.info.name +
                          "\" uses on_delete::set_null, so its member must be std::optional.");
    def.info.references = &parent;
    def.info.deletion = deletion;
    return def;
}

/// What every table has, whatever its model type: a name, columns and a primary key.
class LOCKSTEP_API table_base {
public:
    table_base(const table_base&) = delete;
    table_base& operator=(const table_base&) = delete;

    /// The table's name, unquoted.
    const std::string& name() const noexcept { return name_; }
    /// The columns, in declaration order.
    const std::vector<column_info>& columns() const noexcept { return columns_; }
    /// The index of the primary key in `columns()`.
    std::size_t key_index() const noexcept { return key_index_; }
    /// The primary key column.
    const column_info& key() const noexcept { return columns_[key_index_]; }
    /// A process-unique number; caches key on it rather than on the table's address.
    std::uint64_t serial() const noexcept { return serial_; }

protected:
    /// Checks the columns (one primary key, unique names); throws `usage_error` otherwise.
    table_base(std::string name, std::vector<column_info> columns);
    ~table_base() = default;

private:
    std::string name_;
    std::vector<column_info> columns_;
    std::size_t key_index_ = 0;
    std::uint64_t serial_;
};

/// Maps `Model`, a plain struct, to a table. A value, not a macro; the table's address is the
/// sender that model signals filter on, so tables are neither copied nor moved.
///
/// Example:
///
///     struct Author { std::int64_t id = 0; std::string name; };
///     inline const lockstep::table<Author> authors{"author", {
///         lockstep::primary_key(&Author::id, "id"),
///         lockstep::column(&Author::name, "name", lockstep::max_length(100)),
///     }};
template <class Model> class table : public table_base {
public:
    using model_type = Model; ///< the struct this table maps

    /// A table named `name` with `columns` (one `primary_key` among them).
    table(std::string name, std::vector<column_def<Model>> columns)
        : table_base(std::move(name), infos(columns)) {
        for (auto& c : columns)
            accessors_.push_back(std::move(c.access));
        // primary_key() takes an std::int64_t member, so this cast cannot fail.
        key_member_ = dynamic_cast<const detail::member_accessor<Model, std::int64_t>&>(
                          *accessors_[key_index()])
                          .member();
        for (std::size_t i = 0; i < accessors_.size(); ++i) {
            const auto& info = this->columns()[i];
            plan_.push_back({accessors_[i].get(), info.max_length,
                             info.type == column_type::text || info.type == column_type::real,
                             i == key_index()});
        }
    }

    /// The value of column `index` in `m`, borrowed from `m`.
    param get(const Model& m, std::size_t index) const { return accessors_[index]->get(m); }
    /// Stores `v` into column `index` of `m`.
    void set(Model& m, std::size_t index, const value& v) const { accessors_[index]->set(m, v); }
    /// The primary key of `m` (0 when the engine has not given it one yet).
    std::int64_t key_of(const Model& m) const noexcept { return m.*key_member_; }
    /// Stores the key the engine gave `m`.
    void set_key(Model& m, std::int64_t key) const noexcept { m.*key_member_ = key; }

    /// Writes the values an INSERT binds, in column order, into `out` (room for every column):
    /// every column, or every column but the key when `with_key` is false. With `check`, text
    /// values are checked first (semantics 6.2), naming the column when one is bad. Returns how
    /// many were written. The values borrow from `m`.
    std::size_t insert_values(const Model& m, param* out, bool with_key, bool check) const {
        std::size_t used = 0;
        for (std::size_t i = 0; i < plan_.size(); ++i) {
            if (plan_[i].key && !with_key)
                continue;
            const param* p = new (out + used++) param(plan_[i].access->get(m));
            if (check)
                check_value(i, *p);
        }
        return used;
    }

    /// Checks every text and real value of `m` (semantics 6.2, 6.5): throws `data_error` naming
    /// the column of the first bad one.
    void check_text_values(const Model& m) const {
        for (std::size_t i = 0; i < plan_.size(); ++i)
            if (plan_[i].checked)
                check_value(i, plan_[i].access->get(m));
    }
    /// The index of the column that stores `member`. Throws `usage_error` if none does.
    template <class T> std::size_t index_of(T Model::*member) const {
        for (std::size_t i = 0; i < accessors_.size(); ++i)
            if (const auto* a =
                    dynamic_cast<const detail::member_accessor<Model, T>*>(accessors_[i].get()))
                if (a->is(member))
                    return i;
        throw usage_error("Table \"" + name() + "\" has no column for that member.");
    }

private:
    void check_value(std::size_t i, const param& p) const {
        const auto& c = plan_[i];
        if (!c.checked)
            return;
        if (const auto* text = std::get_if<std::string_view>(&p))
            check_text(*text, c.max_length, columns()[i].name, name());
        else if (const auto* real = std::get_if<double>(&p))
            check_real(*real, columns()[i].name, name());
    }

    static std::vector<column_info> infos(const std::vector<column_def<Model>>& columns) {
        std::vector<column_info> out;
        for (const auto& c : columns)
            out.push_back(c.info);
        return out;
    }

    std::vector<std::shared_ptr<const detail::accessor<Model>>> accessors_;
    // What a write reads per column, packed together: the columns' descriptions stay cold.
    struct column_plan {
        const detail::accessor<Model>* access;
        std::optional<std::size_t> max_length; ///< most characters, for text
        bool checked; // text or real: values Lockstep validates before sending
        bool key;
    };
    std::vector<column_plan> plan_;
    std::int64_t Model::*key_member_ = nullptr;
};

} // namespace lockstep
