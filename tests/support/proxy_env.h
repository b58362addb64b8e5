/* ably-proxy in front of the sandbox, for the fault tier (harness/proxy/README.md).
 *
 *     sandbox_env *sbx = sandbox_env_setup();
 *     proxy_env *px = proxy_env_start(PROXY_ENV_BIN, sbx);  // clients use 127.0.0.1:px->port
 *     proxy_env_add_rules(px, "[{\"match\":{...},\"action\":{...},\"times\":1}]");
 *     proxy_env_action(px, "{\"type\":\"disconnect\"}");
 *     proxy_env_stop(px);
 *
 * The proxy runs its `default` session on px->port, forwarding HTTP and WebSocket
 * traffic to the sandbox unchanged until rules say otherwise. Binary: env
 * ABLY_PROXY_BIN, else `ably-proxy` next to the sandbox binary CMake compiled in.
 *
 * Ownership: proxy_env_start allocates; proxy_env_stop stops the process (SIGTERM,
 * SIGKILL after 5 s) and frees. Every control call times out after 5 s. Not
 * thread-safe; one per test process. */
#ifndef ABLY_TEST_PROXY_ENV_H
#define ABLY_TEST_PROXY_ENV_H

#include <stddef.h>
#include <sys/types.h>

#include "sandbox_env.h"

typedef struct {
    pid_t pid;
    int port;         /* the default session: point clients here */
    int control_port; /* the control API */
} proxy_env;

/* Starts ably-proxy targeting the local sandbox `sbx` (plain HTTP/WS). `sandbox_bin`
 * locates the proxy when ABLY_PROXY_BIN is unset (may be NULL then). NULL on failure
 * (after printing why). */
proxy_env *proxy_env_start(const char *sandbox_bin, const sandbox_env *sbx);

/* Appends rules (a JSON array text) to the default session. HTTP status, -1 on error. */
int proxy_env_add_rules(proxy_env *px, const char *rules_json);
/* Drops every rule of the default session. HTTP status, -1 on error. */
int proxy_env_clear_rules(proxy_env *px);
/* Runs an imperative action (a JSON object text) on every open WebSocket of the
 * default session. HTTP status (409: no WebSocket open), -1 on error. */
int proxy_env_action(proxy_env *px, const char *action_json);
/* Clears the default session's log (the proxy's DELETE /sessions/default/log). HTTP
 * status, -1 on error. */
int proxy_env_clear_log(proxy_env *px);
/* The default session's log as parsed JSON ({"events":[...]}, a cJSON *; the caller
 * cJSON_Deletes it), NULL on error. Typed void * so this header needs no cJSON. */
void *proxy_env_log(proxy_env *px);

/* How many log events of `type` (e.g. "ws_connect") whose string field `field` equals
 * `value` (field NULL: any) the default session logged so far; -1 on error. */
int proxy_env_count(proxy_env *px, const char *type, const char *field, const char *value);

/* How many ws_connect events carried the query parameter `param` (any value); -1 on error. */
int proxy_env_count_connects_with(proxy_env *px, const char *param);

/* A growing response body for libcurl: pass proxy_env_collect as CURLOPT_WRITEFUNCTION
 * (or HEADERFUNCTION) and a zeroed proxy_env_buf as its data; data stays NUL-terminated
 * and is the caller's to free. */
typedef struct {
    char *data;
    size_t len;
} proxy_env_buf;
size_t proxy_env_collect(char *p, size_t size, size_t n, void *ud);

/* One control call with a JSON body (or none) to base_url + path, e.g. the proxy's or
 * the sandbox's /_sandbox/faults API; 5 s timeout. HTTP status, -1 on error; the answer
 * body (malloc'd, may be NULL; the caller frees) through *out when out is not NULL. */
int proxy_env_http(const char *base_url, const char *method, const char *path, const char *body, char **out);

/* Stops the proxy and frees px: its exit status (0 clean), -1 when killed. NULL-safe. */
int proxy_env_stop(proxy_env *px);

#define PROXY_ENV_BIN SANDBOX_ENV_BIN

#endif
