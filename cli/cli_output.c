/* Output and error reporting of the `ably` tool (see cli.h). Plain text is for
 * people; --json gives one JSON object per line (the library's own encoders, so
 * field names are the wire names) for scripts. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

static void print_error_line(const cli_args *a, int code, int status, const char *message)
{
    if (a && a->json) {
        char *msg = cli_json_string(message ? message : "");
        fprintf(stderr, "{\"error\":{\"code\":%d,\"statusCode\":%d,\"message\":%s}}\n", code, status,
                msg ? msg : "\"\"");
        free(msg);
        return;
    }
    fprintf(stderr, "ably: error %d: %s\n", code, message ? message : "(no message)");
}

int cli_fail(const cli_args *a, int status, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_error_line(a, code, 0, msg);
    return status;
}

/* Codes that mean "the command line was wrong" rather than "Ably refused". */
static bool is_misuse(int code)
{
    return code == 40000 || code == 40003 || code == 40010 || code == 40106;
}

int cli_fail_err(const cli_args *a, ably_error *err, bool before_io)
{
    int code = err->has_code ? (int)err->code : 50000;
    int status = CLI_EFAIL;
    /* A malformed key is caught before any request: misuse too. */
    if (is_misuse(code) || (before_io && code == 40101))
        status = CLI_EUSAGE;
    /* One line: the library's message may carry newlines from a server reply. */
    char *msg = err->message ? strdup(err->message) : NULL;
    for (char *p = msg; p && *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    print_error_line(a, code, err->has_status_code ? (int)err->status_code : 0, msg);
    free(msg);
    ably_error_clear(err);
    return status;
}

char *cli_json_string(const char *s)
{
    cJSON *str = cJSON_CreateString(s ? s : "");
    char *out = str ? cJSON_PrintUnformatted(str) : NULL;
    cJSON_Delete(str);
    return out;
}

void cli_format_time(int64_t ms, char *out, size_t size)
{
    time_t secs = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03dZ", base, (int)(ms % 1000));
}

void cli_print_data(const ably_data *d)
{
    switch (d->type) {
    case ABLY_DATA_STRING:
    case ABLY_DATA_JSON:
        fwrite(d->bytes, 1, d->len, stdout);
        break;
    case ABLY_DATA_BINARY:
        printf("<%zu bytes of binary>", d->len);
        break;
    case ABLY_DATA_NONE:
    default:
        fputs("(no data)", stdout);
        break;
    }
}

void cli_print_json_line(const char *json)
{
    fputs(json, stdout);
    fputc('\n', stdout);
}

/* Encodes one value with its generated JSON encoder and prints it as a line. */
static void print_encoded(int (*to_json)(const void *, ably_buf *, ably_error *), const void *value)
{
    ably_buf buf;
    ably_buf_init(&buf);
    ably_error err = { 0 };
    if (to_json(value, &buf, &err) == 0)
        cli_print_json_line(buf.data ? buf.data : "{}");
    else
        cli_fail_err(NULL, &err, false);
    ably_buf_free(&buf);
}

static int message_to_json(const void *v, ably_buf *b, ably_error *e)
{
    return ably_message_to_json(v, b, e);
}

static int presence_to_json(const void *v, ably_buf *b, ably_error *e)
{
    return ably_presence_message_to_json(v, b, e);
}

void cli_print_message(const cli_args *a, const char *channel, const ably_message *m)
{
    (void)channel;
    if (a->json) {
        print_encoded(message_to_json, m);
    } else {
        char when[40] = "-";
        if (m->has_timestamp)
            cli_format_time(m->timestamp, when, sizeof when);
        printf("%s  %s  ", when, m->name ? m->name : "(no name)");
        cli_print_data(&m->data);
        if (m->client_id)
            printf("  (client %s)", m->client_id);
        if (m->encoding)
            printf("  [undecoded: %s]", m->encoding);
        fputc('\n', stdout);
    }
    fflush(stdout);
}

static const char *presence_action_name(const ably_presence_message *m)
{
    static const char *const names[] = { "absent", "present", "enter", "leave", "update" };
    if (!m->has_action || (int)m->action < 0 || (size_t)m->action >= sizeof names / sizeof names[0])
        return "?";
    return names[m->action];
}

void cli_print_presence(const cli_args *a, const char *channel, const ably_presence_message *m)
{
    (void)channel;
    if (a->json) {
        print_encoded(presence_to_json, m);
    } else {
        printf("%s  %s  ", presence_action_name(m), m->client_id ? m->client_id : "(no clientId)");
        cli_print_data(&m->data);
        fputc('\n', stdout);
    }
    fflush(stdout);
}

long cli_parse_count(const char *s)
{
    if (!s || !*s)
        return -1;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return (*end || v < 0) ? -1 : v;
}
