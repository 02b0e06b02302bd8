/*
 * A Server-Sent Events server on libsocketio_history and libmicrohttpd:
 * per-room event streams that a client resumes with Last-Event-ID.
 *
 *   GET  /                                  a page that follows a room with EventSource
 *   GET  /rooms/ROOM/events                 the room's stream (text/event-stream)
 *   POST /rooms/ROOM/events?event=NAME      record the body (JSON) and fan it out
 *   GET  /rooms/ROOM/history?since=&before=&limit=&epoch=
 *                                           a JSON snapshot, for resyncing
 *   POST /rooms/ROOM/messages?event=NAME[&id=ID]   create a mutable message (JSON body)
 *   POST /rooms/ROOM/messages/ID/append[?final=1]  append the body (text) to it
 *   POST /rooms/ROOM/drop                   end the room's open streams (to show resuming)
 *
 * Every event's `id:` is "<epoch>-<seq>". A client that reconnects with
 * `Last-Event-ID` (the header, or a `lastEventId` query parameter for
 * polyfills) gets exactly what it missed, then live events; a cursor the
 * room can no longer serve (evicted, or from another epoch) gets one
 * `resync` event, then live events; a malformed one gets 400.
 *
 * The history store is the fan-out buffer: each stream keeps only its
 * cursor and reads what came after it, so streams need no queues of their
 * own and every client sees one order. Usage:
 *   sse_server [--port N] [--max-entries N] [--keepalive-ms N] [--data-dir DIR]
 * With --data-dir the store is kept under DIR (a durable store): a restarted
 * server has every room's events, seqs and epochs back, so clients resume
 * with their Last-Event-ID across the restart, with no resync. It prints
 * "listening on PORT" and serves until SIGINT or SIGTERM.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <socketio_history.h>

#define NS "/"
#define MAX_BODY (64 * 1024)
#define BATCH 64

static const char *const ROOMS[] = {"general", "random"};
static const size_t N_ROOMS = sizeof ROOMS / sizeof ROOMS[0];

static sioh_store *store;
/* Streams wait on `changed` for `generation` to move (a record, a drop). */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static unsigned long generation = 0;
/* Per room: bumped by POST /rooms/ROOM/drop, which ends its open streams
 * (their clients reconnect with Last-Event-ID). */
static unsigned long drops[sizeof ROOMS / sizeof ROOMS[0]];
static volatile sig_atomic_t stopping = 0;
static long keepalive_ms = 15000;

/* ---- a growable output buffer ------------------------------------------ */

typedef struct {
    char *data;
    size_t len, cap, sent;
} buf;

static bool buf_put(buf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->data, cap);
        if (!p) return false;
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return true;
}

static bool buf_str(buf *b, const char *s) { return buf_put(b, s, strlen(s)); }

static bool buf_fmt(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool buf_fmt(buf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < sizeof tmp && buf_put(b, tmp, (size_t)n);
}

/* A JSON string literal of `s` (valid UTF-8, as everything the store
 * returns is). */
static bool buf_json_str(buf *b, const char *s, size_t n) {
    if (!buf_str(b, "\"")) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            if (!buf_put(b, esc, 2)) return false;
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            if (!buf_put(b, esc, 6)) return false;
        } else if (!buf_put(b, (const char *)&s[i], 1)) {
            return false;
        }
    }
    return buf_str(b, "\"");
}

/* An entry's payload as JSON: JSON as it is, text as a string. */
static bool buf_payload(buf *b, const sioh_entry *e) {
    if (e->kind == SIOH_PAYLOAD_KIND_JSON || e->kind == SIOH_PAYLOAD_KIND_JSON_ARGS)
        return buf_put(b, (const char *)e->payload, e->payload_len);
    if (e->kind == SIOH_PAYLOAD_KIND_TEXT)
        return buf_json_str(b, (const char *)e->payload, e->payload_len);
    return buf_str(b, "null"); /* bytes: this server records none */
}

/* ---- rooms and cursors ------------------------------------------------- */

static int room_index(const char *name, size_t len) {
    for (size_t i = 0; i < N_ROOMS; i++)
        if (strlen(ROOMS[i]) == len && memcmp(ROOMS[i], name, len) == 0) return (int)i;
    return -1;
}

/* Parse "<epoch>-<seq>": an epoch of 12 lowercase Crockford base32
 * characters and a decimal seq without sign or leading zeros. */
static bool parse_cursor(const char *s, char epoch[16], uint64_t *seq) {
    static const char alphabet[] = "0123456789abcdefghjkmnpqrstvwxyz";
    size_t n = strlen(s);
    if (n < 14 || n > 12 + 1 + 20 || s[12] != '-') return false;
    for (int i = 0; i < 12; i++)
        if (!s[i] || !strchr(alphabet, s[i])) return false;
    const char *d = s + 13;
    if (*d == '\0' || (d[0] == '0' && d[1] != '\0')) return false;
    uint64_t v = 0;
    for (; *d; d++) {
        if (*d < '0' || *d > '9') return false;
        uint64_t next = v * 10 + (uint64_t)(*d - '0');
        if (next / 10 != v) return false; /* overflow */
        v = next;
    }
    memcpy(epoch, s, 12);
    epoch[12] = '\0';
    *seq = v;
    return true;
}

static bool parse_count(const char *s, uint64_t *out) {
    if (!s || !*s || strlen(s) > 19) return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9') return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* One SSE event for entry `i` of `es` (room `room`). A message's entries
 * carry what a client needs to apply them: id, action, version. */
static bool format_event(buf *b, const char *room, const sioh_entries *es, size_t i,
                         const char *epoch) {
    sioh_entry e;
    sioh_entry_message m;
    if (sioh_entries_get(es, i, &e) != SIOH_STATUS_OK ||
        sioh_entries_get_message(es, i, &m) != SIOH_STATUS_OK)
        return false;
    bool ok = buf_fmt(b, "id: %s-%llu\n", epoch, (unsigned long long)e.seq);
    if (m.message_id == NULL) {
        ok = ok && buf_str(b, "event: ") && buf_put(b, e.event, e.event_len) &&
             buf_str(b, "\ndata: ") && buf_payload(b, &e);
    } else {
        static const char *const actions[] = {"create", "update", "delete", "append"};
        const char *action = m.action <= SIOH_ACTION_APPEND ? actions[m.action] : "?";
        bool is_final = false;
        if (m.action == SIOH_ACTION_APPEND) {
            sioh_message_state st;
            sioh_entries *latest = NULL;
            if (sioh_message_get(store, NS, 1, room, strlen(room), m.message_id, m.message_id_len,
                                 &latest, &st) == SIOH_STATUS_OK)
                is_final = st.is_final && st.last_seq == e.seq;
            sioh_entries_free(latest);
        }
        ok = ok && buf_str(b, "event: message\ndata: {\"message_id\":") &&
             buf_json_str(b, m.message_id, m.message_id_len) &&
             buf_fmt(b, ",\"action\":\"%s\",\"version\":%llu,\"event\":", action,
                     (unsigned long long)m.version) &&
             buf_json_str(b, e.event, e.event_len) &&
             buf_str(b, m.action == SIOH_ACTION_APPEND ? ",\"fragment\":" : ",\"data\":") &&
             buf_payload(b, &e) && buf_str(b, is_final ? ",\"final\":true}" : "}");
    }
    /* The payload is compact JSON or a JSON string: one line, no newline. */
    return ok && buf_str(b, "\n\n");
}

/* ---- an event stream ----------------------------------------------------- */

typedef struct {
    const char *room;
    int index;
    unsigned long drops; /* the room's drop count when the stream opened */
    char epoch[16];
    uint64_t seq; /* the last seq sent */
    bool resync;  /* send a resync event first */
    buf out;
} stream;

/* Append to `s->out` what the room holds after the stream's cursor; false
 * when there was nothing. */
static bool read_more(stream *s) {
    sioh_query q;
    sioh_query_init(&q);
    q.has_since_seq = true;
    q.since_seq = s->seq;
    /* The oldest first: since_seq and a limit keep the newest, so ask for
     * every entry up to a window and send them in order. */
    q.has_before_seq = true;
    q.before_seq = s->seq + BATCH + 1;
    sioh_entries *es = NULL;
    sioh_page_info info;
    if (sioh_room_page(store, NS, 1, s->room, strlen(s->room), &q, s->epoch, strlen(s->epoch), &es,
                       &info) != SIOH_STATUS_OK)
        return false;
    bool any = false;
    if (info.gap) {
        /* Evicted under a slow stream, or the room restarted: resync. */
        s->resync = true;
    } else {
        for (size_t i = 0; i < sioh_entries_len(es); i++) {
            if (!format_event(&s->out, s->room, es, i, s->epoch)) break;
            sioh_entry e;
            sioh_entries_get(es, i, &e);
            s->seq = e.seq;
            any = true;
        }
    }
    if (s->resync) {
        memcpy(s->epoch, info.epoch, sizeof s->epoch);
        s->seq = info.last_seq;
        s->resync = false;
        buf_fmt(&s->out, "id: %s-%llu\nevent: resync\ndata: {\"epoch\":\"%s\",\"last_seq\":%llu}\n\n",
                s->epoch, (unsigned long long)s->seq, s->epoch, (unsigned long long)s->seq);
        any = true;
    }
    sioh_entries_free(es);
    return any;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *dst, size_t max) {
    (void)pos;
    stream *s = cls;
    while (s->out.sent == s->out.len) {
        s->out.len = s->out.sent = 0;
        pthread_mutex_lock(&lock);
        unsigned long seen = generation;
        bool dropped = drops[s->index] != s->drops;
        pthread_mutex_unlock(&lock);
        if (stopping || dropped) return MHD_CONTENT_READER_END_OF_STREAM;
        if (read_more(s)) break;
        /* Nothing new: wait for a record (or a drop), at most keepalive_ms. */
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += keepalive_ms / 1000;
        until.tv_nsec += (keepalive_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        bool timed_out = false;
        pthread_mutex_lock(&lock);
        while (!stopping && generation == seen && !timed_out)
            timed_out = pthread_cond_timedwait(&changed, &lock, &until) == ETIMEDOUT;
        pthread_mutex_unlock(&lock);
        if (timed_out) buf_str(&s->out, ": keepalive\n\n"); /* also finds closed clients */
    }
    size_t n = s->out.len - s->out.sent;
    if (n > max) n = max;
    memcpy(dst, s->out.data + s->out.sent, n);
    s->out.sent += n;
    return (ssize_t)n;
}

static void stream_free(void *cls) {
    stream *s = cls;
    free(s->out.data);
    free(s);
}

/* ---- responses --------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type,
                             const char *body, size_t len) {
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!r) return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result fail(struct MHD_Connection *c, unsigned code, const char *what) {
    buf b = {0};
    bool ok = buf_str(&b, "{\"error\":") && buf_json_str(&b, what, strlen(what)) && buf_str(&b, "}\n");
    enum MHD_Result r = ok ? reply(c, code, "application/json", b.data, b.len) : MHD_NO;
    free(b.data);
    return r;
}

static enum MHD_Result store_error(struct MHD_Connection *c, sioh_status st) {
    unsigned code = st == SIOH_STATUS_NOT_FOUND              ? MHD_HTTP_NOT_FOUND
                    : st == SIOH_STATUS_PAYLOAD_TOO_LARGE    ? 413
                    : st == SIOH_STATUS_FORBIDDEN            ? MHD_HTTP_FORBIDDEN
                    : st == SIOH_STATUS_INTERNAL_ERROR       ? MHD_HTTP_INTERNAL_SERVER_ERROR
                                                             : MHD_HTTP_BAD_REQUEST;
    return fail(c, code, sioh_last_error_message());
}

static enum MHD_Result open_stream(struct MHD_Connection *c, int index) {
    const char *room = ROOMS[index];
    const char *cursor = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Last-Event-ID");
    if (!cursor) cursor = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lastEventId");
    stream *s = calloc(1, sizeof *s);
    if (!s) return MHD_NO;
    s->room = room;
    s->index = index;
    pthread_mutex_lock(&lock);
    s->drops = drops[index];
    pthread_mutex_unlock(&lock);
    if (cursor && *cursor) {
        if (!parse_cursor(cursor, s->epoch, &s->seq)) {
            free(s);
            return fail(c, MHD_HTTP_BAD_REQUEST, "Last-Event-ID must be <epoch>-<seq>");
        }
    } else {
        /* A new client: live events from now on. */
        sioh_stats stats;
        sioh_status st = sioh_room_stats(store, NS, 1, room, strlen(room), &stats);
        if (st != SIOH_STATUS_OK) {
            free(s);
            return store_error(c, st);
        }
        memcpy(s->epoch, stats.epoch, sizeof s->epoch);
        s->seq = stats.last_seq;
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read, s, stream_free);
    if (!r) {
        stream_free(s);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache");
    /* Tell EventSource how soon to come back after a drop. */
    buf_str(&s->out, "retry: 500\n\n");
    enum MHD_Result ok = MHD_queue_response(c, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result history(struct MHD_Connection *c, const char *room) {
    sioh_query q;
    sioh_query_init(&q);
    const char *since = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "since");
    const char *before = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "before");
    const char *limit = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "limit");
    const char *epoch = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "epoch");
    uint64_t v;
    if (since) {
        if (!parse_count(since, &v)) return fail(c, MHD_HTTP_BAD_REQUEST, "since: a seq");
        q.has_since_seq = true;
        q.since_seq = v;
    }
    if (before) {
        if (!parse_count(before, &v)) return fail(c, MHD_HTTP_BAD_REQUEST, "before: a seq");
        q.has_before_seq = true;
        q.before_seq = v;
    }
    if (limit) {
        if (!parse_count(limit, &v) || v > 10000)
            return fail(c, MHD_HTTP_BAD_REQUEST, "limit: 0 to 10000");
        q.has_limit = true;
        q.limit = (size_t)v;
    }
    sioh_entries *es = NULL;
    sioh_page_info info;
    sioh_status st = sioh_room_page(store, NS, 1, room, strlen(room), &q, epoch,
                                    epoch ? strlen(epoch) : 0, &es, &info);
    if (st != SIOH_STATUS_OK) return store_error(c, st);
    buf b = {0};
    bool ok = buf_fmt(&b, "{\"epoch\":\"%s\",\"last_seq\":%llu,\"first_seq\":", info.epoch,
                      (unsigned long long)info.last_seq);
    ok = ok && (info.has_first_seq ? buf_fmt(&b, "%llu", (unsigned long long)info.first_seq)
                                   : buf_str(&b, "null"));
    ok = ok && buf_fmt(&b, ",\"has_more\":%s,\"gap\":%s,\"entries\":[",
                       info.has_more ? "true" : "false", info.gap ? "true" : "false");
    for (size_t i = 0; ok && i < sioh_entries_len(es); i++) {
        sioh_entry e;
        sioh_entry_message m;
        ok = sioh_entries_get(es, i, &e) == SIOH_STATUS_OK &&
             sioh_entries_get_message(es, i, &m) == SIOH_STATUS_OK;
        ok = ok && buf_str(&b, i ? ",{" : "{") &&
             buf_fmt(&b, "\"id\":\"%s-%llu\",\"seq\":%llu,\"timestamp\":%.6f,\"event\":", info.epoch,
                     (unsigned long long)e.seq, (unsigned long long)e.seq, e.timestamp) &&
             buf_json_str(&b, e.event, e.event_len) && buf_str(&b, ",\"message_id\":") &&
             (m.message_id ? buf_json_str(&b, m.message_id, m.message_id_len) : buf_str(&b, "null")) &&
             buf_str(&b, ",\"data\":") && buf_payload(&b, &e) && buf_str(&b, "}");
    }
    ok = ok && buf_str(&b, "]}\n");
    sioh_entries_free(es);
    enum MHD_Result r = ok ? reply(c, MHD_HTTP_OK, "application/json", b.data, b.len)
                           : fail(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
    free(b.data);
    return r;
}

static void fan_out(void) {
    pthread_mutex_lock(&lock);
    generation++;
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

static enum MHD_Result recorded(struct MHD_Connection *c, uint64_t seq, const char *id) {
    buf b = {0};
    bool ok = buf_fmt(&b, "{\"seq\":%llu", (unsigned long long)seq) &&
              (!id || (buf_str(&b, ",\"message_id\":") && buf_json_str(&b, id, strlen(id)))) &&
              buf_str(&b, "}\n");
    enum MHD_Result r = ok ? reply(c, MHD_HTTP_OK, "application/json", b.data, b.len) : MHD_NO;
    free(b.data);
    return r;
}

static enum MHD_Result post(struct MHD_Connection *c, int index, const char *rest,
                            const buf *body) {
    const char *room = ROOMS[index];
    if (strcmp(rest, "drop") == 0) {
        /* End the room's open streams (a demo of what a network drop does). */
        pthread_mutex_lock(&lock);
        drops[index]++;
        generation++;
        pthread_cond_broadcast(&changed);
        pthread_mutex_unlock(&lock);
        return reply(c, MHD_HTTP_OK, "application/json", "{}\n", 3);
    }
    const char *event = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "event");
    const uint8_t *data = (const uint8_t *)(body->data ? body->data : "");
    if (strcmp(rest, "events") == 0) {
        if (!event) return fail(c, MHD_HTTP_BAD_REQUEST, "event: the event name");
        uint64_t seq = 0;
        sioh_status st = sioh_room_record(store, NS, 1, room, strlen(room), event, strlen(event),
                                          SIOH_PAYLOAD_KIND_JSON, data, body->len, NULL, &seq);
        if (st != SIOH_STATUS_OK) return store_error(c, st);
        fan_out();
        return recorded(c, seq, NULL);
    }
    if (strcmp(rest, "messages") == 0) {
        if (!event) return fail(c, MHD_HTTP_BAD_REQUEST, "event: the event name");
        const char *id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "id");
        sioh_mutation m;
        sioh_status st = sioh_message_create(store, NS, 1, room, strlen(room), event, strlen(event),
                                             SIOH_PAYLOAD_KIND_JSON, data, body->len, id,
                                             id ? strlen(id) : 0, NULL, 0, &m);
        if (st != SIOH_STATUS_OK) return store_error(c, st);
        fan_out();
        return recorded(c, m.seq, m.message_id);
    }
    const char *end = strncmp(rest, "messages/", 9) == 0 ? strchr(rest + 9, '/') : NULL;
    if (end && strcmp(end, "/append") == 0) {
        const char *id = rest + 9;
        const char *fin = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "final");
        bool is_final = fin && strcmp(fin, "1") == 0;
        sioh_mutation m;
        sioh_status st = sioh_message_append(store, NS, 1, room, strlen(room), id, (size_t)(end - id),
                                             (const char *)data, body->len, is_final, NULL, &m);
        if (st != SIOH_STATUS_OK) return store_error(c, st);
        fan_out();
        return recorded(c, m.seq, m.message_id);
    }
    return fail(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static const char PAGE[] =
    "<!doctype html><meta charset=utf-8><title>SSE room</title>\n"
    "<h3 id=state>connecting</h3><ol id=log></ol>\n"
    "<script>\n"
    "const room = new URLSearchParams(location.search).get('room') || 'general';\n"
    "const es = new EventSource('/rooms/' + room + '/events');\n"
    "window.got = []; window.opens = 0;\n"
    "es.onopen = () => { window.opens++; document.getElementById('state').textContent = 'open'; };\n"
    "const show = (kind) => (e) => { window.got.push({kind, id: e.lastEventId, data: e.data});\n"
    "  const li = document.createElement('li'); li.textContent = kind + ' ' + e.lastEventId + ' ' + e.data;\n"
    "  document.getElementById('log').append(li); };\n"
    "for (const k of ['chat', 'message', 'resync']) es.addEventListener(k, show(k));\n"
    "es.onerror = () => { document.getElementById('state').textContent = 'reconnecting'; };\n"
    "</script>\n";

/* ---- the request handler ----------------------------------------------- */

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **req) {
    (void)cls;
    (void)version;
    bool is_post = strcmp(method, "POST") == 0;
    if (is_post) {
        /* Collect the body over several calls, then answer. */
        buf *body = *req;
        if (!body) {
            body = calloc(1, sizeof *body);
            if (!body) return MHD_NO;
            *req = body;
            return MHD_YES;
        }
        if (*upload_size) {
            if (body->len + *upload_size > MAX_BODY) {
                body->sent = 1; /* too large: answered once complete */
            } else if (!buf_put(body, upload, *upload_size)) {
                return MHD_NO;
            }
            *upload_size = 0;
            return MHD_YES;
        }
    }
    if (!is_post && strcmp(method, "GET") != 0)
        return fail(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET or POST");
    if (!is_post && strcmp(url, "/") == 0)
        return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", PAGE, sizeof PAGE - 1);
    if (strncmp(url, "/rooms/", 7) != 0) return fail(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
    const char *name = url + 7;
    const char *slash = strchr(name, '/');
    if (!slash) return fail(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
    int ri = room_index(name, (size_t)(slash - name));
    if (ri < 0) return fail(c, MHD_HTTP_NOT_FOUND, "no such room");
    const char *room = ROOMS[ri];
    const char *rest = slash + 1;
    if (is_post) {
        const buf *body = *req;
        if (body->sent) return fail(c, 413, "the body is too large");
        return post(c, ri, rest, body);
    }
    if (strcmp(rest, "events") == 0) return open_stream(c, ri);
    if (strcmp(rest, "history") == 0) return history(c, room);
    return fail(c, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static void request_done(void *cls, struct MHD_Connection *c, void **req,
                         enum MHD_RequestTerminationCode why) {
    (void)cls;
    (void)c;
    (void)why;
    buf *body = *req;
    if (body) {
        free(body->data);
        free(body);
        *req = NULL;
    }
}

static void on_signal(int sig) {
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv) {
    unsigned port = 8080;
    size_t max_entries = 1000;
    const char *data_dir = NULL;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0) port = (unsigned)strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--max-entries") == 0) max_entries = strtoul(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--keepalive-ms") == 0) keepalive_ms = strtol(argv[i + 1], NULL, 10);
        else if (strcmp(argv[i], "--data-dir") == 0) data_dir = argv[i + 1];
        else {
            fprintf(stderr,
                    "usage: %s [--port N] [--max-entries N] [--keepalive-ms N] [--data-dir DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    if (keepalive_ms < 10) keepalive_ms = 10;
    /* In memory, or kept under --data-dir: every record is written before
     * it is acknowledged (SIOH_SYNC_INTERVAL: a killed server loses none). */
    sioh_store_options options;
    sioh_store_options_init(&options);
    if (data_dir) {
        options.path = data_dir;
        options.path_len = strlen(data_dir);
    }
    if (sioh_store_open(&options, &store) != SIOH_STATUS_OK) {
        fprintf(stderr, "cannot open the store: %s\n", sioh_last_error_message());
        return 1;
    }
    sioh_room_config cfg;
    sioh_room_config_init(&cfg);
    cfg.max_entries = max_entries;
    for (size_t i = 0; i < N_ROOMS; i++) {
        if (sioh_room_enable(store, NS, 1, ROOMS[i], strlen(ROOMS[i]), &cfg) != SIOH_STATUS_OK) {
            fprintf(stderr, "enable %s: %s\n", ROOMS[i], sioh_last_error_message());
            return 1;
        }
    }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
            MHD_USE_ERROR_LOG,
        (uint16_t)port, NULL, NULL, handle, NULL, MHD_OPTION_NOTIFY_COMPLETED, request_done,
        NULL, MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "cannot listen on port %u\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on %u\n", info ? info->port : port);
    fflush(stdout);
    while (!stopping) pause();
    fan_out(); /* wake every stream: they end */
    MHD_stop_daemon(d);
    sioh_store_free(store);
    return 0;
}
