/*
 * socketio_history.hpp: a header-only C++17 wrapper over the C API of
 * libsocketio_history. Handles free themselves (RAII); failures throw
 * sioh::Error carrying the status code and the library's message.
 *
 *   sioh::Store store;
 *   store.enable("lobby", sioh::RoomConfig{}.with_max_entries(500));
 *   store.record_json("lobby", "chat", R"({"text":"hi"})");
 *   for (const auto &e : store.fetch("lobby", sioh::Query{}.with_limit(50)))
 *       std::cout << e.seq << ' ' << e.event << ' ' << e.payload << '\n';
 *
 * Thread safety: as the C API — a Store may be used from several threads at
 * once; Entries are immutable.
 */
#ifndef SOCKETIO_HISTORY_HPP
#define SOCKETIO_HISTORY_HPP

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "socketio_history.h"

namespace sioh {

/** A failed call: the status code and the library's explanation. */
class Error : public std::runtime_error {
public:
    Error(sioh_status status, const char *message)
        : std::runtime_error(message && *message ? message : sioh_status_message(status)),
          status_(status) {}
    sioh_status status() const noexcept { return status_; }

private:
    sioh_status status_;
};

namespace detail {
inline void check(sioh_status status) {
    if (status != SIOH_STATUS_OK) throw Error(status, sioh_last_error_message());
}
struct StoreDeleter {
    void operator()(sioh_store *p) const noexcept { sioh_store_free(p); }
};
struct EntriesDeleter {
    void operator()(sioh_entries *p) const noexcept { sioh_entries_free(p); }
};
struct RoomsDeleter {
    void operator()(sioh_rooms *p) const noexcept { sioh_rooms_free(p); }
};
inline sioh_str view(std::string_view s) noexcept { return sioh_str{s.data(), s.size()}; }
}  // namespace detail

/** How a payload's bytes are to be read. */
enum class PayloadKind : uint32_t {
    Text = SIOH_PAYLOAD_KIND_TEXT,
    Bytes = SIOH_PAYLOAD_KIND_BYTES,
    Json = SIOH_PAYLOAD_KIND_JSON,
    JsonArgs = SIOH_PAYLOAD_KIND_JSON_ARGS,
};

/** A room's retention settings (the C defaults). */
struct RoomConfig {
    size_t max_entries = 100;
    double retention_seconds = 0;  // 0: no expiry
    size_t max_bytes = 0;          // 0: no byte bound
    std::optional<size_t> payload_size_cap;
    size_t max_message_bytes = 1 << 20;
    size_t max_appends = 4096;
    size_t max_open_streams = 1024;

    RoomConfig &with_max_entries(size_t n) { max_entries = n; return *this; }
    RoomConfig &with_max_message_bytes(size_t n) { max_message_bytes = n; return *this; }
    RoomConfig &with_max_appends(size_t n) { max_appends = n; return *this; }
    RoomConfig &with_max_open_streams(size_t n) { max_open_streams = n; return *this; }
    RoomConfig &with_retention_seconds(double s) { retention_seconds = s; return *this; }
    RoomConfig &with_max_bytes(size_t n) { max_bytes = n; return *this; }
    RoomConfig &with_payload_size_cap(size_t n) { payload_size_cap = n; return *this; }

    sioh_room_config to_c() const {
        sioh_room_config c;
        sioh_room_config_init(&c);
        c.max_entries = max_entries;
        c.retention_seconds = retention_seconds;
        c.max_bytes = max_bytes;
        c.has_payload_size_cap = payload_size_cap.has_value();
        c.payload_size_cap = payload_size_cap.value_or(0);
        c.max_message_bytes = max_message_bytes;
        c.max_appends = max_appends;
        c.max_open_streams = max_open_streams;
        return c;
    }
};

/** One field of a message update: keep it, clear it (data only), or
 *  replace it (data read as `kind`). */
struct Patch {
    sioh_patch_mode mode = SIOH_PATCH_MODE_KEEP;
    PayloadKind kind = PayloadKind::Json;
    std::string value;

    static Patch keep() { return Patch{}; }
    static Patch clear() { return Patch{SIOH_PATCH_MODE_CLEAR, PayloadKind::Json, {}}; }
    static Patch replace(std::string v, PayloadKind k = PayloadKind::Json) {
        return Patch{SIOH_PATCH_MODE_REPLACE, k, std::move(v)};
    }
    sioh_patch to_c() const {
        return sioh_patch{static_cast<uint32_t>(mode), static_cast<uint32_t>(kind),
                          reinterpret_cast<const uint8_t *>(value.data()), value.size()};
    }
};

/** Who is acting on a message: no actor is the server itself. */
struct Actor {
    std::string actor;
    std::vector<std::pair<sioh_grant_kind, std::string>> grants;
};

/** What a message operation did. */
struct Mutation {
    sioh_action action;
    uint64_t version;
    uint64_t seq;
    bool is_final;
    std::string message_id;
};

/** What a read selects (see sioh_query). */
struct Query {
    std::optional<size_t> limit;
    std::optional<uint64_t> since_seq, before_seq;
    std::optional<std::vector<std::string>> include_events, exclude_events;
    std::optional<size_t> payload_size_cap;

    Query &with_limit(size_t n) { limit = n; return *this; }
    Query &with_since_seq(uint64_t s) { since_seq = s; return *this; }
    Query &with_before_seq(uint64_t s) { before_seq = s; return *this; }
    Query &with_include_events(std::vector<std::string> e) { include_events = std::move(e); return *this; }
    Query &with_exclude_events(std::vector<std::string> e) { exclude_events = std::move(e); return *this; }
    Query &with_payload_size_cap(size_t n) { payload_size_cap = n; return *this; }
    std::optional<double> since_time, until_time;  // Unix seconds
    Query &with_since_time(double t) { since_time = t; return *this; }
    Query &with_until_time(double t) { until_time = t; return *this; }
};

/** One entry, borrowed from the Entries it came from. */
struct EntryView {
    std::string_view event;
    PayloadKind kind;
    std::string_view payload;  // text, JSON text, or raw bytes
    double timestamp;
    uint64_t seq;
    bool truncated;
};

/** The entries a read returned, oldest first; frees itself. */
class Entries {
public:
    explicit Entries(sioh_entries *raw) : raw_(raw) {}
    size_t size() const noexcept { return sioh_entries_len(raw_.get()); }
    bool empty() const noexcept { return size() == 0; }
    EntryView operator[](size_t i) const {
        sioh_entry e;
        detail::check(sioh_entries_get(raw_.get(), i, &e));
        return EntryView{std::string_view(e.event, e.event_len), static_cast<PayloadKind>(e.kind),
                         std::string_view(reinterpret_cast<const char *>(e.payload), e.payload_len),
                         e.timestamp, e.seq, e.truncated};
    }

    class iterator {
    public:
        iterator(const Entries *owner, size_t i) : owner_(owner), i_(i) {}
        EntryView operator*() const { return (*owner_)[i_]; }
        iterator &operator++() { ++i_; return *this; }
        bool operator!=(const iterator &o) const { return i_ != o.i_; }

    private:
        const Entries *owner_;
        size_t i_;
    };
    iterator begin() const { return iterator(this, 0); }
    iterator end() const { return iterator(this, size()); }

private:
    std::unique_ptr<sioh_entries, detail::EntriesDeleter> raw_;
};

/** A page read: entries plus the resync signals. */
struct Page {
    Entries entries;
    std::string epoch;
    std::optional<uint64_t> first_seq;
    uint64_t last_seq;
    bool has_more;
    bool gap;
};

/** A store of room histories (see sioh_store). */
class Store {
public:
    /** max_total_bytes: budget across all rooms, 0 for none; clock: the
     *  clock every record reads (SIOH_CLOCK_COARSE: cheaper, in kernel
     *  ticks). */
    explicit Store(size_t max_total_bytes = 0, sioh_clock clock = SIOH_CLOCK_PRECISE) {
        sioh_store *raw = nullptr;
        detail::check(sioh_store_new_with_clock(max_total_bytes, clock, &raw));
        raw_.reset(raw);
    }

    void enable(std::string_view room, const RoomConfig &config = {}, std::string_view ns = "/") {
        sioh_room_config c = config.to_c();
        detail::check(sioh_room_enable(get(), ns.data(), ns.size(), room.data(), room.size(), &c));
    }
    bool disable(std::string_view room, std::string_view ns = "/") {
        bool was = false;
        detail::check(sioh_room_disable(get(), ns.data(), ns.size(), room.data(), room.size(), &was));
        return was;
    }
    size_t clear(std::string_view room, std::string_view ns = "/") {
        size_t n = 0;
        detail::check(sioh_room_clear(get(), ns.data(), ns.size(), room.data(), room.size(), &n));
        return n;
    }

    /** Record one emit; returns its seq. Throws Error with SIOH_STATUS_NOT_ENABLED
     *  or SIOH_STATUS_PAYLOAD_TOO_LARGE when it is not recorded. */
    uint64_t record(std::string_view room, std::string_view event, PayloadKind kind,
                    std::string_view payload, std::string_view ns = "/",
                    std::optional<double> timestamp = std::nullopt) {
        uint64_t seq = 0;
        const double *ts = timestamp ? &*timestamp : nullptr;
        detail::check(sioh_room_record(get(), ns.data(), ns.size(), room.data(), room.size(),
                                       event.data(), event.size(), static_cast<uint32_t>(kind),
                                       reinterpret_cast<const uint8_t *>(payload.data()),
                                       payload.size(), ts, &seq));
        return seq;
    }
    uint64_t record_text(std::string_view room, std::string_view event, std::string_view text,
                         std::string_view ns = "/") {
        return record(room, event, PayloadKind::Text, text, ns);
    }
    uint64_t record_json(std::string_view room, std::string_view event, std::string_view json,
                         std::string_view ns = "/") {
        return record(room, event, PayloadKind::Json, json, ns);
    }

    Entries fetch(std::string_view room, const Query &query = {}, std::string_view ns = "/") const {
        Lists lists(query);
        sioh_entries *raw = nullptr;
        detail::check(sioh_room_fetch(get(), ns.data(), ns.size(), room.data(), room.size(),
                                      &lists.c, &raw));
        return Entries(raw);
    }

    /** Entries in a view (SIOH_VIEW_LATEST: each message once, latest state). */
    Entries fetch_view(std::string_view room, sioh_view view, const Query &query = {},
                       std::string_view ns = "/") const {
        Lists lists(query);
        sioh_entries *raw = nullptr;
        detail::check(sioh_room_fetch_view(get(), ns.data(), ns.size(), room.data(), room.size(),
                                           &lists.c, static_cast<uint32_t>(view), &raw));
        return Entries(raw);
    }

    /** Create a mutable message (an empty message_id draws a random one). */
    Mutation create_message(std::string_view room, std::string_view event, PayloadKind kind,
                            std::string_view data, std::string_view message_id = {},
                            std::string_view owner = {}, std::string_view ns = "/") {
        sioh_mutation m;
        detail::check(sioh_message_create(
            get(), ns.data(), ns.size(), room.data(), room.size(), event.data(), event.size(),
            static_cast<uint32_t>(kind), reinterpret_cast<const uint8_t *>(data.data()),
            data.size(), message_id.empty() ? nullptr : message_id.data(), message_id.size(),
            owner.empty() ? nullptr : owner.data(), owner.size(), &m));
        return to_mutation(m);
    }
    Mutation update_message(std::string_view room, std::string_view message_id,
                            const Patch &event, const Patch &data,
                            const std::optional<Actor> &actor = std::nullopt,
                            std::string_view ns = "/") {
        sioh_patch e = event.to_c(), d = data.to_c();
        Auth auth(actor);
        sioh_mutation m;
        detail::check(sioh_message_update(get(), ns.data(), ns.size(), room.data(), room.size(),
                                          message_id.data(), message_id.size(), &e, &d,
                                          auth.get(), &m));
        return to_mutation(m);
    }
    Mutation delete_message(std::string_view room, std::string_view message_id,
                            const std::optional<Actor> &actor = std::nullopt,
                            std::string_view ns = "/") {
        Auth auth(actor);
        sioh_mutation m;
        detail::check(sioh_message_delete(get(), ns.data(), ns.size(), room.data(), room.size(),
                                          message_id.data(), message_id.size(), auth.get(), &m));
        return to_mutation(m);
    }
    Mutation append_message(std::string_view room, std::string_view message_id,
                            std::string_view fragment, bool is_final = false,
                            const std::optional<Actor> &actor = std::nullopt,
                            std::string_view ns = "/") {
        Auth auth(actor);
        sioh_mutation m;
        detail::check(sioh_message_append(get(), ns.data(), ns.size(), room.data(), room.size(),
                                          message_id.data(), message_id.size(), fragment.data(),
                                          fragment.size(), is_final, auth.get(), &m));
        return to_mutation(m);
    }
    /** The message's latest event and data (one entry), and its state. */
    std::pair<Entries, sioh_message_state> get_message(std::string_view room,
                                                       std::string_view message_id,
                                                       std::string_view ns = "/") const {
        sioh_entries *raw = nullptr;
        sioh_message_state st;
        detail::check(sioh_message_get(get(), ns.data(), ns.size(), room.data(), room.size(),
                                       message_id.data(), message_id.size(), &raw, &st));
        return {Entries(raw), st};
    }
    Entries message_versions(std::string_view room, std::string_view message_id,
                             size_t limit = 100, std::string_view ns = "/") const {
        sioh_entries *raw = nullptr;
        detail::check(sioh_message_versions(get(), ns.data(), ns.size(), room.data(),
                                            room.size(), message_id.data(), message_id.size(),
                                            limit, &raw));
        return Entries(raw);
    }

    Page page(std::string_view room, const Query &query = {},
              std::optional<std::string_view> epoch = std::nullopt, std::string_view ns = "/") const {
        Lists lists(query);
        sioh_entries *raw = nullptr;
        sioh_page_info info;
        detail::check(sioh_room_page(get(), ns.data(), ns.size(), room.data(), room.size(),
                                     &lists.c, epoch ? epoch->data() : nullptr,
                                     epoch ? epoch->size() : 0, &raw, &info));
        Page p{Entries(raw), std::string(info.epoch),
               info.has_first_seq ? std::optional<uint64_t>(info.first_seq) : std::nullopt,
               info.last_seq, info.has_more, info.gap};
        return p;
    }

    sioh_stats stats(std::string_view room, std::string_view ns = "/") const {
        sioh_stats s;
        detail::check(sioh_room_stats(get(), ns.data(), ns.size(), room.data(), room.size(), &s));
        return s;
    }

    std::vector<std::pair<std::string, std::string>> rooms() const {
        sioh_rooms *raw = nullptr;
        detail::check(sioh_store_rooms(get(), &raw));
        std::unique_ptr<sioh_rooms, detail::RoomsDeleter> owned(raw);
        std::vector<std::pair<std::string, std::string>> out;
        for (size_t i = 0; i < sioh_rooms_len(raw); i++) {
            sioh_str ns, room;
            detail::check(sioh_rooms_get(raw, i, &ns, &room));
            out.emplace_back(std::string(ns.ptr, ns.len), std::string(room.ptr, room.len));
        }
        return out;
    }

    size_t total_bytes() const noexcept { return sioh_store_total_bytes(get()); }
    sioh_store *get() const noexcept { return raw_.get(); }

private:
    static Mutation to_mutation(const sioh_mutation &m) {
        return Mutation{m.action, m.version, m.seq, m.is_final, std::string(m.message_id)};
    }

    /** An Actor as C structs, kept alive for the call (NULL: the server). */
    struct Auth {
        std::vector<sioh_grant> grants;
        sioh_auth c{};
        bool present = false;
        explicit Auth(const std::optional<Actor> &a) {
            if (!a) return;
            present = true;
            for (const auto &g : a->grants)
                grants.push_back(sioh_grant{static_cast<uint32_t>(g.first), g.second.data(),
                                            g.second.size()});
            c = sioh_auth{a->actor.data(), a->actor.size(), grants.data(), grants.size()};
        }
        const sioh_auth *get() const { return present ? &c : nullptr; }
    };

    /** A Query as C structs, with the string views kept alive for the call. */
    struct Lists {
        std::vector<sioh_str> include, exclude;
        sioh_query c;
        explicit Lists(const Query &q) {
            sioh_query_init(&c);
            c.has_limit = q.limit.has_value();
            c.limit = q.limit.value_or(0);
            c.has_since_seq = q.since_seq.has_value();
            c.since_seq = q.since_seq.value_or(0);
            c.has_before_seq = q.before_seq.has_value();
            c.before_seq = q.before_seq.value_or(0);
            c.has_payload_size_cap = q.payload_size_cap.has_value();
            c.payload_size_cap = q.payload_size_cap.value_or(0);
            c.has_since_time = q.since_time.has_value();
            c.since_time = q.since_time.value_or(0);
            c.has_until_time = q.until_time.has_value();
            c.until_time = q.until_time.value_or(0);
            if (q.include_events) {
                for (const auto &e : *q.include_events) include.push_back(detail::view(e));
                c.has_include_events = true;
                c.include_events = include.data();
                c.include_events_len = include.size();
            }
            if (q.exclude_events) {
                for (const auto &e : *q.exclude_events) exclude.push_back(detail::view(e));
                c.has_exclude_events = true;
                c.exclude_events = exclude.data();
                c.exclude_events_len = exclude.size();
            }
        }
    };

    std::unique_ptr<sioh_store, detail::StoreDeleter> raw_;
};

}  // namespace sioh

#endif /* SOCKETIO_HISTORY_HPP */
