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

namespace detail {
template <class> struct member_pointer;
template <class M, class T> struct member_pointer<T M::*> {
    using model = M;
    using type = T;
};
template <auto Member>
concept data_member = std::is_member_object_pointer_v<decltype(Member)>;
} // namespace detail

/// A column whose member is a compile-time constant, made by `column<&M::x>(...)`,
/// `primary_key<&M::id>(...)` or `foreign_key<&M::x>(...)`. A table declared with these alone
/// reads a row's values in one inlined pass, without a call per column (docs/performance.md);
/// the columns, the SQL and every check are the same as with `column(&M::x, ...)`.
template <auto Member, bool Key = false>
requires detail::data_member<Member>
struct member_column {
    using model_type = typename detail::member_pointer<decltype(Member)>::model; ///< the struct
    using member_type = typename detail::member_pointer<decltype(Member)>::type; ///< its member
    static constexpr auto member = Member; ///< the member this column stores
    static constexpr bool key = Key;       ///< is the primary key
    column_info info;                      ///< name, type and constraints

    /// The same column with a run-time accessor, for a table declared with a braced list.
    operator column_def<model_type>() const { // implicit, so both kinds mix in a braced list
        auto def = detail::make_column(Member, info.name);
        def.info = info;
        return def;
    }
};

/// `column` with the member as a template argument, so that writes read it without a call.
/// Options as for `column(&M::x, ...)`.
///
/// Example:
///
///     lockstep::column<&Author::name>("name", lockstep::max_length(100), lockstep::unique)
template <auto Member, class... Options>
requires detail::data_member<Member> member_column<Member> column(std::string name,
                                                                  Options... options) {
    member_column<Member> c{detail::make_column(Member, std::move(name)).info};
    (detail::apply(c.info, options), ...);
    return c;
}

/// `primary_key` with the member as a template argument (an `std::int64_t` member).
///
/// Example:
///
///     lockstep::primary_key<&Author::id>("id")
template <auto Member>
requires detail::data_member<Member> &&
    std::is_same_v<typename detail::member_pointer<decltype(Member)>::type, std::int64_t>
        member_column<Member, true> primary_key(std::string name) {
    member_column<Member, true> c{detail::make_column(Member, std::move(name)).info};
    c.info.primary_key = true;
    return c;
}

/// `foreign_key` with the member as a template argument.
///
/// Example:
///
///     lockstep::foreign_key<&Book::author_id>("author_id", authors, lockstep::on_delete::cascade)
template <auto Member, class Parent>
requires detail::data_member<Member> member_column<Member>
foreign_key(std::string name, const table<Parent>& parent, on_delete deletion) {
    return member_column<Member>{foreign_key(Member, std::move(name), parent, deletion).info};
}

namespace detail {
template <class> inline constexpr bool is_member_column = false;
template <auto Member, bool Key>
inline constexpr bool is_member_column<member_column<Member, Key>> = true;
} // namespace detail

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

    /// A table named `name` whose columns' members are compile-time constants (`column<&M::x>`
    /// and its kin, one `primary_key` among them): a write reads the row in one inlined pass.
    ///
    /// Example:
    ///
    ///     inline const lockstep::table<Author> authors{"author",
    ///         lockstep::primary_key<&Author::id>("id"),
    ///         lockstep::column<&Author::name>("name", lockstep::max_length(100))};
    template <class... Columns>
    requires(sizeof...(Columns) > 0 && (detail::is_member_column<Columns> && ...) &&
             (std::is_same_v<typename Columns::model_type, Model> &&
              ...)) explicit table(std::string name, Columns... columns)
        : table(std::move(name), std::vector<column_def<Model>>{columns...}) {
        // The gather skips a key by its type, the SQL by its description: they must agree.
        if (!((Columns::key == columns.info.primary_key) && ...))
            throw usage_error("Table \"" + this->name() +
                              "\": a member_column's key flag differs from its column's; make "
                              "columns with column<>, primary_key<> and foreign_key<>.");
        gather_ = &gather_members<Columns...>;
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
        if (gather_ != nullptr) // compile-time columns: no loop, no call per column
            return gather_(*this, m, out, with_key, check);
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
    // insert_values for a table of member_columns, one instance per column list.
    template <class... Columns>
    static std::size_t gather_members(const table& t, const Model& m, param* out, bool with_key,
                                      bool check) {
        std::size_t used = 0;
        std::size_t i = 0;
        (t.gather_member<Columns>(m, out, used, i++, with_key, check), ...);
        return used;
    }
    template <class Column>
    [[gnu::always_inline]] void gather_member(const Model& m, param* out, std::size_t& used,
                                              std::size_t i, bool with_key, bool check) const {
        if constexpr (Column::key)
            if (!with_key)
                return;
        using traits = detail::member_traits<typename Column::member_type>;
        const param* p = new (out + used++) param(traits::get(m.*(Column::member)));
        if constexpr (traits::type == column_type::text || traits::type == column_type::real)
            if (check)
                check_value(i, *p);
    }

    void check_value(std::size_t i, const param& p) const {
        const auto& c = plan_[i];
        if (!c.checked)
            return;
        // Only the fast tests inline: the names a message needs are read on the cold path, so
        // a write that passes loads nothing for them (and saves fewer registers).
        if (const auto* text = std::get_if<std::string_view>(&p)) {
            if (!detail::is_short_plain_ascii(*text, c.max_length)) [[unlikely]]
                check_text_named(i, *text);
        } else if (const auto* real = std::get_if<double>(&p)) {
            if (!std::isfinite(*real)) [[unlikely]]
                detail::throw_not_finite(*real, columns()[i].name, name());
        }
    }
    [[gnu::noinline, gnu::cold]] void check_text_named(std::size_t i, std::string_view text) const {
        detail::check_text_fully(text, plan_[i].max_length, columns()[i].name, name());
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
    // Set by the constructor of member_columns: insert_values without a call per column.
    std::size_t (*gather_)(const table&, const Model&, param*, bool, bool) = nullptr;
};

} // namespace lockstep
