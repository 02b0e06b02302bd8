// The header is valid C++ (included twice, to check its guard) and the RAII
// wrapper works against the real library.
#include "socketio_history.h"
#include "socketio_history.h"
#include "socketio_history.hpp"
#include "socketio_history.hpp"

#include <cstdio>
#include <cstring>
#include <string>

static int passed, failed, cases_passed, cases_failed;
#define CHECK(cond)                                                            \
    do {                                                                       \
        if (cond) {                                                            \
            passed++;                                                          \
        } else {                                                               \
            failed++;                                                          \
            std::fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        }                                                                      \
    } while (0)

// A case passes when none of its checks failed (or it threw nothing).
template <typename Case>
static void run(const char *name, Case test) {
    int before = failed;
    try {
        test();
    } catch (const std::exception &e) {
        std::fprintf(stderr, "case %s threw: %s\n", name, e.what());
        failed++;
    }
    if (failed == before) {
        cases_passed++;
    } else {
        cases_failed++;
        std::fprintf(stderr, "case %s failed\n", name);
    }
}

static void records_and_reads() {
    sioh::Store store;
    store.enable("lobby", sioh::RoomConfig{}.with_max_entries(3));
    store.enable("lobby", sioh::RoomConfig{}.with_max_entries(3), "/chat");
    for (int i = 0; i < 5; i++) store.record_text("lobby", "chat", "m" + std::to_string(i));
    CHECK(store.record_json("lobby", "json", R"({"a": [1, 2]})") == 6);
    CHECK(store.record("lobby", "bin", sioh::PayloadKind::Bytes, std::string_view("\0\1", 2)) == 7);

    auto entries = store.fetch("lobby");
    CHECK(entries.size() == 3);
    uint64_t expect = 5;
    for (const auto &e : entries) CHECK(e.seq == expect++);
    CHECK(entries[0].payload == "m4" && entries[0].event == "chat");
    CHECK(entries[1].kind == sioh::PayloadKind::Json && entries[1].payload == R"({"a":[1,2]})");
    CHECK(entries[2].kind == sioh::PayloadKind::Bytes && entries[2].payload.size() == 2);

    auto filtered = store.fetch("lobby", sioh::Query{}.with_include_events({"chat"}).with_payload_size_cap(1));
    CHECK(filtered.size() == 1 && filtered[0].payload == "m" && filtered[0].truncated);

    sioh::Store coarse(0, SIOH_CLOCK_COARSE);
    coarse.enable("r");
    coarse.record_text("r", "e", "a");
    coarse.record_text("r", "e", "b");
    auto ticks = coarse.fetch("r");
    CHECK(ticks.size() == 2 && ticks[0].timestamp <= ticks[1].timestamp);

    auto page = store.page("lobby", sioh::Query{}.with_since_seq(1));
    CHECK(page.gap && page.last_seq == 7 && page.first_seq == 5u && page.epoch.size() == 12);
    auto resumed = store.page("lobby", sioh::Query{}.with_since_seq(5), page.epoch);
    CHECK(!resumed.gap && resumed.entries.size() == 2);

    auto stats = store.stats("lobby");
    CHECK(stats.enabled && stats.entries_count == 3 && stats.evictions_size == 4);
    CHECK(store.rooms().size() == 2 && store.rooms()[1].first == "/chat");
    CHECK(store.clear("lobby") == 3);
    CHECK(store.disable("lobby") && !store.disable("lobby"));

    try {
        store.record_text("lobby", "chat", "x");
        CHECK(false);
    } catch (const sioh::Error &e) {
        CHECK(e.status() == SIOH_STATUS_NOT_ENABLED);
        CHECK(std::strstr(e.what(), "not enabled") != nullptr);
    }
    try {
        store.enable("r", sioh::RoomConfig{}.with_max_entries(0));
        CHECK(false);
    } catch (const sioh::Error &e) {
        CHECK(e.status() == SIOH_STATUS_INVALID_ARGUMENT);
        CHECK(std::strstr(e.what(), "max_entries") != nullptr);
    }
}

// Mutable messages: an answer streamed by appends, an edit, a delete.
static void mutable_messages() {
    sioh::Store store;
    store.enable("chat");
    auto created = store.create_message("chat", "answer", sioh::PayloadKind::Text, "", "a1", "bot");
    CHECK(created.version == 1 && created.message_id == "a1");
    store.append_message("chat", "a1", "Hello");
    auto fin = store.append_message("chat", "a1", " world", true);
    CHECK(fin.is_final && fin.version == 3 && fin.action == SIOH_ACTION_APPEND);
    auto [latest, state] = store.get_message("chat", "a1");
    CHECK(latest[0].payload == "Hello world" && state.is_final && state.appends == 2);
    auto note = store.create_message("chat", "chat", sioh::PayloadKind::Json, R"({"t":1})");
    CHECK(note.message_id.size() == 26);
    store.update_message("chat", note.message_id, sioh::Patch::keep(),
                         sioh::Patch::replace(R"({"t":2})"));
    CHECK(store.message_versions("chat", note.message_id).size() == 2);
    try {
        sioh::Actor bob{"bob", {{SIOH_GRANT_KIND_MESSAGE_DELETE_OWN, "*"}}};
        store.delete_message("chat", "a1", bob);
        CHECK(false);
    } catch (const sioh::Error &e) {
        CHECK(e.status() == SIOH_STATUS_FORBIDDEN);
    }
    sioh::Actor owner{"bot", {{SIOH_GRANT_KIND_MESSAGE_DELETE_OWN, "*"}}};
    CHECK(store.delete_message("chat", "a1", owner).action == SIOH_ACTION_DELETE);
    auto recent = store.fetch("chat", sioh::Query{}.with_since_time(0).with_until_time(1e12));
    CHECK(recent.size() == 6);
    CHECK(store.fetch("chat", sioh::Query{}.with_until_time(0)).size() == 0);
    auto view = store.fetch_view("chat", SIOH_VIEW_LATEST);
    CHECK(view.size() == 2 && view[1].payload == R"({"t":2})");
    try {
        store.get_message("chat", "nope");
        CHECK(false);
    } catch (const sioh::Error &e) {
        CHECK(e.status() == SIOH_STATUS_NOT_FOUND);
    }
}

int main() {
    run("records_and_reads", records_and_reads);
    run("mutable_messages", mutable_messages);
    std::printf("test_cpp: %d passed, %d failed (%d checks)\n", cases_passed, cases_failed,
                passed + failed);
    return failed == 0 ? 0 : 1;
}
