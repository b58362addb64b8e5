/* `ably`: a command-line front door to libably. See `ably --help` and cli.h. */
#include "cli.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char USAGE[] =
    "usage: ably [options] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  publish CHANNEL [NAME] DATA        publish one message\n"
    "  history CHANNEL                    message history (--limit, --direction, --pages)\n"
    "  subscribe CHANNEL                  stream messages until Ctrl-C (--count, --duration)\n"
    "  presence get CHANNEL               members present now\n"
    "  presence enter CHANNEL [DATA]      enter (needs --client-id) and stay until Ctrl-C\n"
    "  presence subscribe CHANNEL         stream presence events until Ctrl-C\n"
    "  stats                              application statistics (--unit, --limit)\n"
    "  token request|create               a signed TokenRequest / a token (--ttl, --capability)\n"
    "  time                               the server time\n"
    "  channels list                      active channels (--prefix)\n"
    "  channels status CHANNEL            a channel's status and occupancy\n"
    "  batch-publish CH[,CH...] [NAME] DATA   one message to several channels in one request\n"
    "  sandbox start|status|stop          the local sandbox used when no key is given\n"
    "\n"
    "options:\n"
    "  --key KEY          API key \"appId.keyId:secret\" (default: $ABLY_KEY)\n"
    "  --endpoint HOST    endpoint (routing policy name or host name)\n"
    "  --port N           port for that endpoint\n"
    "  --tls / --no-tls   use TLS (default on, except for the local sandbox)\n"
    "  --client-id ID     the client identity\n"
    "  --json             one JSON object per line\n"
    "  --type T           how DATA is sent: string (default) or json\n"
    "\n"
    "With neither a key nor an endpoint, ably starts (or reuses) a local ably-sandbox and\n"
    "provisions a test app: no account and no network needed.\n"
    "Exit status: 0 ok, 1 the operation failed, 2 misuse, 3 the local sandbox could not start.\n";

typedef enum { OPT_STR, OPT_INT, OPT_FLAG_TRUE, OPT_NUM } opt_kind;

typedef struct {
    const char *name;
    opt_kind kind;
    size_t offset; /* into cli_args */
} opt_spec;

#define OPT(n, k, field) { n, k, offsetof(cli_args, field) }
static const opt_spec OPTIONS[] = {
    OPT("--key", OPT_STR, key),           OPT("--endpoint", OPT_STR, endpoint),
    OPT("--port", OPT_INT, port),         OPT("--client-id", OPT_STR, client_id),
    OPT("--json", OPT_FLAG_TRUE, json),   OPT("--limit", OPT_INT, limit),
    OPT("--direction", OPT_STR, direction), OPT("--pages", OPT_INT, pages),
    OPT("--prefix", OPT_STR, prefix),     OPT("--unit", OPT_STR, unit),
    OPT("--capability", OPT_STR, capability), OPT("--type", OPT_STR, encoding),
    OPT("--count", OPT_INT, count),       OPT("--duration", OPT_NUM, duration_s),
};

static int parse_option(cli_args *a, const opt_spec *o, const char *value)
{
    void *field = (char *)a + o->offset;
    switch (o->kind) {
    case OPT_STR:
        *(const char **)field = value;
        return 0;
    case OPT_FLAG_TRUE:
        *(bool *)field = true;
        return 0;
    case OPT_INT: {
        long v = cli_parse_count(value);
        if (v < 0 || v > 1000000)
            return cli_fail(a, CLI_EUSAGE, 40003, "%s needs a non-negative number, not \"%s\"", o->name, value);
        *(int *)field = (int)v;
        return 0;
    }
    case OPT_NUM: {
        char *end = NULL;
        double v = strtod(value, &end);
        if (*end || v < 0)
            return cli_fail(a, CLI_EUSAGE, 40003, "%s needs a non-negative number, not \"%s\"", o->name, value);
        *(double *)field = v;
        return 0;
    }
    }
    return 0;
}

/* Options may appear anywhere; "--" ends them. Returns CLI_OK or an exit status. */
static int parse_args(int argc, char **argv, cli_args *a)
{
    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (options_done || arg[0] != '-' || arg[1] == '\0') {
            if (a->npos == CLI_MAX_POSITIONAL)
                return cli_fail(a, CLI_EUSAGE, 40000, "too many arguments");
            a->pos[a->npos++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            options_done = true;
            continue;
        }
        if (strcmp(arg, "--tls") == 0 || strcmp(arg, "--no-tls") == 0) {
            a->tls = arg[2] == 't';
            continue;
        }
        if (strcmp(arg, "--ttl") == 0) {
            long v = i + 1 < argc ? cli_parse_count(argv[i + 1]) : -1;
            if (v <= 0)
                return cli_fail(a, CLI_EUSAGE, 40003, "--ttl needs a positive number of milliseconds");
            a->ttl = v;
            i++;
            continue;
        }
        const opt_spec *o = NULL;
        for (size_t k = 0; k < sizeof OPTIONS / sizeof OPTIONS[0] && !o; k++)
            if (strcmp(arg, OPTIONS[k].name) == 0)
                o = &OPTIONS[k];
        if (!o)
            return cli_fail(a, CLI_EUSAGE, 40000, "unknown option %s (see ably --help)", arg);
        if (o->kind == OPT_FLAG_TRUE) {
            parse_option(a, o, NULL);
            continue;
        }
        if (i + 1 >= argc)
            return cli_fail(a, CLI_EUSAGE, 40000, "%s needs a value", arg);
        int rc = parse_option(a, o, argv[++i]);
        if (rc != CLI_OK)
            return rc;
    }
    return CLI_OK;
}

/* Checks option values that do not depend on the command. */
static int check_args(const cli_args *a)
{
    if (a->direction && strcmp(a->direction, "forwards") != 0 && strcmp(a->direction, "backwards") != 0)
        return cli_fail(a, CLI_EUSAGE, 40003, "--direction must be forwards or backwards, not \"%s\"",
                        a->direction);
    if (a->port > 65535)
        return cli_fail(a, CLI_EUSAGE, 40003, "--port must be 1..65535");
    if (a->limit > 1000)
        return cli_fail(a, CLI_EUSAGE, 40003, "--limit must be at most 1000");
    if (a->encoding && strcmp(a->encoding, "string") != 0 && strcmp(a->encoding, "json") != 0)
        return cli_fail(a, CLI_EUSAGE, 40003, "--type must be string or json, not \"%s\"", a->encoding);
    return CLI_OK;
}

/* Key and endpoint from the arguments, or the local sandbox when both are absent. */
static int resolve_target(const cli_args *a, cli_target *t)
{
    const char *key = a->key ? a->key : getenv("ABLY_KEY");
    if (key && !*key)
        key = NULL;
    if (!key && !a->endpoint)
        return cli_sandbox_ensure(a, t);
    if (!key)
        return cli_fail(a, CLI_EUSAGE, 40106, "no key: set ABLY_KEY or pass --key (needed with --endpoint)");
    t->key = strdup(key);
    t->endpoint = a->endpoint ? strdup(a->endpoint) : NULL;
    t->tls = a->tls != 0; /* default (-1): on */
    t->port = a->port;
    return CLI_OK;
}

static void build_options(const cli_args *a, const cli_target *t, ably_client_options *o)
{
    ably_client_options_init(o);
    o->key = t->key;
    o->endpoint = t->endpoint;
    o->client_id = a->client_id;
    o->log_level = ABLY_LOG_NONE; /* errors are reported by the command itself */
    if (t->local_sandbox) {
        o->tls = false;
        o->port = t->port;
        o->fallback_hosts_set = true; /* one local server: nothing to fall back to */
        o->http_max_retry_count = 0;
    } else {
        o->tls = t->tls;
        if (t->port && t->tls)
            o->tls_port = t->port;
        else if (t->port)
            o->port = t->port;
    }
}

static int run(const cli_args *a)
{
    const char *cmd = a->pos[0];
    if (strcmp(cmd, "sandbox") == 0)
        return cli_sandbox_command(a);
    cli_target t = { 0 };
    int rc = resolve_target(a, &t);
    if (rc != CLI_OK)
        return rc;
    ably_client_options opts;
    build_options(a, &t, &opts);
    rc = cli_rest_dispatch(a, &opts);
    if (rc < 0)
        rc = cli_realtime_dispatch(a, &opts);
    if (rc < 0)
        rc = cli_fail(a, CLI_EUSAGE, 40000, "unknown command \"%s\" (see ably --help)", cmd);
    cli_target_clear(&t);
    return rc;
}

int main(int argc, char **argv)
{
    cli_args a = { 0 };
    a.tls = -1;
    a.pages = 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(USAGE, stdout);
            return CLI_OK;
        }
    int rc = parse_args(argc, argv, &a);
    if (rc == CLI_OK)
        rc = check_args(&a);
    if (rc != CLI_OK)
        return rc;
    if (a.npos == 0) {
        fputs(USAGE, stderr);
        return CLI_EUSAGE;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    rc = run(&a);
    curl_global_cleanup();
    return rc;
}
