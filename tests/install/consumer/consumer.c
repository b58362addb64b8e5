/* An application outside the libably tree: sees only the installed headers and
 * library. It needs no network: an error-table lookup, ErrorInfo formatting, and a
 * message through both wire formats (which exercises cJSON and msgpack-c inside the
 * library). Prints one "ok" line; exits non-zero, saying why, on any mismatch. */
#include <ably/ably.h>

#include <stdio.h>
#include <string.h>

static int fail(const char *what, ably_error *err)
{
    char text[256];
    ably_error_format(err, text, sizeof text);
    fprintf(stderr, "consumer: %s failed: %s\n", what, text);
    ably_error_clear(err);
    return 1;
}

/* Encodes m in `format`, decodes it back, and checks the copy equals m. */
static int round_trip(const ably_message *m, ably_format format, const char *label)
{
    ably_buf wire;
    ably_message back;
    ably_error err;
    ably_buf_init(&wire);
    ably_message_init(&back);
    ably_error_init(&err);
    int rc = format == ABLY_FORMAT_JSON ? ably_message_to_json(m, &wire, &err)
                                        : ably_message_to_msgpack(m, &wire, &err);
    if (rc == 0)
        rc = format == ABLY_FORMAT_JSON ? ably_message_from_json(&back, wire.data, wire.len, &err)
                                        : ably_message_from_msgpack(&back, wire.data, wire.len, &err);
    int bad = rc != 0 ? fail(label, &err) : 0;
    if (!bad && !ably_message_equal(m, &back)) {
        fprintf(stderr, "consumer: %s round trip changed the message\n", label);
        bad = 1;
    }
    ably_message_clear(&back);
    ably_buf_free(&wire);
    ably_error_clear(&err);
    return bad;
}

int main(void)
{
    const ably_error_code_info *info = ably_error_code_lookup(40140);
    if (info == NULL || info->http_status != 401 || !ABLY_ERR_IS_TOKEN_ERROR(info->code)) {
        fprintf(stderr, "consumer: ably_error_code_lookup(40140) is wrong\n");
        return 1;
    }

    ably_error err;
    ably_error_init(&err);
    ably_error_set(&err, 40140, 401, "token %s", "expired");
    char text[256];
    ably_error_format(&err, text, sizeof text);
    ably_error_clear(&err);
    if (strstr(text, "40140") == NULL || strstr(text, "token expired") == NULL) {
        fprintf(stderr, "consumer: ably_error_format gave \"%s\"\n", text);
        return 1;
    }

    static char name[] = "greeting";
    ably_message m;
    ably_message_init(&m);
    m.name = name; /* borrowed for the test; detached before ably_message_clear */
    m.timestamp = 1700000000000;
    m.has_timestamp = true;
    if (ably_data_set(&m.data, ABLY_DATA_STRING, "hello", 5) != 0) {
        fprintf(stderr, "consumer: ably_data_set failed\n");
        return 1;
    }
    int bad = round_trip(&m, ABLY_FORMAT_JSON, "json") || round_trip(&m, ABLY_FORMAT_MSGPACK, "msgpack");
    m.name = NULL;
    ably_message_clear(&m);
    if (bad)
        return 1;
    printf("ok: %s (%d, http %d); message round trip json+msgpack\n", info->title, info->code,
           info->http_status);
    return 0;
}
