/* ClientOptions: defaults (TO3), the client's private copy, validation, and the
 * primary / fallback domains they imply (REC1, REC2). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ably/gen/defaults.h"
#include "ably/gen/errors.h"
#include "rest/rest_core.h"

void ably_client_options_init(ably_client_options *o)
{
    memset(o, 0, sizeof *o);
    o->auth_method = ABLY_DEFAULT_AUTH_METHOD;
    o->query_time = ABLY_DEFAULT_QUERY_TIME;
    o->port = ABLY_DEFAULT_PORT;
    o->tls_port = ABLY_DEFAULT_TLS_PORT;
    o->tls = ABLY_DEFAULT_TLS;
    o->http_open_timeout_ms = ABLY_DEFAULT_HTTP_OPEN_TIMEOUT_MS;
    o->http_request_timeout_ms = ABLY_DEFAULT_HTTP_REQUEST_TIMEOUT_MS;
    o->http_max_retry_count = ABLY_DEFAULT_HTTP_MAX_RETRY_COUNT;
    o->http_max_retry_duration_ms = ABLY_DEFAULT_HTTP_MAX_RETRY_DURATION_MS;
    o->fallback_retry_timeout_ms = ABLY_DEFAULT_FALLBACK_RETRY_TIMEOUT_MS;
    o->idempotent_rest_publishing = ABLY_DEFAULT_IDEMPOTENT_REST_PUBLISHING;
    o->use_binary_protocol = ABLY_DEFAULT_USE_BINARY_PROTOCOL;
    o->add_request_ids = ABLY_DEFAULT_ADD_REQUEST_IDS;
    o->auto_connect = ABLY_DEFAULT_AUTO_CONNECT;
    o->echo_messages = ABLY_DEFAULT_ECHO_MESSAGES;
    o->queue_messages = ABLY_DEFAULT_QUEUE_MESSAGES;
    o->disconnected_retry_timeout_ms = ABLY_DEFAULT_DISCONNECTED_RETRY_TIMEOUT_MS;
    o->suspended_retry_timeout_ms = ABLY_DEFAULT_SUSPENDED_RETRY_TIMEOUT_MS;
    o->channel_retry_timeout_ms = ABLY_DEFAULT_CHANNEL_RETRY_TIMEOUT_MS;
    o->realtime_request_timeout_ms = ABLY_DEFAULT_REALTIME_REQUEST_TIMEOUT_MS;
    o->max_message_size = ABLY_DEFAULT_MAX_MESSAGE_SIZE_BYTES;
    o->log_level = ABLY_LOG_WARN;
}

/* ---- the private copy ---- */

static int keep_string(ably_options_storage *st, const char *s, const char **dst)
{
    if (!s) {
        *dst = NULL;
        return 0;
    }
    char **grown = realloc(st->strings, (st->string_count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    st->strings = grown;
    char *copy = strdup(s);
    if (!copy)
        return -1;
    st->strings[st->string_count++] = copy;
    *dst = copy;
    return 0;
}

static int keep_map(ably_string_map *own, const ably_string_map *src, const ably_string_map **dst)
{
    if (!src) {
        *dst = NULL;
        return 0;
    }
    for (size_t i = 0; i < src->count; i++)
        if (ably_string_map_set(own, src->items[i].key, src->items[i].value) != 0)
            return -1;
    *dst = own;
    return 0;
}

static int copy_pointers(ably_client_options *d, ably_options_storage *st, const ably_client_options *s,
                         ably_error *err)
{
    if (keep_string(st, s->key, &d->key) || keep_string(st, s->token, &d->token) ||
        keep_string(st, s->auth_url, &d->auth_url) || keep_string(st, s->auth_method, &d->auth_method) ||
        keep_string(st, s->client_id, &d->client_id) || keep_string(st, s->endpoint, &d->endpoint) ||
        keep_string(st, s->environment, &d->environment) || keep_string(st, s->rest_host, &d->rest_host) ||
        keep_string(st, s->realtime_host, &d->realtime_host) || keep_string(st, s->recover, &d->recover) ||
        keep_string(st, s->connectivity_check_url, &d->connectivity_check_url))
        goto oom;
    if (keep_map(&st->auth_headers, s->auth_headers, &d->auth_headers) ||
        keep_map(&st->auth_params, s->auth_params, &d->auth_params) ||
        keep_map(&st->agents, s->agents, &d->agents) ||
        keep_map(&st->transport_params, s->transport_params, &d->transport_params))
        goto oom;
    d->fallback_hosts = NULL;
    if (s->fallback_hosts_count) {
        st->fallback_hosts = calloc(s->fallback_hosts_count, sizeof(char *));
        if (!st->fallback_hosts)
            goto oom;
        for (size_t i = 0; i < s->fallback_hosts_count; i++)
            if (keep_string(st, s->fallback_hosts[i], (const char **)&st->fallback_hosts[i]))
                goto oom;
        d->fallback_hosts = (const char *const *)st->fallback_hosts;
    }
    if (s->token_details) {
        st->token_details = calloc(1, sizeof *st->token_details);
        if (!st->token_details || ably_token_details_copy(st->token_details, s->token_details, err) != 0)
            return -1;
        d->token_details = st->token_details;
    }
    if (s->default_token_params) {
        st->default_token_params = calloc(1, sizeof *st->default_token_params);
        if (!st->default_token_params ||
            ably_token_params_copy(st->default_token_params, s->default_token_params, err) != 0)
            return -1;
        d->default_token_params = st->default_token_params;
    }
    return 0;
oom:
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory copying client options");
    return -1;
}

int ably_options_copy(ably_client_options *dst, ably_options_storage *st, const ably_client_options *src,
                      ably_error *err)
{
    memset(st, 0, sizeof *st);
    *dst = *src;
    if (copy_pointers(dst, st, src, err) != 0) {
        ably_options_storage_free(st);
        return -1;
    }
    return 0;
}

void ably_options_storage_free(ably_options_storage *st)
{
    for (size_t i = 0; i < st->string_count; i++)
        free(st->strings[i]);
    free(st->strings);
    free(st->fallback_hosts);
    ably_string_map_clear(&st->auth_headers);
    ably_string_map_clear(&st->auth_params);
    ably_string_map_clear(&st->agents);
    ably_string_map_clear(&st->transport_params);
    if (st->token_details) {
        ably_token_details_clear(st->token_details);
        free(st->token_details);
    }
    if (st->default_token_params) {
        ably_token_params_clear(st->default_token_params);
        free(st->default_token_params);
    }
    memset(st, 0, sizeof *st);
}

/* ---- validation ---- */

static bool set(const char *s) { return s && *s; }

static int invalid(ably_error *err, const char *msg)
{
    ably_error_set(err, ABLY_ERR_BAD_REQUEST, 400, "invalid client options: %s", msg);
    return -1;
}

/* "http://" or "https://" followed by at least a host. */
static bool is_http_url(const char *url)
{
    const char *rest = strncmp(url, "https://", 8) == 0 ? url + 8 : strncmp(url, "http://", 7) == 0 ? url + 7 : NULL;
    return rest && *rest && *rest != '/';
}

int ably_options_validate(const ably_client_options *o, ably_error *err)
{
    if (set(o->endpoint) && (set(o->environment) || set(o->rest_host) || set(o->realtime_host) ||
                             o->fallback_hosts_use_default))
        return invalid(err, "endpoint conflicts with the deprecated environment, restHost, realtimeHost "
                            "and fallbackHostsUseDefault options (REC1b1)");
    if (set(o->environment) && (set(o->rest_host) || set(o->realtime_host)))
        return invalid(err, "environment conflicts with restHost / realtimeHost (REC1c1)");
    if ((o->fallback_hosts_set || o->fallback_hosts_count) && o->fallback_hosts_use_default)
        return invalid(err, "fallbackHosts conflicts with fallbackHostsUseDefault (REC2a1)");
    if (o->fallback_hosts_count && !o->fallback_hosts)
        return invalid(err, "fallbackHosts count without hosts");
    for (size_t i = 0; i < o->fallback_hosts_count; i++)
        if (!set(o->fallback_hosts[i]))
            return invalid(err, "fallbackHosts contains an empty host");
    if (o->port < 0 || o->port > 65535 || o->tls_port < 0 || o->tls_port > 65535)
        return invalid(err, "port / tlsPort out of range");
    if (o->http_open_timeout_ms < 0 || o->http_request_timeout_ms < 0 || o->http_max_retry_count < 0 ||
        o->http_max_retry_duration_ms < 0 || o->fallback_retry_timeout_ms < 0)
        return invalid(err, "timeouts and retry counts must not be negative");
    if (o->log_level < ABLY_LOG_NONE || o->log_level > ABLY_LOG_VERBOSE)
        return invalid(err, "unknown logLevel");
    if (set(o->auth_method) && strcmp(o->auth_method, "GET") != 0 && strcmp(o->auth_method, "POST") != 0)
        return invalid(err, "authMethod must be GET or POST");
    if (o->connectivity_check_url && !is_http_url(o->connectivity_check_url))
        return invalid(err, "connectivityCheckUrl must be an absolute http:// or https:// URL (REC3b)");
    return 0;
}

/* ---- hosts (REC1, REC2) ---- */

static int add_host(ably_hosts *h, char *host)
{
    if (!host)
        return -1;
    char **grown = realloc(h->fallbacks, (h->fallback_count + 1) * sizeof *grown);
    if (!grown) {
        free(host);
        return -1;
    }
    h->fallbacks = grown;
    h->fallbacks[h->fallback_count++] = host;
    return 0;
}

static char *str_concat(const char *a, const char *b, const char *c)
{
    char *out = NULL;
    return asprintf(&out, "%s%s%s", a, b, c) < 0 ? NULL : out;
}

/* [id].[a-e]<suffix> (REC2c3, REC2c4). */
static int policy_fallbacks(ably_hosts *h, const char *id, const char *suffix)
{
    for (size_t i = 0; i < ABLY_DEFAULT_FALLBACK_DOMAIN_LETTERS_COUNT; i++) {
        char *host = NULL;
        if (asprintf(&host, "%s.%s%s", id, ably_default_fallback_domain_letters[i], suffix) < 0)
            return -1;
        if (add_host(h, host) != 0)
            return -1;
    }
    return 0;
}

static int default_fallbacks(ably_hosts *h)
{
    for (size_t i = 0; i < ABLY_DEFAULT_FALLBACK_DOMAINS_COUNT; i++)
        if (add_host(h, strdup(ably_default_fallback_domains[i])) != 0)
            return -1;
    return 0;
}

static bool is_hostname(const char *endpoint)
{
    return strchr(endpoint, '.') || strstr(endpoint, "::") || strcmp(endpoint, "localhost") == 0;
}

/* Primary domain and the fallbacks that go with it when none are given explicitly. */
static int implicit_hosts(const ably_client_options *o, ably_hosts *h)
{
    size_t np = strlen(ABLY_DEFAULT_NONPROD_ENDPOINT_PREFIX);
    if (set(o->endpoint)) {
        if (is_hostname(o->endpoint)) /* REC1b2, REC2c2 */
            return (h->primary = strdup(o->endpoint)) ? 0 : -1;
        if (strncmp(o->endpoint, ABLY_DEFAULT_NONPROD_ENDPOINT_PREFIX, np) == 0) { /* REC1b3, REC2c3 */
            const char *id = o->endpoint + np;
            h->primary = str_concat(id, ABLY_DEFAULT_NONPROD_DOMAIN_SUFFIX, "");
            return h->primary ? policy_fallbacks(h, id, ABLY_DEFAULT_NONPROD_FALLBACK_DOMAIN_SUFFIX) : -1;
        }
        h->primary = str_concat(o->endpoint, ABLY_DEFAULT_PRODUCTION_DOMAIN_SUFFIX, ""); /* REC1b4, REC2c4 */
        return h->primary ? policy_fallbacks(h, o->endpoint, ABLY_DEFAULT_FALLBACK_DOMAIN_SUFFIX) : -1;
    }
    /* "production" was the deprecated spelling of the default environment. */
    if (set(o->environment) && strcmp(o->environment, "production") != 0) { /* REC1c2, REC2c5 */
        h->primary = str_concat(o->environment, ABLY_DEFAULT_PRODUCTION_DOMAIN_SUFFIX, "");
        return h->primary ? policy_fallbacks(h, o->environment, ABLY_DEFAULT_FALLBACK_DOMAIN_SUFFIX) : -1;
    }
    if (set(o->rest_host) || set(o->realtime_host)) /* REC1d, REC2c6: no fallbacks */
        return (h->primary = strdup(set(o->rest_host) ? o->rest_host : o->realtime_host)) ? 0 : -1;
    h->primary = strdup(ABLY_DEFAULT_PRIMARY_DOMAIN); /* REC1a, REC2c1 */
    return h->primary ? default_fallbacks(h) : -1;
}

static void drop_fallbacks(ably_hosts *h)
{
    for (size_t i = 0; i < h->fallback_count; i++)
        free(h->fallbacks[i]);
    free(h->fallbacks);
    h->fallbacks = NULL;
    h->fallback_count = 0;
}

int ably_hosts_resolve(const ably_client_options *o, ably_hosts *h, ably_error *err)
{
    memset(h, 0, sizeof *h);
    if (implicit_hosts(o, h) != 0)
        goto oom;
    if (o->fallback_hosts_set || o->fallback_hosts_count) { /* REC2a2 */
        drop_fallbacks(h);
        for (size_t i = 0; i < o->fallback_hosts_count; i++)
            if (add_host(h, strdup(o->fallback_hosts[i])) != 0)
                goto oom;
    } else if (o->fallback_hosts_use_default) { /* REC2b */
        drop_fallbacks(h);
        if (default_fallbacks(h) != 0)
            goto oom;
    }
    return 0;
oom:
    ably_hosts_free(h);
    ably_error_set(err, ABLY_ERR_INTERNAL_ERROR, 500, "out of memory resolving hosts");
    return -1;
}

int ably_rest_realtime_hosts(const ably_rest *rest, char **primary, char ***fallbacks, size_t *fallback_count,
                             ably_error *err)
{
    ably_client_options o = rest->opts;
    if (set(o.realtime_host)) /* REC1d2: realtimeHost names the realtime primary domain */
        o.rest_host = o.realtime_host;
    ably_hosts h;
    if (ably_hosts_resolve(&o, &h, err) != 0)
        return -1;
    *primary = h.primary;
    *fallbacks = h.fallbacks;
    *fallback_count = h.fallback_count;
    return 0;
}

void ably_rest_realtime_hosts_free(char *primary, char **fallbacks, size_t fallback_count)
{
    ably_hosts h = {.primary = primary, .fallbacks = fallbacks, .fallback_count = fallback_count};
    ably_hosts_free(&h);
}

void ably_hosts_free(ably_hosts *h)
{
    free(h->primary);
    drop_fallbacks(h);
    h->primary = NULL;
}
