/* ably-proxy internals: byte buffers, sockets (plain or TLS), HTTP/1.1 and
 * WebSocket parsing, rules, sessions and the event loop.
 *
 * Everything runs on one thread around poll(): no locks. Memory: every
 * struct here owns what its pointers point at unless a comment says
 * otherwise; allocation failure aborts (a test tool has no better answer). */
#ifndef PX_H
#define PX_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct ssl_st SSL;

/* ---- px_util.c ---------------------------------------------------------- */

/* A byte queue: live bytes are data[off, len). */
typedef struct {
    char *data;
    size_t off, len, cap;
} px_buf;

void px_buf_append(px_buf *b, const void *bytes, size_t n);
void px_buf_appendf(px_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void px_buf_consume(px_buf *b, size_t n);
void px_buf_free(px_buf *b);
static inline char *px_buf_ptr(const px_buf *b) { return b->data ? b->data + b->off : (char *)""; }
static inline size_t px_buf_size(const px_buf *b) { return b->len - b->off; }

void *px_xmalloc(size_t n);
void *px_xcalloc(size_t n, size_t size);
char *px_xstrdup(const char *s);
char *px_xstrndup(const char *s, size_t n);

int64_t px_now_ms(void);            /* monotonic */
void px_iso_time(char out[32]);     /* wall clock, "2026-01-15T10:00:00.123Z" */

/* Where traffic goes: resolved once, when the target is set. */
typedef struct {
    char host[256];
    int port;
    bool tls;
    struct sockaddr_storage addr;
    socklen_t addrlen;
} px_target;

/* "host:port" or "host" (then default_port). 0, or -1 when unresolvable. */
int px_target_set(px_target *t, const char *hostport, bool tls, int default_port);

/* One side of a proxied connection. `in` holds bytes read and not yet
 * consumed, `out` bytes waiting to be written. */
typedef struct {
    int fd;
    SSL *ssl;
    bool connecting;  /* non-blocking connect() in progress */
    bool handshaking; /* TLS handshake in progress */
    bool ssl_wants_write;
    bool eof;         /* peer closed or the socket failed */
    bool connect_failed; /* eof because the connect (or TLS handshake) failed */
    bool shut_wr;     /* we sent FIN after flushing `out` */
    px_buf in, out;
} px_sock;

void px_sock_init(px_sock *s);
void px_sock_adopt(px_sock *s, int fd);
/* Starts a non-blocking connect (and TLS for a TLS target). 0 or -1. */
int px_sock_connect(px_sock *s, const px_target *t);
/* The poll events this socket needs now. */
short px_sock_events(const px_sock *s);
/* Makes progress after poll: finishes connect/handshake, reads everything
 * available into `in`, writes what it can of `out`. */
void px_sock_service(px_sock *s, short revents);
/* Writes what it can of `out` now (also called after queuing bytes). */
void px_sock_flush(px_sock *s);
/* Closes; `reset` sends RST (SO_LINGER 0) instead of FIN. Safe to repeat. */
void px_sock_close(px_sock *s, bool reset);
bool px_sock_open(const px_sock *s);

int px_listen(const char *host, int port, int *bound_port);

/* ---- px_http.c ---------------------------------------------------------- */

#define PX_MAX_HEADERS 64

typedef struct {
    size_t name, name_len, value, value_len; /* offsets into the message */
} px_header;

typedef struct {
    char method[16];
    char target[4096]; /* request: path?query */
    int status;        /* response */
    int minor;         /* HTTP/1.x */
    px_header headers[PX_MAX_HEADERS];
    size_t nheaders;
    size_t head_len;   /* through the blank line */
    size_t total_len;  /* head + body */
    bool has_length, chunked;
} px_http_msg;

/* Parses a request or response at buf. Returns 1 when the whole message
 * (head and body) is in buf, 0 when more bytes are needed, -1 when it is
 * malformed. A response without length ends at EOF (`eof` true). */
int px_http_parse(const char *buf, size_t len, bool response, bool head_request, bool eof,
                  px_http_msg *m);
/* Header value by case-insensitive name, copied into out (NUL-terminated);
 * false when absent. */
bool px_http_header(const char *buf, const px_http_msg *m, const char *name, char *out, size_t cap);
bool px_http_header_is(const char *buf, const px_http_msg *m, size_t i, const char *name);
/* Does the comma list in header `name` contain token (case-insensitive)? */
bool px_http_header_has_token(const char *buf, const px_http_msg *m, const char *name, const char *token);
const char *px_http_reason(int status);
/* Query string of a target as a JSON object of decoded strings. */
cJSON *px_http_query(const char *target);

/* ---- px_ws.c ------------------------------------------------------------ */

enum { PX_WS_CONT = 0, PX_WS_TEXT = 1, PX_WS_BINARY = 2, PX_WS_CLOSE = 8, PX_WS_PING = 9, PX_WS_PONG = 10 };

typedef struct {
    bool fin, masked;
    int opcode;
    uint8_t mask[4];
    size_t header_len;
    uint64_t payload_len;
} px_ws_frame;

/* 1 when a whole frame is at buf, 0 when more bytes are needed, -1 when invalid. */
int px_ws_parse(const uint8_t *buf, size_t len, px_ws_frame *f);
void px_ws_unmask(uint8_t *payload, size_t n, const uint8_t mask[4]);
/* Appends one frame; masked (client to server) frames get a random key. */
void px_ws_write(px_buf *out, int opcode, const void *payload, size_t n, bool mask);
void px_ws_write_close(px_buf *out, int code, bool mask);
/* Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
void px_ws_accept(const char *key, char out[64]);

/* ProtocolMessage helpers (generated codec). action -1 when undecodable.
 * channel: malloc'd or NULL. json: the message as a cJSON object or NULL. */
void px_pm_inspect(const void *payload, size_t n, bool msgpack, int *action, char **channel, cJSON **json);
/* Encodes a JSON ProtocolMessage for the wire (msgpack or JSON text). 0 / -1. */
int px_pm_encode(const cJSON *msg, bool msgpack, px_buf *out);
const char *px_action_name(int action);
int px_action_parse(const char *s); /* name or number; -1 when unknown */

/* ---- px_rules.c --------------------------------------------------------- */

typedef enum {
    PX_M_WS_CONNECT,
    PX_M_FRAME_TO_CLIENT,
    PX_M_FRAME_TO_SERVER,
    PX_M_HTTP_REQUEST,
    PX_M_DELAY_AFTER_WS_CONNECT,
} px_match_type;

typedef enum {
    PX_A_PASSTHROUGH,
    PX_A_REFUSE,
    PX_A_ACCEPT_AND_CLOSE,
    PX_A_DISCONNECT,
    PX_A_CLOSE,
    PX_A_SUPPRESS,
    PX_A_DELAY,
    PX_A_INJECT,
    PX_A_INJECT_AND_CLOSE,
    PX_A_REPLACE,
    PX_A_SUPPRESS_ONWARDS,
    PX_A_HTTP_RESPOND,
    PX_A_HTTP_DELAY,
    PX_A_HTTP_DROP,
    PX_A_HTTP_REPLACE_RESPONSE,
} px_action_type;

typedef struct px_rule {
    struct px_rule *next;
    unsigned id;
    char *label;            /* comment, or "rule-N" */
    cJSON *json;            /* the rule as given (for listing) */
    px_match_type match;
    int count;              /* 0: every occurrence */
    int action_num;         /* frame action, -1 any */
    char *channel, *method, *path_contains;
    cJSON *query_contains;  /* borrowed from json */
    int64_t delay_ms;       /* delay_after_ws_connect */
    px_action_type action;
    int64_t action_delay_ms;
    int close_code;
    const cJSON *message;   /* borrowed from json */
    int status;
    const cJSON *body, *headers; /* borrowed from json */
    int times;              /* 0: unlimited */
    int fired, seen;
    int64_t expires_at;     /* durationMs extension; 0 never */
} px_rule;

/* Parses one rule; NULL with *err set (static text) when invalid. */
px_rule *px_rule_parse(const cJSON *json, unsigned id, const char **err);
void px_rule_free(px_rule *r);

/* What a rule sees of an event. */
typedef struct {
    px_match_type type;
    int action;               /* frames */
    const char *channel;      /* frames, may be NULL */
    const char *method, *path;/* http */
    const cJSON *query;       /* ws_connect */
} px_event;

/* The rule that fires for ev (first match in order, honouring count and
 * times), or NULL. Counts the firing; the caller removes spent rules with
 * px_rules_reap. */
px_rule *px_rules_match(px_rule *head, const px_event *ev, int64_t now);
void px_rules_reap(px_rule **head, int64_t now);
size_t px_rules_count(const px_rule *head);

#endif
