/* The REST commands of the `ably` tool. Each builds an ably_rest from the
 * resolved options, runs one call (or a few pages) and prints the result. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is(const char *a, const char *b)
{
    return a && strcmp(a, b) == 0;
}

static int need_args(const cli_args *a, int n, const char *usage)
{
    if (a->npos < n)
        return cli_fail(a, CLI_EUSAGE, 40000, "usage: ably %s", usage);
    return CLI_OK;
}

/* DATA as a borrowed payload: a string, or JSON text with --type json (validated
 * by the library's encoder, 40013 when it is not JSON). */
static ably_data data_arg(const cli_args *a, const char *text)
{
    ably_data_type type = is(a->encoding, "json") ? ABLY_DATA_JSON : ABLY_DATA_STRING;
    return ably_data_borrow(type, text, strlen(text));
}

static int get_channel(const cli_args *a, ably_rest *rest, const char *name, ably_rest_channel **ch)
{
    ably_error err = { 0 };
    if (ably_rest_channels_get(rest, name, NULL, ch, &err) != 0)
        return cli_fail_err(a, &err, true);
    return CLI_OK;
}

static int cmd_publish(const cli_args *a, ably_rest *rest)
{
    int rc = need_args(a, 3, "publish CHANNEL [NAME] DATA");
    if (rc != CLI_OK)
        return rc;
    if (a->npos > 4)
        return cli_fail(a, CLI_EUSAGE, 40000, "usage: ably publish CHANNEL [NAME] DATA (quote DATA with spaces)");
    ably_rest_channel *ch;
    if ((rc = get_channel(a, rest, a->pos[1], &ch)) != CLI_OK)
        return rc;
    const char *name = a->npos == 4 ? a->pos[2] : NULL;
    ably_data data = data_arg(a, a->pos[a->npos - 1]);
    ably_publish_result res = { 0 };
    ably_error err = { 0 };
    if (ably_rest_channel_publish(ch, name, &data, &res, &err) != 0)
        return cli_fail_err(a, &err, false);
    const char *serial = res.serials_count && res.serials[0] ? res.serials[0] : "";
    if (a->json) {
        char *c = cli_json_string(a->pos[1]), *s = cli_json_string(serial);
        printf("{\"published\":true,\"channel\":%s,\"serial\":%s}\n", c, s);
        free(c);
        free(s);
    } else {
        printf("published to %s (serial %s)\n", a->pos[1], serial);
    }
    ably_publish_result_clear(&res);
    return CLI_OK;
}

/* Prints up to a->pages pages, starting with *first (which this frees). */
typedef void (*page_printer)(const cli_args *a, const char *channel, const ably_paginated_result *page);

static int print_pages(const cli_args *a, const char *channel, ably_paginated_result *page, page_printer fn)
{
    int rc = CLI_OK;
    for (int n = 1; page; n++) {
        fn(a, channel, page);
        ably_paginated_result *next = NULL;
        if (n < a->pages && ably_paginated_result_has_next(page)) {
            ably_error err = { 0 };
            if (ably_paginated_result_next(page, &next, &err) != 0)
                rc = cli_fail_err(a, &err, false);
        }
        ably_paginated_result_free(page);
        page = next;
    }
    return rc;
}

static void print_message_page(const cli_args *a, const char *channel, const ably_paginated_result *page)
{
    size_t n;
    const ably_message *msgs = ably_paginated_result_messages(page, &n);
    for (size_t i = 0; i < n; i++)
        cli_print_message(a, channel, &msgs[i]);
}

static void print_presence_page(const cli_args *a, const char *channel, const ably_paginated_result *page)
{
    size_t n;
    const ably_presence_message *items = ably_paginated_result_presence_messages(page, &n);
    for (size_t i = 0; i < n; i++)
        cli_print_presence(a, channel, &items[i]);
    if (n == 0 && !a->json)
        printf("nobody is present on %s\n", channel);
}

static int cmd_history(const cli_args *a, ably_rest *rest)
{
    int rc = need_args(a, 2, "history CHANNEL [--limit N] [--direction forwards|backwards] [--pages N]");
    ably_rest_channel *ch;
    if (rc != CLI_OK || (rc = get_channel(a, rest, a->pos[1], &ch)) != CLI_OK)
        return rc;
    ably_history_params p = { .limit = a->limit, .direction = a->direction };
    ably_paginated_result *page = NULL;
    ably_error err = { 0 };
    if (ably_rest_channel_history(ch, &p, &page, &err) != 0)
        return cli_fail_err(a, &err, false);
    return print_pages(a, a->pos[1], page, print_message_page);
}

static int cmd_presence(const cli_args *a, ably_rest *rest)
{
    int rc = need_args(a, 3, "presence get|enter|subscribe CHANNEL");
    ably_rest_channel *ch;
    if (rc != CLI_OK || (rc = get_channel(a, rest, a->pos[2], &ch)) != CLI_OK)
        return rc;
    ably_presence_get_params p = { .limit = a->limit, .client_id = NULL };
    ably_paginated_result *page = NULL;
    ably_error err = { 0 };
    if (ably_rest_presence_get(ably_rest_channel_presence(ch), &p, &page, &err) != 0)
        return cli_fail_err(a, &err, false);
    return print_pages(a, a->pos[2], page, print_presence_page);
}

static void print_stats_page(const cli_args *a, const char *channel, const ably_paginated_result *page)
{
    (void)channel;
    size_t n;
    const ably_stats *items = ably_paginated_result_stats(page, &n);
    for (size_t i = 0; i < n; i++) {
        ably_buf buf;
        ably_buf_init(&buf);
        ably_error err = { 0 };
        if (ably_encode(&ably_stats_desc, ABLY_FORMAT_JSON, &items[i], &buf, &err) == 0)
            cli_print_json_line(buf.data ? buf.data : "{}");
        else
            cli_fail_err(a, &err, false);
        ably_buf_free(&buf);
    }
    if (n == 0 && !a->json)
        printf("no statistics yet\n");
}

static int cmd_stats(const cli_args *a, ably_rest *rest)
{
    ably_stats_params p = { .limit = a->limit, .direction = a->direction, .unit = a->unit };
    ably_paginated_result *page = NULL;
    ably_error err = { 0 };
    if (ably_rest_stats(rest, &p, &page, &err) != 0)
        return cli_fail_err(a, &err, false);
    return print_pages(a, NULL, page, print_stats_page);
}

static int cmd_time(const cli_args *a, ably_rest *rest)
{
    int64_t ms = 0;
    ably_error err = { 0 };
    if (ably_rest_time(rest, &ms, &err) != 0)
        return cli_fail_err(a, &err, false);
    char when[40];
    cli_format_time(ms, when, sizeof when);
    if (a->json)
        printf("{\"time\":%lld,\"iso\":\"%s\"}\n", (long long)ms, when);
    else
        printf("%s (%lld ms since the epoch)\n", when, (long long)ms);
    return CLI_OK;
}

static void token_params_from_args(const cli_args *a, ably_token_params *tp)
{
    ably_token_params_init(tp);
    tp->ttl = a->ttl;
    tp->has_ttl = a->ttl > 0;
    tp->capability = (char *)(uintptr_t)a->capability; /* borrowed: never cleared */
    tp->client_id = (char *)(uintptr_t)a->client_id;
}

static int cmd_token(const cli_args *a, ably_rest *rest)
{
    int rc = need_args(a, 2, "token request|create [--ttl MS] [--capability JSON] [--client-id ID]");
    if (rc != CLI_OK)
        return rc;
    ably_token_params tp;
    token_params_from_args(a, &tp);
    ably_error err = { 0 };
    ably_buf buf;
    ably_buf_init(&buf);
    if (is(a->pos[1], "request")) {
        ably_token_request tr;
        ably_token_request_init(&tr);
        if (ably_auth_create_token_request(ably_rest_auth(rest), &tp, NULL, &tr, &err) != 0)
            rc = cli_fail_err(a, &err, true);
        else if (ably_token_request_to_json(&tr, &buf, &err) != 0)
            rc = cli_fail_err(a, &err, false);
        else
            cli_print_json_line(buf.data); /* a TokenRequest is meant to be passed on as JSON */
        ably_token_request_clear(&tr);
    } else if (is(a->pos[1], "create")) {
        ably_token_details td;
        ably_token_details_init(&td);
        if (ably_auth_request_token(ably_rest_auth(rest), &tp, NULL, &td, &err) != 0) {
            rc = cli_fail_err(a, &err, false);
        } else if (a->json) {
            if (ably_token_details_to_json(&td, &buf, &err) == 0)
                cli_print_json_line(buf.data);
            else
                rc = cli_fail_err(a, &err, false);
        } else {
            char when[40] = "-";
            if (td.has_expires)
                cli_format_time(td.expires, when, sizeof when);
            printf("token: %s\nexpires: %s\ncapability: %s\nclientId: %s\n", td.token, when,
                   td.capability ? td.capability : "-", td.client_id ? td.client_id : "-");
        }
        ably_token_details_clear(&td);
    } else {
        rc = cli_fail(a, CLI_EUSAGE, 40000, "usage: ably token request|create");
    }
    ably_buf_free(&buf);
    return rc;
}

static void print_channel_item(const cli_args *a, const char *json)
{
    if (a->json) {
        cli_print_json_line(json);
        return;
    }
    cJSON *v = cJSON_Parse(json);
    const cJSON *name = cJSON_IsString(v) ? v : cJSON_GetObjectItemCaseSensitive(v, "channelId");
    printf("%s\n", cJSON_IsString(name) ? name->valuestring : json);
    cJSON_Delete(v);
}

static int cmd_channels_list(const cli_args *a, ably_rest *rest)
{
    ably_string_map params = { 0 };
    char limit[16];
    int rc = CLI_OK;
    if ((a->prefix && ably_string_map_set(&params, "prefix", a->prefix) != 0) ||
        ably_string_map_set(&params, "by", "id") != 0)
        rc = cli_fail(a, CLI_EFAIL, 40000, "out of memory");
    if (rc == CLI_OK && a->limit) {
        snprintf(limit, sizeof limit, "%d", a->limit);
        ably_string_map_set(&params, "limit", limit);
    }
    ably_paginated_result *page = NULL;
    ably_error err = { 0 };
    if (rc == CLI_OK && ably_rest_request(rest, "GET", "/channels", 0, &params, NULL, NULL, &page, &err) != 0)
        rc = cli_fail_err(a, &err, false);
    ably_string_map_clear(&params);
    for (int n = 1; rc == CLI_OK && page; n++) {
        if (!ably_paginated_result_success(page)) {
            const char *msg = ably_paginated_result_error_message(page);
            rc = cli_fail(a, CLI_EFAIL, ably_paginated_result_error_code(page), "%s", msg ? msg : "request failed");
            break;
        }
        size_t count;
        const char *const *items = ably_paginated_result_json_items(page, &count);
        for (size_t i = 0; i < count; i++)
            print_channel_item(a, items[i]);
        ably_paginated_result *next = NULL;
        if (n < a->pages && ably_paginated_result_has_next(page) &&
            ably_paginated_result_next(page, &next, &err) != 0)
            rc = cli_fail_err(a, &err, false);
        ably_paginated_result_free(page);
        page = next;
    }
    ably_paginated_result_free(page);
    return rc;
}

static void print_channel_details(const ably_channel_details *d)
{
    const ably_channel_status *s = d->status;
    const ably_channel_metrics *m = s && s->occupancy ? s->occupancy->metrics : NULL;
    printf("channel: %s\nactive: %s\n", d->channel_id ? d->channel_id : "?",
           s && s->has_is_active ? (s->is_active ? "yes" : "no") : "unknown");
    if (m)
        printf("connections: %lld\npublishers: %lld\nsubscribers: %lld\npresence members: %lld\n",
               (long long)m->connections, (long long)m->publishers, (long long)m->subscribers,
               (long long)m->presence_members);
}

static int cmd_channels(const cli_args *a, ably_rest *rest)
{
    int rc = need_args(a, 2, "channels list [--prefix P] | channels status CHANNEL");
    if (rc != CLI_OK)
        return rc;
    if (is(a->pos[1], "list"))
        return cmd_channels_list(a, rest);
    if (!is(a->pos[1], "status"))
        return cli_fail(a, CLI_EUSAGE, 40000, "usage: ably channels list|status");
    ably_rest_channel *ch;
    if ((rc = need_args(a, 3, "channels status CHANNEL")) != CLI_OK ||
        (rc = get_channel(a, rest, a->pos[2], &ch)) != CLI_OK)
        return rc;
    ably_channel_details d;
    ably_channel_details_init(&d);
    ably_error err = { 0 };
    ably_buf buf;
    ably_buf_init(&buf);
    if (ably_rest_channel_status(ch, &d, &err) != 0)
        rc = cli_fail_err(a, &err, false);
    else if (!a->json)
        print_channel_details(&d);
    else if (ably_channel_details_to_json(&d, &buf, &err) == 0)
        cli_print_json_line(buf.data);
    else
        rc = cli_fail_err(a, &err, false);
    ably_buf_free(&buf);
    ably_channel_details_clear(&d);
    return rc;
}

/* Splits "a,b,c" into a malloc'd array of malloc'd names (the spec owns them). */
static char **split_channels(const char *list, size_t *count)
{
    size_t n = 1;
    for (const char *p = list; *p; p++)
        n += *p == ',';
    char **out = calloc(n, sizeof *out);
    const char *start = list;
    for (size_t i = 0; out && i < n; i++) {
        const char *comma = strchr(start, ',');
        size_t len = comma ? (size_t)(comma - start) : strlen(start);
        out[i] = strndup(start, len);
        start += len + (comma ? 1 : 0);
    }
    *count = n;
    return out;
}

static void print_batch_outcome(const cli_args *a, const ably_batch_publish_outcome *o)
{
    if (a->json) {
        ably_buf buf;
        ably_buf_init(&buf);
        ably_error err = { 0 };
        if (ably_encode(&ably_batch_publish_outcome_desc, ABLY_FORMAT_JSON, o, &buf, &err) == 0)
            cli_print_json_line(buf.data);
        ably_error_clear(&err);
        ably_buf_free(&buf);
    } else if (o->error) {
        printf("failed %s: error %lld: %s\n", o->channel ? o->channel : "?", (long long)o->error->code,
               o->error->message ? o->error->message : "");
    } else {
        printf("published to %s (message id %s)\n", o->channel ? o->channel : "?",
               o->message_id ? o->message_id : "-");
    }
}

static int cmd_batch_publish(const cli_args *a, ably_rest *rest)
{
    int rc = need_args(a, 3, "batch-publish CH[,CH...] [NAME] DATA");
    if (rc != CLI_OK)
        return rc;
    ably_batch_publish_spec spec;
    ably_batch_publish_spec_init(&spec);
    ably_message msg;
    ably_message_init(&msg);
    msg.name = a->npos >= 4 ? strdup(a->pos[2]) : NULL;
    const char *text = a->pos[a->npos - 1];
    ably_data_set(&msg.data, is(a->encoding, "json") ? ABLY_DATA_JSON : ABLY_DATA_STRING, text, strlen(text));
    spec.channels = split_channels(a->pos[1], &spec.channels_count);
    spec.messages = &msg; /* borrowed: detached before the spec is cleared */
    spec.messages_count = 1;
    ably_batch_publish_result *results = NULL;
    size_t nresults = 0;
    ably_error err = { 0 };
    if (ably_rest_batch_publish(rest, &spec, 1, &results, &nresults, &err) != 0) {
        rc = cli_fail_err(a, &err, false);
    } else {
        for (size_t i = 0; i < nresults; i++)
            for (size_t j = 0; j < results[i].results_count; j++) {
                print_batch_outcome(a, &results[i].results[j]);
                if (results[i].results[j].error)
                    rc = CLI_EFAIL;
            }
        ably_batch_publish_results_free(results, nresults);
    }
    spec.messages = NULL;
    spec.messages_count = 0;
    ably_batch_publish_spec_clear(&spec);
    ably_message_clear(&msg);
    return rc;
}

int cli_rest_dispatch(const cli_args *a, const ably_client_options *opts)
{
    typedef int (*command_fn)(const cli_args *, ably_rest *);
    const char *cmd = a->pos[0];
    command_fn fn = NULL;
    if (is(cmd, "publish"))
        fn = cmd_publish;
    else if (is(cmd, "history"))
        fn = cmd_history;
    else if (is(cmd, "presence") && (a->npos < 2 || is(a->pos[1], "get")))
        fn = cmd_presence;
    else if (is(cmd, "stats"))
        fn = cmd_stats;
    else if (is(cmd, "time"))
        fn = cmd_time;
    else if (is(cmd, "token"))
        fn = cmd_token;
    else if (is(cmd, "channels"))
        fn = cmd_channels;
    else if (is(cmd, "batch-publish"))
        fn = cmd_batch_publish;
    if (!fn)
        return -1;
    ably_rest *rest = NULL;
    ably_error err = { 0 };
    if (ably_rest_create(opts, &rest, &err) != 0)
        return cli_fail_err(a, &err, true);
    int rc = fn(a, rest);
    ably_rest_destroy(rest);
    return rc;
}
